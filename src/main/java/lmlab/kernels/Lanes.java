package lmlab.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Deterministic lane math: a fixed-order lane sum and exp, tanh, log built only from exactly
 * specified operations (lanewise add/sub/mul/div/fma/min/max, compares, blends, conversions and
 * bit operations), so a result is the same bits whether HotSpot runs the code interpreted, C1 or
 * C2. {@code reduceLanes(ADD)} and {@code lanewise(EXP/TANH/LOG)} are not: their intrinsics and
 * their Java fallbacks round differently, which breaks bit-exact resume of a training run.
 *
 * <p>Each vector function has a scalar twin doing the same operations in the same order, so a
 * scalar tail gives bit-identical results to a vector lane. exp is Cephes expf (Cody-Waite
 * reduction with fma, degree-5 polynomial, scale by 2^n in two halves so subnormal results round
 * once); log is Cephes logf; tanh is Cephes tanhf (odd polynomial below 0.625, else
 * 1 - 2/(e^(2|x|) + 1)). All stay within 2 ulp of the exact result over the float range (see
 * LanesTest).
 */
public final class Lanes {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  private static final int LF = F.length();
  private static final int LD = D.length();
  /** FXk maps lane i to lane i ^ k in the preferred float species (null when k >= its length). */
  private static final VectorShuffle<Float> FX8 = xor(F, 8);
  private static final VectorShuffle<Float> FX4 = xor(F, 4);
  private static final VectorShuffle<Float> FX2 = xor(F, 2);
  private static final VectorShuffle<Float> FX1 = xor(F, 1);
  private static final VectorShuffle<Double> DX4 = xor(D, 4);
  private static final VectorShuffle<Double> DX2 = xor(D, 2);
  private static final VectorShuffle<Double> DX1 = xor(D, 1);

  // exp
  private static final float LOG2E = 1.44269504088896341f;
  private static final float LN2_HI = 0.693359375f;
  private static final float LN2_LO = -2.12194440e-4f;
  private static final float EXP_MAX = 89f; // above ln(FLT_MAX) = 88.72: the result overflows to inf
  private static final float EXP_MIN = -104f; // below ln(2^-150) = -103.97: the result rounds to 0
  private static final float ROUND_MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer
  private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
  private static final float E5 = 1.9875691500e-4f;
  private static final float E4 = 1.3981999507e-3f;
  private static final float E3 = 8.3334519073e-3f;
  private static final float E2 = 4.1665795894e-2f;
  private static final float E1 = 1.6666665459e-1f;
  private static final float E0 = 5.0000001201e-1f;

  // tanh
  private static final float TANH_SMALL = 0.625f;
  private static final float T4 = -5.70498872745e-3f;
  private static final float T3 = 2.06390887954e-2f;
  private static final float T2 = -5.37397155531e-2f;
  private static final float T1 = 1.33314422036e-1f;
  private static final float T0 = -3.33332819422e-1f;

  // log
  private static final float SQRTHF = 0.707106781186547524f;
  private static final float TWO23 = 8388608f;
  private static final float L8 = 7.0376836292e-2f;
  private static final float L7 = -1.1514610310e-1f;
  private static final float L6 = 1.1676998740e-1f;
  private static final float L5 = -1.2420140846e-1f;
  private static final float L4 = 1.4249322787e-1f;
  private static final float L3 = -1.6668057665e-1f;
  private static final float L2 = 2.0000714765e-1f;
  private static final float L1 = -2.4999993993e-1f;
  private static final float L0 = 3.3333331174e-1f;

  private static final int SIGN = 0x80000000;
  private static final int MANTISSA = 0x007fffff;
  private static final int HALF_EXP = 0x3f000000; // exponent bits of [0.5, 1)

  static {
    InlineDirective.install(); // keeps the vectors of these helpers in registers (see there)
  }

  private Lanes() {}

  private static <E> VectorShuffle<E> xor(VectorSpecies<E> s, int k) {
    return k < s.length() ? VectorShuffle.fromOp(s, i -> i ^ k) : null;
  }

  // ---------------------------------------------------------------- sums

  /**
   * Σ of the lanes in a fixed tree order: lane i += lane i ^ (L/2), then i ^ (L/4), ..., i ^ 1;
   * the answer is lane 0. For L = 4: (v0 + v2) + (v1 + v3).
   */
  public static float sum(FloatVector v) {
    if (v.species() != F) return sumAnySpecies(v);
    if (LF > 16) return sumAnySpecies(v);
    if (LF > 8) v = v.add(v.rearrange(FX8));
    if (LF > 4) v = v.add(v.rearrange(FX4));
    if (LF > 2) v = v.add(v.rearrange(FX2));
    if (LF > 1) v = v.add(v.rearrange(FX1));
    return v.lane(0);
  }

