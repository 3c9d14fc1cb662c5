package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import lmlab.models.Transformer;
import org.junit.jupiter.api.Test;

/** decoding.md sampling: the filters, the seeded draw, and the distribution it draws from (acceptance 2). */
class SamplingTest {
  /** A fixed small distribution: 8 tokens with distinct logits (and one tie at the 4th/5th place). */
  static final float[] LOGITS = {1.0f, 2.5f, -0.5f, 0.3f, 0.3f, 1.9f, -2.0f, 0.9f};

  /**
   * softmax(logits / τ) restricted by top-k then top-p, computed here from the definitions (not by the
   * sampler): keep logits ≥ the k-th largest; then, most likely first, keep a token while the mass
   * before it is below p.
   */
  static double[] expected(float[] logits, double tau, int k, double p) {
    int v = logits.length;
    double[] x = new double[v];
    for (int j = 0; j < v; j++) x[j] = logits[j] / tau;
    boolean[] keep = new boolean[v];
    java.util.Arrays.fill(keep, true);
    if (k > 0 && k < v) {
      double[] sorted = x.clone();
      java.util.Arrays.sort(sorted);
      double kth = sorted[v - k];
      for (int j = 0; j < v; j++) keep[j] = x[j] >= kth;
    }
    double z = 0;
    for (int j = 0; j < v; j++) if (keep[j]) z += Math.exp(x[j]);
    double[] prob = new double[v];
    for (int j = 0; j < v; j++) prob[j] = keep[j] ? Math.exp(x[j]) / z : 0;
    if (p < 1) {
      Integer[] order = new Integer[v];
      for (int j = 0; j < v; j++) order[j] = j;
      java.util.Arrays.sort(order, (a, b) -> prob[a] != prob[b] ? Double.compare(prob[b], prob[a]) : Integer.compare(a, b));
      double before = 0;
      boolean[] nucleus = new boolean[v];
      for (int i : order) {
        if (prob[i] == 0 || before >= p) break;
        nucleus[i] = true;
        before += prob[i];
      }
      double zz = 0;
      for (int j = 0; j < v; j++) if (nucleus[j]) zz += prob[j];
      for (int j = 0; j < v; j++) prob[j] = nucleus[j] ? prob[j] / zz : 0;
    }
    return prob;
  }

  /**
   * Pearson's chi-square of counts against probabilities over the tokens of non-zero probability;
   * a token of probability zero must never be drawn.
   */
  static double chiSquare(int[] counts, double[] prob, int n) {
    double chi = 0;
    for (int j = 0; j < prob.length; j++) {
      if (prob[j] == 0) {
        assertThat(counts[j]).as("token %d has probability 0 but was drawn", j).isZero();
        continue;
      }
      double e = n * prob[j];
      chi += (counts[j] - e) * (counts[j] - e) / e;
    }
    return chi;
  }

  /** The 0.999 quantile of chi-square with df degrees of freedom (df 1..7). */
  static final double[] CHI2_999 = {0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322};

  @Test
  void drawsFollowTheFilteredSoftmax() {
    int n = 20_000;
    record Case(double tau, int k, double p) {}
    for (Case c : List.of(new Case(1.0, 0, 1.0), new Case(0.7, 4, 1.0), new Case(1.5, 0, 0.8), new Case(1.0, 5, 0.9),
        new Case(2.0, 3, 0.5))) {
      Sampling s = new Sampling(c.tau(), c.k(), c.p(), 0, 1, 11);
      TokenSampler sampler = s.sampler();
      int[] counts = new int[LOGITS.length];
      for (int i = 0; i < n; i++) counts[sampler.next(LOGITS, 0, LOGITS.length, null, 0)]++;
      double[] prob = expected(LOGITS, c.tau(), c.k(), c.p());
      int kept = 0;
      for (double q : prob) if (q > 0) kept++;
      assertThat(kept).as(c.toString()).isGreaterThan(1);
      assertThat(chiSquare(counts, prob, n)).as("%s counts %s", c, java.util.Arrays.toString(counts))
          .isLessThan(CHI2_999[kept - 1]);
      // and the sampler's own distribution is that one
      double[] own = s.sampler().distribution(LOGITS, 0, LOGITS.length, null, 0);
      for (int j = 0; j < prob.length; j++) assertThat(own[j]).as("%s token %d", c, j).isCloseTo(prob[j], within(1e-6));
    }
  }

