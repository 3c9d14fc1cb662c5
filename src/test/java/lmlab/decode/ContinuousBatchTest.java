package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import lmlab.models.LanguageModel;
import lmlab.models.ModelState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Continuous batching: sequences that join a running batch at different times (their prompts
 * stepped on their own, then {@link ModelState#join}ed) and leave it between steps get exactly
 * (bit for bit) the logits they get decoding alone — for every preset, the linear-time mixers and
 * the hybrids, so every {@code StepState} kind joins correctly.
 */
class ContinuousBatchTest {
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> models() {
    return SteppingTest.presetsAndMixers();
  }

  /** The logits of each step of one sequence decoding alone: prompt, then tokens one at a time. */
  static float[][] alone(LanguageModel m, int[] prompt, int[] next) {
    int v = m.vocabSize();
    ModelState s = m.newState(1);
    float[][] out = new float[next.length + 1][];
    float[] all = m.step(s, prompt, prompt.length);
    out[0] = Arrays.copyOfRange(all, (prompt.length - 1) * v, prompt.length * v);
    for (int i = 0; i < next.length; i++) out[i + 1] = Arrays.copyOf(m.step(s, new int[] {next[i]}, 1), v);
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void joiningAndLeavingRowsGetTheLogitsTheyGetAlone(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(11);
    int n = 4;
    int[][] prompts = new int[n][];
    int[][] next = new int[n][];
    int[] joinAt = {0, 0, 2, 5};
    int[] leaveAt = {9, 4, 8, 9};
    for (int i = 0; i < n; i++) {
      prompts[i] = SteppingTest.randomIds(r, 1 + r.nextInt(5), v);
      next[i] = SteppingTest.randomIds(r, leaveAt[i] - joinAt[i], v);
    }
    float[][][] expected = new float[n][][];
    for (int i = 0; i < n; i++) expected[i] = alone(m, prompts[i], next[i]);

    ContinuousBatch b = new ContinuousBatch(m);
    // twice on one batch: the second run reuses the state the first left behind (emptied, not dropped)
    for (int round = 0; round < 2; round++) run(name, m, b, prompts, next, joinAt, expected);
  }

  private static void run(String name, LanguageModel m, ContinuousBatch b, int[][] prompts, int[][] next, int[] joinAt,
      float[][][] expected) {
    int v = m.vocabSize();
    int n = prompts.length;
    int[] rowOf = new int[n];
    Arrays.fill(rowOf, -1);
    int[] fed = new int[n];
    java.util.List<Integer> rows = new java.util.ArrayList<>();
    for (int t = 0; t < 10; t++) {
      // leave, then join, then one step for every row
      java.util.List<Integer> keep = new java.util.ArrayList<>();
      java.util.List<Integer> kept = new java.util.ArrayList<>();
      for (int k = 0; k < rows.size(); k++) {
        int seq = rows.get(k);
        if (fed[seq] < next[seq].length) {
          keep.add(k);
          kept.add(seq);
        }
      }
      b.retain(keep.stream().mapToInt(Integer::intValue).toArray());
      rows = kept;
      for (int i = 0; i < n; i++) {
        if (joinAt[i] == t) {
          float[] first = b.join(prompts[i]);
          assertThat(first).as("%s: sequence %d's prompt", name, i).isEqualTo(expected[i][0]);
          rows.add(i);
        }
      }
      if (rows.isEmpty()) continue;
      int[] tokens = new int[rows.size()];
      for (int k = 0; k < tokens.length; k++) tokens[k] = next[rows.get(k)][fed[rows.get(k)]];
      float[] logits = b.step(tokens);
      for (int k = 0; k < tokens.length; k++) {
        int seq = rows.get(k);
        fed[seq]++;
        assertThat(Arrays.copyOfRange(logits, k * v, (k + 1) * v)).as("%s: sequence %d, step %d in a batch of %d", name, seq,
            fed[seq], tokens.length).isEqualTo(expected[seq][fed[seq]]);
      }
    }
    for (int i = 0; i < n; i++) assertThat(fed[i]).isEqualTo(next[i].length);
    b.retain(new int[0]);
    assertThat(b.rows()).isZero();
  }

  /**
   * Prompts that join in one call (those of one length stepped together) get the logits, and then
   * the steps, they get alone; rows keep the order of the prompts.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void promptsJoiningTogetherGetTheLogitsTheyGetAlone(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(23);
    int[] lengths = {3, 3, 3, 5, 3, 3, 1};
    int n = lengths.length;
    int[][] prompts = new int[n][];
    int[][] next = new int[n][];
    float[][][] expected = new float[n][][];
    for (int i = 0; i < n; i++) {
      prompts[i] = SteppingTest.randomIds(r, lengths[i], v);
      next[i] = SteppingTest.randomIds(r, 3, v);
      expected[i] = alone(m, prompts[i], next[i]);
    }
    ContinuousBatch b = new ContinuousBatch(m);
    b.join(SteppingTest.randomIds(r, 2, v)); // a row already decoding: the new ones come after it
    java.util.List<float[]> first = b.join(java.util.Arrays.asList(prompts));
    assertThat(b.rows()).isEqualTo(n + 1);
    for (int i = 0; i < n; i++) assertThat(first.get(i)).as("%s: prompt %d", name, i).isEqualTo(expected[i][0]);
    b.retain(java.util.stream.IntStream.rangeClosed(1, n).toArray());
    for (int s = 0; s < 3; s++) {
      int[] tokens = new int[n];
      for (int i = 0; i < n; i++) tokens[i] = next[i][s];
      float[] logits = b.step(tokens);
      for (int i = 0; i < n; i++) {
        assertThat(Arrays.copyOfRange(logits, i * v, (i + 1) * v)).as("%s: prompt %d, step %d", name, i, s + 1)
            .isEqualTo(expected[i][s + 1]);
      }
    }
  }

  /** A join that fails for one of its prompts joins none of them: the batch goes on as before. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void aFailedJoinLeavesTheBatchAsItWas(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(29);
    int[] decoding = SteppingTest.randomIds(r, 2, v);
    int[] good = SteppingTest.randomIds(r, 3, v);
    int[] bad = {0, v}; // a token outside the vocabulary
    ContinuousBatch b = new ContinuousBatch(m);
    b.join(decoding);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> b.join(java.util.List.of(good, good, bad)))
        .isInstanceOf(RuntimeException.class);
    assertThat(b.rows()).isEqualTo(1);
    int[] next = {1};
    assertThat(Arrays.copyOf(b.step(next), v)).as(name).isEqualTo(alone(m, decoding, next)[1]);
    ContinuousBatch empty = new ContinuousBatch(m);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> empty.join(java.util.List.of(good, bad)))
        .isInstanceOf(RuntimeException.class);
    assertThat(empty.rows()).isZero();
    assertThat(empty.join(good)).isEqualTo(alone(m, good, new int[0])[0]);
    assertThat(empty.rows()).isEqualTo(1);
  }
}
