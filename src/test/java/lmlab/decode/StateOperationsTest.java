package lmlab.decode;

import static lmlab.decode.SteppingTest.diff;
import static lmlab.decode.SteppingTest.full;
import static lmlab.decode.SteppingTest.randomIds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import lmlab.models.LanguageModel;
import lmlab.nn.RecurrentState;
import lmlab.nn.attention.LayerKvCache;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * fork, reorder and truncate of the step states, each on its own: attention with a growing cache
 * (causal), attention with ring caches (sliding, block_local, dilated), and the LSTM and RNN
 * states. Every check compares with the full forward pass over the sequence each row should hold.
 */
class StateOperationsTest {
  static Stream<Arguments> states() {
    return Stream.of(
        Arguments.of("attention, causal", (Supplier<LanguageModel>) () -> SteppingTest.transformer("llama")),
        Arguments.of("attention, rings: sliding(6), block_local(4), dilated(8,2)",
            (Supplier<LanguageModel>) () -> SteppingTest.transformer("llama", "masks",
                "[\"sliding(6)\", \"block_local(4)\", \"dilated(8,2)\"]")),
        Arguments.of("lstm (h, c)", (Supplier<LanguageModel>) SteppingTest::lstm),
        Arguments.of("rnn h", (Supplier<LanguageModel>) SteppingTest::rnn));
  }

  /** The attention and recurrent states and the linear-time mixers' (whose truncate has its own test below). */
  static Stream<Arguments> statesAndMixers() {
    return Stream.concat(states(), Stream.concat(SteppingTest.mixers(), SteppingTest.hybrids()));
  }

  static int[] concat(int[] a, int aLen, int[] b, int bLen) {
    int[] out = Arrays.copyOf(a, aLen + bLen);
    System.arraycopy(b, 0, out, aLen, bLen);
    return out;
  }