  @Test
  void aWrongDistributionFailsTheSameTest() {
    // the test has power: draws at τ = 1 judged against τ = 0.7 are rejected
    int n = 20_000;
    TokenSampler sampler = new Sampling(1.0, 0, 1.0, 0, 1, 5).sampler();
    int[] counts = new int[LOGITS.length];
    for (int i = 0; i < n; i++) counts[sampler.next(LOGITS, 0, LOGITS.length, null, 0)]++;
    assertThat(chiSquare(counts, expected(LOGITS, 0.7, 0, 1.0), n)).isGreaterThan(CHI2_999[7]);
  }

  @Test
  void topKKeepsTiesAtTheKthAndTopPKeepsAtLeastOneToken() {
    // top-k 4: the 4th largest is 0.9 → tokens 1, 5, 0, 7; top-k 5: 0.3 is tied at 5th and 6th, both stay
    double[] four = new Sampling(1, 4, 1, 0, 1, 1).sampler().distribution(LOGITS, 0, 8, null, 0);
    assertThat(nonZero(four)).containsExactly(0, 1, 5, 7);
    double[] five = new Sampling(1, 5, 1, 0, 1, 1).sampler().distribution(LOGITS, 0, 8, null, 0);
    assertThat(nonZero(five)).containsExactly(0, 1, 3, 4, 5, 7);
    double[] tiny = new Sampling(1, 0, 1e-9, 0, 1, 1).sampler().distribution(LOGITS, 0, 8, null, 0);
    assertThat(nonZero(tiny)).containsExactly(1);
    assertThat(tiny[1]).isCloseTo(1.0, within(1e-12));
    // min-p 0.5: keep p_j >= 0.5 p_max, i.e. logit >= 2.5 + ln 0.5 = 1.807 → tokens 1 and 5
    double[] minP = new Sampling(1, 0, 1, 0.5, 1, 1).sampler().distribution(LOGITS, 0, 8, null, 0);
    assertThat(nonZero(minP)).containsExactly(1, 5);
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
    float[] logits = {2.0f, -1.0f, 0.5f};
    Sampling s = new Sampling(1, 0, 1, 0, 2.0, 1);
    // tokens 0 and 1 seen (0 twice: penalised once): logits become 1.0, -2.0, 0.5
    double[] p = s.sampler().distribution(logits, 0, 3, new int[] {0, 1, 0}, 3);
    double z = Math.exp(1.0) + Math.exp(-2.0) + Math.exp(0.5);
    assertThat(p[0]).isCloseTo(Math.exp(1.0) / z, within(1e-7));
    assertThat(p[1]).isCloseTo(Math.exp(-2.0) / z, within(1e-7));
    assertThat(p[2]).isCloseTo(Math.exp(0.5) / z, within(1e-7));
  }