  private static float sumAnySpecies(FloatVector v) {
    for (int k = v.length() >> 1; k >= 1; k >>= 1) v = v.add(v.rearrange(xor(v.species(), k)));
    return v.lane(0);
  }

  /** Σ of the lanes of a double vector in the fixed tree order of {@link #sum(FloatVector)}. */
  public static double sum(DoubleVector v) {
    if (v.species() != D || LD > 8) {
      for (int k = v.length() >> 1; k >= 1; k >>= 1) v = v.add(v.rearrange(xor(v.species(), k)));
      return v.lane(0);
    }
    if (LD > 4) v = v.add(v.rearrange(DX4));
    if (LD > 2) v = v.add(v.rearrange(DX2));
    if (LD > 1) v = v.add(v.rearrange(DX1));
    return v.lane(0);
  }

  /** The reference order of {@link #sum(DoubleVector)} on an array of a power-of-two length. */
  public static double treeSum(double[] a) {
    double[] v = a.clone();
    int l = v.length;
    for (int k = l >> 1; k >= 1; k >>= 1) {
      double[] w = new double[l];
      for (int i = 0; i < l; i++) w[i] = v[i] + v[i ^ k];
      v = w;
    }
    return v[0];
  }

  /** The reference order of {@link #sum(FloatVector)} on an array of a power-of-two length. */
  public static float treeSum(float[] a) {
    float[] v = a.clone();
    int l = v.length;
    for (int k = l >> 1; k >= 1; k >>= 1) {
      float[] w = new float[l];
      for (int i = 0; i < l; i++) w[i] = v[i] + v[i ^ k];
      v = w;
    }
    return v[0];
  }

  // ---------------------------------------------------------------- exp

