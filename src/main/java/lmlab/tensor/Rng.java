package lmlab.tensor;

import lmlab.kernels.Parallel;

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
   * make, in the same order, leaving the generator where n calls would. Long masks are drawn in
   * chunks of {@link #CHUNK} elements over the {@link Parallel} pool: xoshiro's transition T is
   * linear over GF(2), so the state CHUNK draws ahead is J(T)·s with J(x) = x^CHUNK mod p(x), p the
   * minimal polynomial of T (256 generator steps per chunk, found serially); each chunk then draws
   * on its own with the state held in locals. The mask is the same whatever the thread count.
   */
  public void fillKeepMask(float[] m, int n, float p, float scale) {
    int chunks = (n + CHUNK - 1) / CHUNK;
    long[][] at = new long[Math.max(1, chunks)][];
    at[0] = new long[] {s0, s1, s2, s3};
    for (int k = 1; k < chunks; k++) at[k] = jump(at[k - 1], CHUNK_JUMP);
    if (chunks <= 1) {
      fill(m, 0, n, at[0], p, scale);
    } else {
      Parallel.forRange(chunks, 1, (from, to) -> {
        for (int k = from; k < to; k++) fill(m, k * CHUNK, Math.min(n, (k + 1) * CHUNK), at[k], p, scale);
      });
    }
    long[] end = at[Math.max(0, chunks - 1)]; // the last chunk's state after its draws
    s0 = end[0];
    s1 = end[1];
    s2 = end[2];
    s3 = end[3];
  }

  /** Draws [from, to) from state st (s0..s3), which is left after the last draw. */
  private static void fill(float[] m, int from, int to, long[] st, float p, float scale) {
    long a = st[0], b = st[1], c = st[2], d = st[3];
    for (int i = from; i < to; i++) {
      long result = Long.rotateLeft(b * 5, 7) * 9;
      long t = b << 17;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = Long.rotateLeft(d, 45);
      m[i] = (result >>> 40) * 0x1.0p-24f >= p ? scale : 0f;
    }
    st[0] = a;
    st[1] = b;
    st[2] = c;
    st[3] = d;
  }

  // ---------------------------------------------------------------- jumps (GF(2) polynomials as long[4], bit j = x^j)

  /** Draws per chunk of a parallel mask. */
  static final int CHUNK = 1 << 15;
  /** The low 256 coefficients of p(x) = x^256 + ..., the minimal polynomial of the transition. */
  private static final long[] MINIMAL = minimalPolynomial();
  private static final long[] CHUNK_JUMP = xPow(CHUNK);

  /** One transition of the state, in place. */
  private static void step(long[] st) {
    long t = st[1] << 17;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = Long.rotateLeft(st[3], 45);
  }

  /** J(T)·st = Σ_i J_i T^i st: the state n steps ahead when J = x^n mod p. */
  static long[] jump(long[] st, long[] poly) {
    long[] acc = new long[4];
    long[] t = st.clone();
    for (int i = 0; i < 256; i++) {
      if ((poly[i >>> 6] >>> (i & 63) & 1) != 0) {
        for (int w = 0; w < 4; w++) acc[w] ^= t[w];
      }
      step(t);
    }
    return acc;
  }

  /** x^n mod p. */
  static long[] xPow(long n) {
    long[] r = {1, 0, 0, 0};
    long[] base = {2, 0, 0, 0};
    for (long e = n; e > 0; e >>>= 1) {
      if ((e & 1) != 0) r = mulMod(r, base);
      base = mulMod(base, base);
    }
    return r;
  }

  /** a·b mod p (Horner over b's bits, high to low). */
  private static long[] mulMod(long[] a, long[] b) {
    long[] r = new long[4];
    for (int j = 255; j >= 0; j--) {
      long carry = r[3] >>> 63; // r·x: x^256 ≡ the low part of p
      r[3] = r[3] << 1 | r[2] >>> 63;
      r[2] = r[2] << 1 | r[1] >>> 63;
      r[1] = r[1] << 1 | r[0] >>> 63;
      r[0] <<= 1;
      if (carry != 0) for (int w = 0; w < 4; w++) r[w] ^= MINIMAL[w];
      if ((b[j >>> 6] >>> (j & 63) & 1) != 0) for (int w = 0; w < 4; w++) r[w] ^= a[w];
    }
    return r;
  }

  /**
   * Berlekamp–Massey on 512 output bits (the low bit of s0 along the orbit of a seeded state): the
   * generator's period is 2^256 − 1, so its transition's minimal polynomial has degree 256 and is
   * the linear recurrence of any nonzero bit sequence it produces.
   */
  private static long[] minimalPolynomial() {
    int n = 512;
    long[] st = {0x9E3779B97F4A7C15L, 0xBF58476D1CE4E5B9L, 0x94D049BB133111EBL, 1L};
    int[] s = new int[n];
    for (int k = 0; k < n; k++) {
      s[k] = (int) (st[0] & 1);
      step(st);
    }
    int[] c = new int[n + 1];
    int[] b = new int[n + 1];
    c[0] = 1;
    b[0] = 1;
    int len = 0;
    int shift = 1;
    for (int k = 0; k < n; k++) {
      int d = s[k];
      for (int i = 1; i <= len; i++) d ^= c[i] & s[k - i];
      if (d == 0) {
        shift++;
      } else if (2 * len <= k) {
        int[] prev = c.clone();
        for (int i = 0; i + shift <= n; i++) c[i + shift] ^= b[i];
        len = k + 1 - len;
        b = prev;
        shift = 1;
      } else {
        for (int i = 0; i + shift <= n; i++) c[i + shift] ^= b[i];
        shift++;
      }
    }
    if (len != 256) throw new IllegalStateException("xoshiro256 recurrence of degree " + len);
    long[] p = new long[4]; // p(x) = x^256 + Σ_{i=1..256} c_i x^{256-i}
    for (int i = 1; i <= 256; i++) {
      int j = 256 - i;
      if (c[i] != 0) p[j >>> 6] |= 1L << (j & 63);
    }
    return p;
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