  @Test
  void sameSeedSameTokensOtherSeedOtherTokens() {
    Transformer m = new Transformer(KvCacheTest.small("chargpt", "init", "pytorch"), 3);
    m.eval();
    int[] prompt = {1, 2};
    Sampling s = new Sampling(1.0, 0, 1.0, 0, 1, 42);
    Sequence a = Sample.generate(new SteppedModel(m), prompt, 40, Eos.NONE, s, TokenSink.NONE);
    Sequence b = Sample.generate(new SteppedModel(m), prompt, 40, Eos.NONE, s, TokenSink.NONE);
    Sequence c = Sample.generate(new SteppedModel(m), prompt, 40, Eos.NONE, s.withSeed(43), TokenSink.NONE);
    assertThat(a.tokens()).hasSize(40).containsExactly(b.tokens());
    assertThat(a.logProbs()).containsExactly(b.logProbs());
    assertThat(c.tokens()).isNotEqualTo(a.tokens());
    // four sequences in one batch: sequence i is the single draw with seed 42 + i
    List<Sequence> batch = Sample.generate(new SteppedModel(m), prompt, 40, Eos.NONE, s, 4, TokenSink.NONE);
    assertThat(batch.get(0).tokens()).containsExactly(a.tokens());
    assertThat(batch.get(1).tokens()).containsExactly(c.tokens());
    for (int i = 0; i < 4; i++) {
      Sequence single = Sample.generate(new SteppedModel(m), prompt, 40, Eos.NONE, s.withSeed(42 + i), TokenSink.NONE);
      assertThat(batch.get(i).tokens()).as("sequence %d", i).containsExactly(single.tokens());
      for (int t = 0; t < 40; t++) {
        assertThat(batch.get(i).logProbs()[t]).isCloseTo(single.logProbs()[t], within(1e-4f));
      }
    }
  }

  @Test
  void sequencesEndingAtEosLeaveTheBatch() {
    Transformer m = new Transformer(KvCacheTest.small("chargpt", "init", "pytorch"), 3);
    m.eval();
    Sampling s = Sampling.plain(7);
    List<Sequence> free = Sample.generate(new SteppedModel(m), new int[] {1}, 30, Eos.NONE, s, 6, TokenSink.NONE);
    int eos = free.get(2).tokens()[3]; // some token a sequence draws early
    List<Sequence> stopped = Sample.generate(new SteppedModel(m), new int[] {1}, 30, Eos.of(eos), s, 6, TokenSink.NONE);
    for (int i = 0; i < 6; i++) {
      int[] f = free.get(i).tokens();
      int end = 0;
      while (end < f.length && f[end] != eos) end++;
      int[] want = java.util.Arrays.copyOf(f, Math.min(f.length, end + 1));
      assertThat(stopped.get(i).tokens()).as("sequence %d", i).containsExactly(want);
      assertThat(stopped.get(i).endedAtEos()).isEqualTo(end < f.length);
    }
  }

  @Test
  void badSettingsAreErrorsNamingTheValue() {
    assertThatThrownBy(() -> new Sampling(0, 0, 1, 0, 1, 1)).hasMessageContaining("temperature 0.0");
    assertThatThrownBy(() -> new Sampling(-1, 0, 1, 0, 1, 1)).hasMessageContaining("temperature -1.0");
    assertThatThrownBy(() -> new Sampling(Double.NaN, 0, 1, 0, 1, 1)).hasMessageContaining("temperature NaN");
    assertThatThrownBy(() -> new Sampling(1, -2, 1, 0, 1, 1)).hasMessageContaining("top-k -2");
    assertThatThrownBy(() -> new Sampling(1, 0, 0, 0, 1, 1)).hasMessageContaining("top-p 0.0").hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> new Sampling(1, 0, 1.5, 0, 1, 1)).hasMessageContaining("top-p 1.5");
    assertThatThrownBy(() -> new Sampling(1, 0, 1, 2, 1, 1)).hasMessageContaining("min-p 2.0");
    assertThatThrownBy(() -> new Sampling(1, 0, 1, 0, 0, 1)).hasMessageContaining("repetition penalty 0.0");
  }

  private static int[] nonZero(double[] p) {
    return java.util.stream.IntStream.range(0, p.length).filter(j -> p[j] > 0).toArray();
  }

  private static org.assertj.core.data.Offset<Double> within(double d) {
    return org.assertj.core.data.Offset.offset(d);
  }

  private static org.assertj.core.data.Offset<Float> within(float d) {
    return org.assertj.core.data.Offset.offset(d);
  }
}
