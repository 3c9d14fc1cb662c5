package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import lmlab.autograd.Autograd;
import lmlab.models.LanguageModel;
import lmlab.models.LstmLm;
import lmlab.models.Models;
import lmlab.models.RecurrentLmConfig;
import lmlab.models.RnnLm;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.nn.Activation;
import lmlab.nn.weights.StepTrace;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Acceptance 3 of the redesign: every preset's decoding step (the layers' own {@code step}) equals
 * the full forward pass over 64 steps (max |difference| <= 1e-4), on the path the test names: one
 * row of one token on the matrix-vector kernels only, several rows (or a prompt) on matrix-matrix
 * products only, counted by {@link StepTrace}. And rows at different positions step together.
 */
class SteppingTest {
  static final int STEPS = 64;
  static final double TOL = 1e-4;

  static Transformer transformer(String preset, String... kv) {
    Transformer m = new Transformer(KvCacheTest.small(preset, kv).toBuilder().set("init", "pytorch").build(), 31);
    m.eval();
    return m;
  }

  static LstmLm lstm() {
    LstmLm m = new LstmLm(new RecurrentLmConfig("lstm-lm", 13, 6, 8, 2, true, 0.0, null), new Rng(3));
    m.eval();
    return m;
  }

  static RnnLm rnn() {
    RnnLm m = new RnnLm(new RecurrentLmConfig("rnn-lm", 13, 6, 8, 2, true, 0.0, Activation.TANH), new Rng(4));
    m.eval();
    return m;
  }

  /** Every preset of lmlab, at small sizes. */
  static Stream<Arguments> presets() {
    return Stream.of(
        Arguments.of("gpt", (Supplier<LanguageModel>) () -> transformer("gpt")),
        Arguments.of("chargpt", (Supplier<LanguageModel>) () -> transformer("chargpt")),
        Arguments.of("gpt2", (Supplier<LanguageModel>) () -> transformer("gpt2")),
        Arguments.of("llama", (Supplier<LanguageModel>) () -> transformer("llama")),
        Arguments.of("qwen2", (Supplier<LanguageModel>) () -> transformer("qwen2")),
        Arguments.of("qwen2-variant", (Supplier<LanguageModel>) () -> transformer("qwen2-variant", "num_hidden_layers", "4")),
        Arguments.of("lstm-lm", (Supplier<LanguageModel>) SteppingTest::lstm),
        Arguments.of("rnn-lm", (Supplier<LanguageModel>) SteppingTest::rnn));
  }

  /** The linear-time mixer models (gla, regla, mamba2 with one and two groups), small, random weights. */
  static LanguageModel mixerModel(String json) {
    LanguageModel m = Models.parseConfig(MixerConfigs.json(json)).newModel(5);
    m.eval();
    return m;
  }

  static Stream<Arguments> mixers() {
    return Stream.of(
        Arguments.of("gla", (Supplier<LanguageModel>) () -> mixerModel(MixerConfigs.GLA)),
        Arguments.of("regla", (Supplier<LanguageModel>) () -> mixerModel(MixerConfigs.REGLA)),
        Arguments.of("mamba2", (Supplier<LanguageModel>) () -> mixerModel(MixerConfigs.MAMBA2)),
        Arguments.of("mamba2 (2 groups, biases, clamped dt)", (Supplier<LanguageModel>) () -> mixerModel(MixerConfigs.MAMBA2_G2)));
  }

  /** Hybrids: a Transformer whose per-layer mixers list mixes attention with the linear-time mixers. */
  static Stream<Arguments> hybrids() {
    return Stream.of(
        Arguments.of("hybrid llama: attention, gla, mamba2", (Supplier<LanguageModel>) () -> transformer("llama", "mixers",
            "[\"attention\", \"gla\", \"mamba2\"]")),
        Arguments.of("hybrid gpt: regla, attention", (Supplier<LanguageModel>) () -> transformer("gpt", "mixers",
            "[\"regla\", \"attention\"]")));
  }

  /** Every preset, the mixer models and the hybrids. */
  static Stream<Arguments> presetsAndMixers() {
    return Stream.concat(presets(), Stream.concat(mixers(), hybrids()));
  }