  /** e^x per lane: -inf -> 0, +inf -> inf, NaN -> NaN, subnormal results rounded once. */
  public static FloatVector exp(FloatVector x) {
    FloatVector c = x.max(EXP_MIN).min(EXP_MAX); // NaN stays NaN
    FloatVector t = c.fma(c.broadcast(LOG2E), c.broadcast(ROUND_MAGIC)); // round(c log2 e) + magic
    FloatVector n = t.sub(ROUND_MAGIC);
    FloatVector r = n.fma(c.broadcast(-LN2_HI), c);
    r = n.fma(c.broadcast(-LN2_LO), r);
    FloatVector p = r.mul(E5).add(E4);
    p = p.fma(r, r.broadcast(E3)).fma(r, r.broadcast(E2)).fma(r, r.broadcast(E1)).fma(r, r.broadcast(E0));
    FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
    IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS); // n as an integer, -150..129
    IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
    IntVector n2 = ni.sub(n1);
    FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    return y.mul(s1).mul(s2);
  }

  /**
   * exp x per lane for x ≤ 0 — a softmax's s − max — in fewer steps than {@link #exp(FloatVector)}:
   * one clamp (a compare, not max/min with their NaN and −0 rules) and one scale 2^n, which is
   * normal for n ≥ −126. The same bits as exp where round(x·log2 e) ≥ −126 (x above about −87.3);
   * below, 0 where exp gives a subnormal under 2^−126; −∞ → 0, NaN → NaN. x > 0 is not handled.
   */
  public static FloatVector expNonPositive(FloatVector x) {
    FloatVector c = x.blend(x.broadcast(-88f), x.compare(VectorOperators.LT, -88f)); // n = −127: scale 0
    FloatVector t = c.fma(c.broadcast(LOG2E), c.broadcast(ROUND_MAGIC));
    FloatVector n = t.sub(ROUND_MAGIC);
    FloatVector r = n.fma(c.broadcast(-LN2_HI), c);
    r = n.fma(c.broadcast(-LN2_LO), r);
    FloatVector p = r.mul(E5).add(E4);
    p = p.fma(r, r.broadcast(E3)).fma(r, r.broadcast(E2)).fma(r, r.broadcast(E1)).fma(r, r.broadcast(E0));
    FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
    IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS - 127); // n + 127, 0..127
    return y.mul(ni.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats());
  }

  /** The scalar twin of {@link #exp(FloatVector)}: the same bits as a lane of it. */
  public static float exp(float x) {
    float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
    float t = Math.fma(c, LOG2E, ROUND_MAGIC);
    float n = t - ROUND_MAGIC;
    float r = Math.fma(n, -LN2_HI, c);
    r = Math.fma(n, -LN2_LO, r);
    float p = r * E5 + E4;
    p = Math.fma(p, r, E3);
    p = Math.fma(p, r, E2);
    p = Math.fma(p, r, E1);
    p = Math.fma(p, r, E0);
    float y = p * (r * r) + r + 1f;
    int ni = Float.floatToRawIntBits(t) - ROUND_MAGIC_BITS;
    int n1 = ni >> 1;
    int n2 = ni - n1;
    return y * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
  }

  // ---------------------------------------------------------------- tanh

  /** tanh x per lane: odd (tanh(-0) = -0), ±inf -> ±1, NaN -> NaN. */
  public static FloatVector tanh(FloatVector x) {
    FloatVector a = x.abs();
    // |x| < 0.625: a + a z P(z), z = a^2
    FloatVector z = a.mul(a);
    FloatVector p = z.mul(T4).add(T3);
    p = p.fma(z, z.broadcast(T2)).fma(z, z.broadcast(T1)).fma(z, z.broadcast(T0));
    FloatVector small = p.mul(z).fma(a, a);
    // else 1 - 2 / (e^(2a) + 1)
    FloatVector large = a.broadcast(2f).div(exp(a.add(a)).add(1f)).neg().add(1f);
    FloatVector y = large.blend(small, a.compare(VectorOperators.LT, TANH_SMALL));
    IntVector sign = x.reinterpretAsInts().and(SIGN);
    return y.reinterpretAsInts().or(sign).reinterpretAsFloats();
  }

  /** The scalar twin of {@link #tanh(FloatVector)}. */
  public static float tanh(float x) {
    float a = Math.abs(x);
    float y;
    if (a < TANH_SMALL) {
      float z = a * a;
      float p = z * T4 + T3;
      p = Math.fma(p, z, T2);
      p = Math.fma(p, z, T1);
      p = Math.fma(p, z, T0);
      y = Math.fma(p * z, a, a);
    } else {
      y = 1f - 2f / (exp(a + a) + 1f); // NaN lands here and stays NaN
    }
    return Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & SIGN));
  }

  // ---------------------------------------------------------------- log

  /** ln x per lane: log(±0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN -> NaN; subnormals exact. */
  public static FloatVector log(FloatVector x) {
    VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
    FloatVector xs = x.blend(x.mul(TWO23), sub); // subnormals made normal
    IntVector bits = xs.reinterpretAsInts();
    FloatVector e = (FloatVector) bits.lanewise(VectorOperators.LSHR, 23).sub(126).convert(VectorOperators.I2F, 0);
    e = e.blend(e.sub(23f), sub);
    FloatVector m = bits.and(MANTISSA).or(HALF_EXP).reinterpretAsFloats(); // [0.5, 1)
    VectorMask<Float> lo = m.compare(VectorOperators.LT, SQRTHF);
    e = e.blend(e.sub(1f), lo);
    m = m.sub(1f).blend(m.add(m).sub(1f), lo); // m in [sqrt(1/2) - 1, sqrt 2 - 1)
    FloatVector z = m.mul(m);
    FloatVector p = m.mul(L8).add(L7);
    p = p.fma(m, m.broadcast(L6)).fma(m, m.broadcast(L5)).fma(m, m.broadcast(L4)).fma(m, m.broadcast(L3))
        .fma(m, m.broadcast(L2)).fma(m, m.broadcast(L1)).fma(m, m.broadcast(L0));
    FloatVector y = p.mul(m).mul(z);
    y = e.fma(m.broadcast(LN2_LO), y);
    y = z.fma(m.broadcast(-0.5f), y);
    FloatVector r = m.add(y);
    r = e.fma(m.broadcast(LN2_HI), r);
    r = r.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY)); // inf
    r = r.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f)); // ±0
    return r.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.test(VectorOperators.IS_NAN)));
  }

  /** The scalar twin of {@link #log(FloatVector)}. */
  public static float log(float x) {
    if (!(x > 0f)) return x == 0f ? Float.NEGATIVE_INFINITY : Float.NaN;
    if (x == Float.POSITIVE_INFINITY) return x;
    boolean sub = x < Float.MIN_NORMAL;
    float xs = sub ? x * TWO23 : x;
    int bits = Float.floatToRawIntBits(xs);
    float e = (float) ((bits >>> 23) - 126);
    if (sub) e = e - 23f;
    float m = Float.intBitsToFloat((bits & MANTISSA) | HALF_EXP);
    if (m < SQRTHF) {
      e = e - 1f;
      m = m + m - 1f;
    } else {
      m = m - 1f;
    }
    float z = m * m;
    float p = m * L8 + L7;
    p = Math.fma(p, m, L6);
    p = Math.fma(p, m, L5);
    p = Math.fma(p, m, L4);
    p = Math.fma(p, m, L3);
    p = Math.fma(p, m, L2);
    p = Math.fma(p, m, L1);
    p = Math.fma(p, m, L0);
    float y = p * m * z;
    y = Math.fma(e, LN2_LO, y);
    y = Math.fma(z, -0.5f, y);
    float r = m + y;
    return Math.fma(e, LN2_HI, r);
  }
}
