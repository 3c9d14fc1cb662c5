package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.autograd.Autograd;

/**
 * The activations of layers.md: tanh, sigmoid, relu, gelu (exact, erf), gelu_tanh, silu, slide.
 * Each is a forward kernel and a fused backward kernel (one pass over the saved tensor and g).
 * The transcendental ones run on the Vector API (GELU's in {@link GeluKernels}).
 */
final class Activations {
  private static final VectorSpecies<Float> F = VectorMath.F;

  private Activations() {}

  /** y = tanh x.  dx = g (1 - y^2). */
  static Tensor tanh(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::tanhK);
    Tensor y = out.detach();
    return Autograd.record("tanh", out, g -> new Tensor[] {Pointwise.map2(y, g, Activations::tanhBackK)}, x);
  }

  /** y = 1 / (1 + e^-x).  dx = g y (1 - y). */
  static Tensor sigmoid(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::sigmoidK);
    Tensor y = out.detach();
    return Autograd.record("sigmoid", out, g -> new Tensor[] {Pointwise.map2(y, g, Activations::sigmoidBackK)}, x);
  }

  /** y = max(0, x).  dx = g where x > 0 (0 at 0), i.e. where MIN_VALUE <= x. */
  static Tensor relu(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::reluK);
    return Autograd.record("relu", out,
        g -> new Tensor[] {Comparisons.passInRange(x, g, Float.MIN_VALUE, Float.POSITIVE_INFINITY)}, x);
  }

  /** y = x Phi(x) = x/2 (1 + erf(x / sqrt 2)).  dx = g (Phi(x) + x phi(x)), phi the normal pdf. */
  static Tensor gelu(Tensor x) {
    return withSlope("gelu", x, GeluKernels::exactWithSlope);
  }

  /**
   * y = x/2 (1 + t), t = tanh(k (x + c x^3)), k = sqrt(2/pi), c = 0.044715.
   * dx = g (1/2 (1 + t) + x/2 (1 - t^2) k (1 + 3 c x^2)).
   */
  static Tensor geluTanh(Tensor x) {
    return withSlope("gelu_tanh", x, GeluKernels::tanhWithSlope);
  }

  /** y[yo..yo+n) = f(x[xo..xo+n)) and slope[so..so+n) = f'(x) of the same elements. */
  @FunctionalInterface
  interface WithSlope {
    void run(float[] x, int xo, float[] y, int yo, float[] slope, int so, int n);
  }

  /**
   * y = f(x), dx = g f'(x), with f'(x) computed by the forward pass and kept for the backward:
   * the slope shares most of its work with f (GELU's erf or tanh), so the backward becomes one
   * multiply instead of a second evaluation, for one more activation-sized buffer.
   */
  private static Tensor withSlope(String op, Tensor x, WithSlope f) {
    Tensor xd = Pointwise.dense(x);
    int n = xd.numel();
    float[] src = xd.storage();
    int xo = xd.offset();
    float[] y = Arena.scratch(n);
    float[] slope = Arena.scratch(n);
    lmlab.kernels.Parallel.forRange(n, Pointwise.GRAIN, (from, to) -> f.run(src, xo + from, y, from, slope, from, to - from));
    Tensor s = Tensor.wrap(slope, x.shape());
    return Autograd.record(op, Tensor.wrap(y, x.shape()), g -> new Tensor[] {Pointwise.map2(g, s,
        (gs, go, ss, so, o, oo, k) -> Elementwise.mulK(gs, go, 1, ss, so, 1, o, oo, k))}, x);
  }

  /** y = x s(x), s the sigmoid.  dx = g s (1 + x (1 - s)). */
  static Tensor silu(Tensor x) {
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> siluK(xs, xo, xs, xo, 0f, o, oo, n));
    return Autograd.record("silu", out, g -> new Tensor[] {Pointwise.map2(x, g,
        (xs, xo, gs, go, o, oo, n) -> siluK(xs, xo, gs, go, 1f, o, oo, n))}, x);
  }

  /** y = min(1, max(0, x)).  dx = g on the closed interval 0 <= x <= 1, else 0. */
  static Tensor slide(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::slideK);
    return Autograd.record("slide", out, g -> new Tensor[] {Comparisons.passInRange(x, g, 0f, 1f)}, x);
  }

  /**
   * y = softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so that neither e^x
   * overflows nor a large x loses its digits.  dx = g sigmoid(x).
   */
  static Tensor softplus(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::softplusK);
    return Autograd.record("softplus", out, g -> new Tensor[] {Pointwise.map2(x, g, Activations::softplusBackK)}, x);
  }

  /** y = logsigmoid(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|).  dx = g sigmoid(-x). */
  static Tensor logSigmoid(Tensor x) {
    Tensor out = Pointwise.map(x, Activations::logSigmoidK);
    return Autograd.record("logsigmoid", out, g -> new Tensor[] {Pointwise.map2(x, g, Activations::logSigmoidBackK)}, x);
  }

  // ---------------------------------------------------------------- span kernels
  // Vector API loop bodies call nothing but the Vector API and lmlab.kernels.Lanes (always inlined), so no
  // vector leaves a register;
  // a span's tail runs the same body once more on zero-padded copies, so that every element gets
  // the same formula wherever the span boundaries fall (results do not depend on thread count).

  static void tanhK(float[] x, int xo, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      Lanes.tanh(FloatVector.fromArray(F, x, xo + i)).intoArray(o, oo + i);
    }
    if (i < n) Pointwise.tail(x, xo + i, o, oo + i, n - i, Activations::tanhK);
  }

  static void sigmoidK(float[] x, int xo, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      v.broadcast(1f).div(Lanes.exp(v.neg()).add(1f)).intoArray(o, oo + i);
    }
    if (i < n) Pointwise.tail(x, xo + i, o, oo + i, n - i, Activations::sigmoidK);
  }

  /**
   * out = p (s + k x s (1 - s)), s = sigmoid(x).  Forward silu: p = x, k = 0 (x s).
   * Backward: p = g, k = 1 (g s (1 + x (1 - s))).
   */
  static void siluK(float[] x, int xo, float[] p, int po, float k, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      FloatVector s = v.broadcast(1f).div(Lanes.exp(v.neg()).add(1f));
      FloatVector slope = v.mul(s).mul(s.neg().add(1f)).mul(k);
      FloatVector.fromArray(F, p, po + i).mul(s.add(slope)).intoArray(o, oo + i);
    }
    if (i < n) {
      float[] out = new float[F.length()];
      siluK(Pointwise.lanes(x, xo + i, n - i), 0, Pointwise.lanes(p, po + i, n - i), 0, k, out, 0, F.length());
      System.arraycopy(out, 0, o, oo + i, n - i);
    }
  }

  static void reluK(float[] x, int xo, float[] o, int oo, int n) {
    UnaryMath.clampK(x, xo, 0f, Float.POSITIVE_INFINITY, o, oo, n);
  }

  static void slideK(float[] x, int xo, float[] o, int oo, int n) {
    UnaryMath.clampK(x, xo, 0f, 1f, o, oo, n);
  }

  /** g (1 - y^2) */
  static void tanhBackK(float[] y, int yo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      float v = y[yo + i];
      o[oo + i] = g[go + i] * (1f - v * v);
    }
  }

  /** g y (1 - y) */
  static void sigmoidBackK(float[] y, int yo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      float v = y[yo + i];
      o[oo + i] = g[go + i] * v * (1f - v);
    }
  }

  static void softplusK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      double v = x[xo + i];
      o[oo + i] = (float) (Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))));
    }
  }

  /** g sigmoid(x) */
  static void softplusBackK(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) (g[go + i] / (1 + Math.exp(-(double) x[xo + i])));
  }

  static void logSigmoidK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      double v = x[xo + i];
      o[oo + i] = (float) (Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))));
    }
  }

  /** g sigmoid(-x) */
  static void logSigmoidBackK(float[] x, int xo, float[] g, int go, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) (g[go + i] / (1 + Math.exp((double) x[xo + i])));
  }
}