  static int[] randomIds(Random r, int n, int vocab) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
    return ids;
  }

  /** The full forward's logits (S, V) of one sequence, flattened. */
  static float[] full(LanguageModel m, int[] seq) {
    try (var g = Autograd.noGrad()) {
      return m.logits(IntTensor.of(seq, 1, seq.length)).contiguous().toArray();
    }
  }

  /** max |a[ao + j] - b[bo + j]| over j < n. */
  static double diff(float[] a, int ao, float[] b, int bo, int n) {
    double worst = 0;
    for (int j = 0; j < n; j++) worst = Math.max(worst, Math.abs(a[ao + j] - b[bo + j]));
    return worst;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("presetsAndMixers")
  void oneRowStepsOnTheMatrixVectorKernelsAndEqualsTheFullForward(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    int[] ids = randomIds(new Random(1), STEPS, v);
    float[] full = full(m, ids);
    Decoder d = new Decoder(m, 1);
    StepTrace.Counts before = StepTrace.snapshot();
    double worst = 0;
    for (int t = 0; t < STEPS; t++) worst = Math.max(worst, diff(d.appendToken(ids[t]), 0, full, t * v, v));
    StepTrace.Counts ran = StepTrace.snapshot().minus(before);
    assertThat(worst).as("%s: max |step - full| over %d steps", name, STEPS).isLessThanOrEqualTo(TOL);
    assertThat(ran.matvec()).as("%s: matrix-vector products", name).isGreaterThanOrEqualTo(STEPS);
    assertThat(ran.matmul()).as("%s: matrix-matrix products on the one-row path", name).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("presetsAndMixers")
  void batchedRowsStepOnMatrixMatrixProductsAndEqualTheFullForward(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    int rows = 3;
    int[][] seqs = new int[rows][];
    Random r = new Random(2);
    for (int i = 0; i < rows; i++) seqs[i] = randomIds(r, STEPS, v);
    Decoder d = new Decoder(m, rows);
    StepTrace.Counts before = StepTrace.snapshot();
    double worst = 0;
    float[][] fulls = new float[rows][];
    for (int i = 0; i < rows; i++) fulls[i] = full(m, seqs[i]);
    int t = 0;
    while (t < STEPS) {
      int n = t == 0 ? 5 : 1; // a prompt of five tokens, then one at a time
      int[] tokens = new int[rows * n];
      for (int i = 0; i < rows; i++) System.arraycopy(seqs[i], t, tokens, i * n, n);
      float[] logits = d.step(tokens, n);
      for (int i = 0; i < rows; i++) worst = Math.max(worst, diff(logits, i * n * v, fulls[i], t * v, n * v));
      t += n;
    }
    StepTrace.Counts ran = StepTrace.snapshot().minus(before);
    assertThat(worst).as("%s: max |batched step - full|", name).isLessThanOrEqualTo(TOL);
    assertThat(ran.matmul()).as("%s: matrix-matrix products", name).isGreaterThan(0);
    assertThat(ran.matvec()).as("%s: matrix-vector products on the batched path", name).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("presets")
  void rowsAtDifferentPositionsStepTogetherAndANewRowJoins(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(3);
    int[] a = randomIds(r, 40, v);
    int[] b = randomIds(r, 40, v);
    int[] c = randomIds(r, 40, v);
    Decoder d = new Decoder(m, 2);
    int[] prompt = new int[20];
    System.arraycopy(a, 0, prompt, 0, 10);
    System.arraycopy(b, 0, prompt, 10, 10);
    d.step(prompt, 10);
    d.state().truncate(1, 4); // row 1 goes back to b[0..4)
    assertThat(d.position(0)).isEqualTo(10);
    assertThat(d.position(1)).isEqualTo(4);
    float[] fa = full(m, a);
    float[] fb = full(m, b);
    float[] fc = full(m, c);
    double worst = 0;
    for (int s = 0; s < 8; s++) { // row 0 at 10 + s, row 1 at 4 + s
      float[] logits = d.step(new int[] {a[10 + s], b[4 + s]}, 1);
      worst = Math.max(worst, diff(logits, 0, fa, (10 + s) * v, v));
      worst = Math.max(worst, diff(logits, v, fb, (4 + s) * v, v));
    }
    // a third sequence joins: repeat a row, then take the copy back to position 0
    d.reorder(new int[] {0, 1, 1});
    d.state().truncate(2, 0);
    for (int s = 0; s < 12; s++) {
      float[] logits = d.step(new int[] {a[18 + s], b[12 + s], c[s]}, 1);
      worst = Math.max(worst, diff(logits, 0, fa, (18 + s) * v, v));
      worst = Math.max(worst, diff(logits, v, fb, (12 + s) * v, v));
      worst = Math.max(worst, diff(logits, 2 * v, fc, s * v, v));
    }
    assertThat(new int[] {d.position(0), d.position(1), d.position(2)}).containsExactly(30, 24, 12);
    assertThat(worst).as("%s: rows at different positions", name).isLessThanOrEqualTo(TOL);
  }

  /**
   * Rows at different positions through reorder and truncate(row, 0) only (what a recurrent
   * mixer state allows): a row restarts from scratch beside one that continues, then a third joins.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("presetsAndMixers")
  void rowsRestartAndJoinBesideRowsThatContinue(String name, Supplier<LanguageModel> make) {
    LanguageModel m = make.get();
    int v = m.vocabSize();
    Random r = new Random(4);
    int[] a = randomIds(r, 40, v);
    int[] b = randomIds(r, 40, v);
    int[] c = randomIds(r, 40, v);
    int[] z = randomIds(r, 10, v);
    Decoder d = new Decoder(m, 2);
    int[] prompt = new int[20];
    System.arraycopy(a, 0, prompt, 0, 10);
    System.arraycopy(z, 0, prompt, 10, 10);
    d.step(prompt, 10);
    d.state().truncate(1, 0); // row 1 drops z and starts b
    assertThat(d.position(1)).isZero();
    float[] fa = full(m, a);
    float[] fb = full(m, b);
    float[] fc = full(m, c);
    double worst = 0;
    for (int s = 0; s < 8; s++) { // row 0 at 10 + s, row 1 at s
      float[] logits = d.step(new int[] {a[10 + s], b[s]}, 1);
      worst = Math.max(worst, diff(logits, 0, fa, (10 + s) * v, v));
      worst = Math.max(worst, diff(logits, v, fb, s * v, v));
    }
    d.reorder(new int[] {0, 1, 0});
    d.state().truncate(2, 0);
    for (int s = 0; s < 12; s++) {
      float[] logits = d.step(new int[] {a[18 + s], b[8 + s], c[s]}, 1);
      worst = Math.max(worst, diff(logits, 0, fa, (18 + s) * v, v));
      worst = Math.max(worst, diff(logits, v, fb, (8 + s) * v, v));
      worst = Math.max(worst, diff(logits, 2 * v, fc, s * v, v));
    }
    assertThat(new int[] {d.position(0), d.position(1), d.position(2)}).containsExactly(30, 20, 12);
    assertThat(worst).as("%s: rows restarted and joined", name).isLessThanOrEqualTo(TOL);
  }
}
