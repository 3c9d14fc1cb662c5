package lmlab.decode;

import java.util.Arrays;
import lmlab.tensor.Rng;

/**
 * Draws tokens by a {@link Sampling}: one per sequence, owning its seeded generator ({@link Rng},
 * xoshiro256**) and its buffers (allocation-free after the first call for a vocabulary size). Not
 * thread-safe.
 */
public final class TokenSampler {
  private final Sampling sampling;
  private final Rng rng;
  private float[] work = new float[0];
  private double[] probs = new double[0];
  private long[] keys = new long[0];
  private boolean[] seen = new boolean[0];
  private float[] sorted = new float[0];

  TokenSampler(Sampling sampling, long seed) {
    this.sampling = sampling;
    this.rng = new Rng(seed);
  }

  public Sampling sampling() {
    return sampling;
  }

  /**
   * Draws a token id from logits[off .. off + vocab) (any shift: raw logits or log-probabilities).
   *
   * @param history the tokens of the sequence so far (prompt and generated) for the repetition
   *     penalty: history[0 .. historyLength); may be null when the penalty is off
   */
  public int next(float[] logits, int off, int vocab, int[] history, int historyLength) {
    double total = filter(logits, off, vocab, history, historyLength);
    double u = rng.nextDouble() * total;
    double cum = 0;
    int last = -1;
    for (int j = 0; j < vocab; j++) {
      if (probs[j] == 0) continue;
      cum += probs[j];
      last = j;
      if (u < cum) return j;
    }
    return last; // u within rounding of the total
  }

  /**
   * The distribution {@link #next} draws from: probabilities over the vocabulary (zero for the
   * tokens the filters removed), summing to 1. A new array.
   */
  public double[] distribution(float[] logits, int off, int vocab, int[] history, int historyLength) {
    double total = filter(logits, off, vocab, history, historyLength);
    double[] p = Arrays.copyOf(probs, vocab);
    for (int j = 0; j < vocab; j++) p[j] /= total;
    return p;
  }

  /** Fills probs[0 .. vocab) with the unnormalised kept probabilities exp(x_j - max) and returns their sum. */
  private double filter(float[] logits, int off, int vocab, int[] history, int historyLength) {
    if (vocab < 1 || off < 0 || off + vocab > logits.length) {
      throw new IllegalArgumentException("sampler: a row of " + vocab + " logits at " + off + " does not fit in "
          + logits.length);
    }
    if (work.length < vocab) {
      work = new float[vocab];
      probs = new double[vocab];
      keys = new long[vocab];
      seen = new boolean[vocab];
      sorted = new float[vocab];
    }
    float[] x = work;
    System.arraycopy(logits, off, x, 0, vocab);
    // repetition penalty (CTRL / Hugging Face RepetitionPenaltyLogitsProcessor), once per distinct token
    double penalty = sampling.repetitionPenalty();
    if (penalty != 1 && history != null) {
      for (int i = 0; i < historyLength; i++) {
        int t = history[i];
        if (t < 0 || t >= vocab) {
          throw new IllegalArgumentException("sampler: history token " + t + " is outside the vocabulary [0, " + vocab + ")");
        }
        if (seen[t]) continue;
        seen[t] = true;
        x[t] = (float) (x[t] < 0 ? x[t] * penalty : x[t] / penalty);
      }
      for (int i = 0; i < historyLength; i++) seen[history[i]] = false;
    }
    // temperature: logits / τ
    double tau = sampling.temperature();
    if (tau != 1) for (int j = 0; j < vocab; j++) x[j] = (float) (x[j] / tau);
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < vocab; j++) if (x[j] > max) max = x[j];
    if (max == Float.NEGATIVE_INFINITY || Float.isNaN(max)) {
      throw new IllegalArgumentException("sampler: no token has a finite logit (max " + max + ")");
    }
    // top-k: drop logits below the k-th largest (ties with it stay)
    int k = sampling.topK();
    if (k > 0 && k < vocab) {
      float kth = kthLargest(x, vocab, k);
      for (int j = 0; j < vocab; j++) if (x[j] < kth) x[j] = Float.NEGATIVE_INFINITY;
    }
    double total = 0;
    for (int j = 0; j < vocab; j++) {
      probs[j] = x[j] == Float.NEGATIVE_INFINITY ? 0 : Math.exp((double) x[j] - max);
      total += probs[j];
    }
    // top-p: most likely first (ties: lower id first); keep while the mass before a token is < p
    double p = sampling.topP();
    if (p < 1) {
      int n = sortedKept(x, vocab);
      double before = 0;
      int i = 0;
      for (; i < n; i++) {
        int j = (int) keys[i];
        if (before >= p * total) break;
        before += probs[j];
      }
      for (; i < n; i++) {
        int j = (int) keys[i];
        total -= probs[j];
        probs[j] = 0;
      }
    }
    // min-p: keep p_j >= min_p * p_max, i.e. exp(x_j - max) >= min_p (the max has weight 1)
    double minP = sampling.minP();
    if (minP > 0) {
      total = 0;
      for (int j = 0; j < vocab; j++) {
        if (probs[j] < minP) probs[j] = 0;
        total += probs[j];
      }
    }
    return total;
  }

  /** Sorts the ids of the finite entries of x by value, largest first, ties to the lower id, into keys; returns how many. */
  private int sortedKept(float[] x, int vocab) {
    int n = 0;
    for (int j = 0; j < vocab; j++) {
      if (probs[j] == 0) continue;
      int b = Float.floatToIntBits(x[j]);
      b ^= (b >> 31) & 0x7fffffff; // signed-int order equals float order
      keys[n++] = ((long) ~b << 32) | j; // ascending keys = descending values, then ascending ids
    }
    Arrays.sort(keys, 0, n);
    for (int i = 0; i < n; i++) keys[i] &= 0xffffffffL;
    return n;
  }

  /** The k-th largest of x[0 .. n) (1 <= k < n), by sorting a copy of the values. */
  private float kthLargest(float[] x, int n, int k) {
    System.arraycopy(x, 0, sorted, 0, n);
    Arrays.sort(sorted, 0, n);
    return sorted[n - k];
  }
}
