package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.autograd.Autograd;

/**
 * Unary math: exp, log, sqrt, rsqrt, abs, clamp, square, pow(float). Each is a forward span
 * kernel and a backward kernel (saved input or output, upstream g) -> dL/dx.
 */
final class UnaryMath {
  private static final VectorSpecies<Float> F = VectorMath.F;

  private UnaryMath() {}

  /** y = e^x.  dx = g * y. */
  static Tensor exp(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::expK);
    Tensor y = out.detach();
    return Autograd.record("exp", out, g -> new Tensor[] {Elementwise.mul(g, y)}, x);
  }

  /** y = ln x.  dx = g / x. */
  static Tensor log(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::logK);
    return Autograd.record("log", out, g -> new Tensor[] {Elementwise.div(g, x)}, x);
  }

  /** y = sqrt(x).  dx = g / (2 y). */
  static Tensor sqrt(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::sqrtK);
    Tensor y = out.detach();
    return Autograd.record("sqrt", out, g -> new Tensor[] {Pointwise.map2(y, g, UnaryMath::sqrtBackK)}, x);
  }

  /** y = 1 / sqrt(x).  dx = -g * y^3 / 2. */
  static Tensor rsqrt(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::rsqrtK);
    Tensor y = out.detach();
    return Autograd.record("rsqrt", out, g -> new Tensor[] {Pointwise.map2(y, g, UnaryMath::rsqrtBackK)}, x);
  }

  /** y = |x|.  dx = g * sign(x), 0 at x = 0. */
  static Tensor abs(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::absK);
    return Autograd.record("abs", out, g -> new Tensor[] {Pointwise.map2(x, g, UnaryMath::absBackK)}, x);
  }

  /**
   * y = min(max(x, lo), hi).  dx = g where lo <= x <= hi (bounds included, as PyTorch), else 0.
   * Either bound may be infinite.
   */
  static Tensor clamp(Tensor x, float lo, float hi) {
    if (Float.isNaN(lo) || Float.isNaN(hi) || lo > hi) {
      throw new IllegalArgumentException("clamp: need min <= max, got min " + lo + ", max " + hi);
    }
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> clampK(xs, xo, lo, hi, o, oo, n));
    return Autograd.record("clamp", out, g -> new Tensor[] {Comparisons.passInRange(x, g, lo, hi)}, x);
  }

  /** y = x^2.  dx = 2 x g. */
  static Tensor square(Tensor x) {
    Tensor out = Pointwise.map(x, UnaryMath::squareK);
    return Autograd.record("square", out, g -> new Tensor[] {Pointwise.map2(x, g, UnaryMath::squareBackK)}, x);
  }

  /** y = x^p.  dx = p x^(p-1) g (0 when p == 0). */
  static Tensor pow(Tensor x, float p) {
    if (p == 2f) return square(x);
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> powK(xs, xo, p, o, oo, n));
    return Autograd.record("pow_scalar", out,
        g -> new Tensor[] {Pointwise.map2(x, g, (xs, xo, gs, go, o, oo, n) -> powBackK(xs, xo, gs, go, p, o, oo, n))},
        x);
  }

  // ---------------------------------------------------------------- forward kernels

  static void expK(float[] x, int xo, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      Lanes.exp(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
    }
    if (i < n) Pointwise.tail(x, xo + i, o, oo + i, n - i, UnaryMath::expK);
  }

  static void logK(float[] x, int xo, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      Lanes.log(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
    }
    if (i < n) Pointwise.tail(x, xo + i, o, oo + i, n - i, UnaryMath::logK);
  }

  static void sqrtK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) Math.sqrt(x[xo + i]);
  }

  static void rsqrtK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) (1.0 / Math.sqrt(x[xo + i]));
  }

  static void absK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = Math.abs(x[xo + i]);
  }

  /** min(max(x, lo), hi); vector max/min follow Math.max/min (NaN stays NaN) */
  static void clampK(float[] x, int xo, float lo, float hi, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector.fromArray(F, x, xo + i).max(lo).min(hi).intoArray(o, oo + i);
    }
    for (; i < n; i++) o[oo + i] = Math.min(Math.max(x[xo + i], lo), hi);
  }

  static void squareK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] * x[xo + i];
  }

  static void powK(float[] x, int xo, float p, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) Math.pow(x[xo + i], p);
  }

  // ---------------------------------------------------------------- backward kernels (saved, g)

  /** g / (2 y) */
  static void sqrtBackK(float[] y, int yo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = g[go + i] * 0.5f / y[yo + i];
  }

  /** -g y^3 / 2 */
  static void rsqrtBackK(float[] y, int yo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      float v = y[yo + i];
      o[oo + i] = -0.5f * g[go + i] * v * v * v;
    }
  }

  /** g sign(x) */
  static void absBackK(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = g[go + i] * Math.signum(x[xo + i]);
  }

  /** 2 x g */
  static void squareBackK(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = 2f * x[xo + i] * g[go + i];
  }

  /** p x^(p-1) g */
  static void powBackK(float[] x, int xo, float[] g, int go, float p, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      o[oo + i] = p == 0f ? 0f : (float) (p * Math.pow(x[xo + i], p - 1.0) * g[go + i]);
    }
  }
}
