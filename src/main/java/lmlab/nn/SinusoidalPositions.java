package lmlab.nn;

import lmlab.tensor.Tensor;

/**
 * The fixed sinusoidal table (Vaswani et al.), not trained and not in the state dict:
 * {@code PE(pos, 2k) = sin(pos / 10000^(2k/d))}, {@code PE(pos, 2k+1) = cos(pos / 10000^(2k/d))};
 * an odd d ends with a sin column. Any sequence length; rows are computed in double and cached.
 */
public final class SinusoidalPositions extends Positions {
  private final int d;
  private Tensor cache = null; // (n, d), grown on demand

  public SinusoidalPositions(int d) {
    if (d < 1) throw new IllegalArgumentException("SinusoidalPositions(" + d + "): width must be >= 1");
    this.d = d;
  }

  /** The table (S, d) for positions 0 .. S-1. */
  public static Tensor compute(int s, int d) {
    if (s < 0 || d < 1) throw new IllegalArgumentException("sinusoidal table (S " + s + ", d " + d + "): need S >= 0, d >= 1");
    float[] pe = new float[Math.multiplyExact(s, d)];
    for (int i = 0; i < d; i++) {
      int twoK = i - (i & 1);
      double invFreq = Math.pow(10000.0, -(double) twoK / d); // 10000^(-2k/d)
      for (int pos = 0; pos < s; pos++) {
        double angle = pos * invFreq;
        pe[pos * d + i] = (float) ((i & 1) == 0 ? Math.sin(angle) : Math.cos(angle));
      }
    }
    return Tensor.of(pe, s, d);
  }

  @Override
  public synchronized Tensor table(int start, int length) {
    if (start < 0 || length < 0) {
      throw new IllegalArgumentException("positions [" + start + ", " + (start + length) + ") are out of range");
    }
    int end = Math.addExact(start, length);
    if (cache == null || cache.size(0) < end) cache = compute(Math.max(end, cache == null ? 0 : 2 * cache.size(0)), d);
    return cache.narrow(0, start, length);
  }

  @Override
  public int dim() {
    return d;
  }
}