  /** Feeds seq one token at a time from its current position; returns max |logits - want[from ..]|. */
  static double feed(Decoder d, int[] seq, int from, int to, float[] want, int v) {
    double worst = 0;
    for (int t = from; t < to; t++) worst = Math.max(worst, diff(d.appendToken(seq[t]), 0, want, t * v, v));
    return worst;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statesAndMixers")
  void aForkIsIndependentOfItsOrigin(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(7);
    int[] prefix = randomIds(r, 20, v);
    int[] x = randomIds(r, 30, v);
    int[] y = randomIds(r, 30, v);
    int[] px = concat(prefix, 20, x, 30);
    int[] py = concat(prefix, 20, y, 30);
    Decoder origin = new Decoder(m, 1);
    origin.step(prefix, 20);
    Decoder fork = origin.fork();
    assertThat(fork.bytes()).isEqualTo(origin.bytes());
    assertThat(fork.position(0)).isEqualTo(20);
    float[] fx = full(m, px);
    float[] fy = full(m, py);
    // interleaved: stepping one must not move or change the other
    double worst = 0;
    for (int t = 20; t < 50; t++) {
      worst = Math.max(worst, diff(origin.appendToken(px[t]), 0, fx, t * v, v));
      worst = Math.max(worst, diff(fork.appendToken(py[t]), 0, fy, t * v, v));
    }
    assertThat(worst).as(name).isLessThanOrEqualTo(SteppingTest.TOL);
    assertThat(origin.position(0)).isEqualTo(50);
    assertThat(fork.position(0)).isEqualTo(50);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statesAndMixers")
  void reorderWithRepeatedRowsContinuesEachChosenRow(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(8);
    int[] a = randomIds(r, 12, v);
    int[] b = randomIds(r, 12, v);
    Decoder d = new Decoder(m, 2);
    d.step(concat(a, 12, b, 12), 12);
    d.reorder(new int[] {1, 1, 0}); // beam search keeps two continuations of b and one of a
    assertThat(d.rows()).isEqualTo(3);
    int[][] cont = {randomIds(r, 20, v), randomIds(r, 20, v), randomIds(r, 20, v)};
    int[][] seqs = {concat(b, 12, cont[0], 20), concat(b, 12, cont[1], 20), concat(a, 12, cont[2], 20)};
    float[][] want = {full(m, seqs[0]), full(m, seqs[1]), full(m, seqs[2])};
    double worst = 0;
    for (int s = 0; s < 20; s++) {
      float[] logits = d.step(new int[] {cont[0][s], cont[1][s], cont[2][s]}, 1);
      for (int i = 0; i < 3; i++) worst = Math.max(worst, diff(logits, i * v, want[i], (12 + s) * v, v));
    }
    assertThat(worst).as(name).isLessThanOrEqualTo(SteppingTest.TOL);
    // and back to one row (a hypothesis that survives alone)
    d.reorder(new int[] {2});
    assertThat(d.rows()).isEqualTo(1);
    assertThat(d.position(0)).isEqualTo(32);
    assertThatThrownBy(() -> d.reorder(new int[] {1})).hasMessageContaining("reorder index 1");
  }

  /**
   * A cleared decoder keeps its state and makes it as wide as the next run (beam search starts
   * from one row and widens): each run's logits and bytes are a fresh decoder's, bit for bit.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("statesAndMixers")
  void aClearedDecoderRunsAnyWidthAsAFreshOne(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(10);
    Decoder d = new Decoder(m);
    int[][] runs = {{3, 10}, {1, 7}, {4, 5}, {2, 12}, {1, 3}};
    for (int[] run : runs) {
      int rows = run[0];
      int tokens = run[1];
      int[] ids = randomIds(r, rows * tokens, v);
      d.clear();
      float[] got = Arrays.copyOf(d.step(ids, tokens), rows * tokens * v);
      int[] next = randomIds(r, rows, v);
      float[] gotNext = Arrays.copyOf(d.step(next, 1), rows * v);
      Decoder fresh = new Decoder(m);
      float[] want = Arrays.copyOf(fresh.step(ids, tokens), rows * tokens * v);
      float[] wantNext = Arrays.copyOf(fresh.step(next, 1), rows * v);
      assertThat(got).as("%s, %d rows x %d tokens", name, rows, tokens).containsExactly(want);
      assertThat(gotNext).as("%s, %d rows, next token", name, rows).containsExactly(wantNext);
      assertThat(d.rows()).isEqualTo(rows);
      assertThat(d.bytes()).isEqualTo(fresh.bytes());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void truncateThenContinueIsAFreshRunOnThePrefix(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(9);
    int[] first = randomIds(r, 40, v);
    int[] other = randomIds(r, 24, v);
    Decoder d = new Decoder(m, 1);
    d.step(first, 40);
    long bytesAt40 = d.bytes();
    d.truncate(30); // back 10 tokens: within a ring's rollback
    assertThat(d.position(0)).isEqualTo(30);
    int[] seq = concat(first, 30, other, 24);
    float[] want = full(m, seq);
    assertThat(feed(d, seq, 30, 54, want, v)).as(name).isLessThanOrEqualTo(SteppingTest.TOL);
    // truncating to a longer length changes nothing
    d.truncate(100);
    assertThat(d.position(0)).isEqualTo(54);
    // the bytes held follow the position (a fresh run's at 40 tokens after going back and on again)
    Decoder fresh = new Decoder(m, 1);
    fresh.step(Arrays.copyOf(seq, 40), 40);
    d.truncate(40);
    assertThat(d.bytes()).isEqualTo(fresh.bytes());
    assertThat(bytesAt40).isEqualTo(fresh.bytes());
    // to 0: a new sequence from scratch
    d.truncate(0);
    assertThat(feed(d, other, 0, 24, full(m, other), v)).isLessThanOrEqualTo(SteppingTest.TOL);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("states")
  void goingBackFurtherThanARingHoldsIsAnErrorNamingTheWindow(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    Decoder d = new Decoder(m, 1);
    d.step(randomIds(new Random(10), 60, m.vocabSize()), 60);
    boolean ring = d.layerState(0) instanceof LayerKvCache c && c.mask().maxHeld() != Integer.MAX_VALUE;
    if (ring) {
      assertThatThrownBy(() -> d.truncate(5)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("sliding(6)").hasMessageContaining("row 0 at position 60")
          .hasMessageContaining(LayerKvCache.ROLLBACK + " tokens");
    } else {
      d.truncate(5); // a growing cache and a recurrent state (which keeps its history) go back anywhere
      assertThat(d.position(0)).isEqualTo(5);
      if (d.layerState(0) instanceof RecurrentState s) assertThat(s.position(0)).isEqualTo(5);
    }
  }

  /**
   * A mixer's recurrent state has a constant size and keeps no history: truncate to the position
   * or beyond changes nothing, to 0 starts a new sequence, and any other length is an error that
   * says to keep a fork instead.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("lmlab.decode.SteppingTest#mixers")
  void aMixerStateGoesBackOnlyToZeroAndHoldsConstantBytes(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(11);
    int[] first = randomIds(r, 30, v);
    int[] other = randomIds(r, 20, v);
    Decoder d = new Decoder(m, 1);
    long empty = d.bytes();
    d.step(first, 30);
    assertThat(d.bytes()).as("state bytes do not grow with the tokens read").isEqualTo(empty);
    d.truncate(30);
    d.truncate(100);
    assertThat(d.position(0)).isEqualTo(30);
    assertThatThrownBy(() -> d.truncate(12)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("row 0 is at position 30 and cannot go back to 12")
        .hasMessageContaining("keep a fork()");
    assertThat(d.position(0)).as("a refused truncate changes nothing").isEqualTo(30);
    assertThat(feed(d, concat(first, 30, other, 20), 30, 50, full(m, concat(first, 30, other, 20)), v))
        .isLessThanOrEqualTo(SteppingTest.TOL);
    d.truncate(0);
    assertThat(d.position(0)).isZero();
    assertThat(feed(d, other, 0, 20, full(m, other), v)).isLessThanOrEqualTo(SteppingTest.TOL);
    assertThat(d.bytes()).isEqualTo(empty);
  }
}
