package lmlab.tensor;

/**
 * A seeded random generator (xoshiro256**, seeded through SplitMix64) whose whole state can be
 * saved and restored, so that a resumed run draws the same numbers as an uninterrupted one.
 * Not thread-safe: each user owns its generator.
 */
public final class Rng {
  private long s0, s1, s2, s3;
  private double spareGaussian;
  private boolean hasSpare;

  public Rng(long seed) {
    long x = seed;
    s0 = splitMix(x += 0x9E3779B97F4A7C15L);
    s1 = splitMix(x += 0x9E3779B97F4A7C15L);
    s2 = splitMix(x += 0x9E3779B97F4A7C15L);
    s3 = splitMix(x + 0x9E3779B97F4A7C15L);
  }

  private static long splitMix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  public long nextLong() {
    long result = Long.rotateLeft(s1 * 5, 7) * 9;
    long t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = Long.rotateLeft(s3, 45);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits. */
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  /**
   * m[i] = rng.nextFloat() >= p ? scale : 0 for i in [0, n): the draws {@link #nextFloat} would
   * make, in the same order, with the state held in locals (a call per element reloads and
   * stores the four state words each time). The draw's 24 bits u give u·2⁻²⁴ ≥ p exactly when
   * u ≥ ⌈p·2²⁴⌉ (p·2²⁴ is exact in float), so the keep test is an integer comparison whose sign
   * bit selects scale or 0 without a branch: a dropped element is a coin flip the branch
   * predictor misses, and the conversion to float each time is avoided.
   */
  public void fillKeepMask(float[] m, int n, float p, float scale) {
    long threshold = (long) Math.ceil(p * 0x1.0p24f);
    int scaleBits = Float.floatToRawIntBits(scale);
    long a = s0, b = s1, c = s2, d = s3;
    for (int i = 0; i < n; i++) {
      long result = Long.rotateLeft(b * 5, 7) * 9;
      long t = b << 17;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = Long.rotateLeft(d, 45);
      long keep = (threshold - 1 - (result >>> 40)) >> 63; // all ones when u >= threshold
      m[i] = Float.intBitsToFloat(scaleBits & (int) keep);
    }
    s0 = a;
    s1 = b;
    s2 = c;
    s3 = d;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform integer in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
    return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
  }

  /** Standard normal draw (Marsaglia's polar method, the spare kept for the next call). */
  public double nextGaussian() {
    if (hasSpare) {
      hasSpare = false;
      return spareGaussian;
    }
    double u, v, s;
    do {
      u = 2 * nextDouble() - 1;
      v = 2 * nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double m = Math.sqrt(-2 * Math.log(s) / s);
    spareGaussian = v * m;
    hasSpare = true;
    return u * m;
  }

  /** The full state, for checkpoints. */
  public long[] state() {
    return new long[] {s0, s1, s2, s3, Double.doubleToRawLongBits(spareGaussian), hasSpare ? 1 : 0};
  }

  /** Restores a state from {@link #state()}. */
  public void setState(long[] st) {
    if (st.length != 6) throw new IllegalArgumentException("Rng state must have 6 longs, got " + st.length);
    s0 = st[0];
    s1 = st[1];
    s2 = st[2];
    s3 = st[3];
    spareGaussian = Double.longBitsToDouble(st[4]);
    hasSpare = st[5] != 0;
  }
}
