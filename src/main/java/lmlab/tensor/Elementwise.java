package lmlab.tensor;

import lmlab.autograd.Autograd;

/**
 * Binary arithmetic with NumPy broadcasting (add, sub, mul, div, pow, maximum, minimum) and the
 * tensor-scalar forms, each a forward kernel plus its backward rule. Backward rules may return
 * gradients of the broadcast output shape; the engine sums them down to each input's shape.
 *
 * <p>Kernels are plain loops over spans whose strides are 0 or 1 (see {@link Pointwise}); the
 * JIT vectorises the unit-stride and scalar-broadcast loops of the hot ops.
 */
final class Elementwise {
  private Elementwise() {}

  // ---------------------------------------------------------------- tensor (op) tensor

  /** out = a + b.  da = g, db = g. */
  static Tensor add(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("add", a, b, Elementwise::addK);
    return Autograd.record("add", out, g -> new Tensor[] {g, g}, a, b);
  }

  /** out = a - b.  da = g, db = -g. */
  static Tensor sub(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("sub", a, b, Elementwise::subK);
    return Autograd.record("sub", out, g -> new Tensor[] {g, neg(g)}, a, b);
  }

  /** out = a * b.  da = g * b, db = g * a. */
  static Tensor mul(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("mul", a, b, Elementwise::mulK);
    return Autograd.record("mul", out, g -> new Tensor[] {
        a.requiresGrad() ? mul(g, b) : null,
        b.requiresGrad() ? mul(g, a) : null}, a, b);
  }

  /** out = a / b.  da = g / b, db = -g * a / b^2 = -(g * out) / b. */
  static Tensor div(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("div", a, b, Elementwise::divK);
    Tensor y = out.detach();
    return Autograd.record("div", out, g -> new Tensor[] {
        a.requiresGrad() ? div(g, b) : null,
        b.requiresGrad() ? neg(div(mul(g, y), b)) : null}, a, b);
  }

  /**
   * out = a ^ b.  da = g * b * a^(b-1) (0 where b == 0), db = g * a^b * ln(a) (0 where a == 0 and
   * b >= 0), PyTorch's conventions.
   */
  static Tensor pow(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("pow", a, b, Elementwise::powK);
    return Autograd.record("pow", out, g -> new Tensor[] {
        a.requiresGrad() ? mul(g, Pointwise.zip("pow", a, b, Elementwise::powDBaseK)) : null,
        b.requiresGrad() ? mul(g, Pointwise.zip("pow", a, b, Elementwise::powDExpK)) : null}, a, b);
  }

  /** out = max(a, b).  The gradient goes to the larger input; ties split it half and half. */
  static Tensor maximum(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("maximum", a, b, Elementwise::maxK);
    return Autograd.record("maximum", out, g -> {
      Tensor wa = Pointwise.zip("maximum", a, b, Elementwise::maxShareK); // 1, 1/2 or 0
      return new Tensor[] {mul(g, wa), mul(g, rsub(wa, 1f))};
    }, a, b);
  }

  /** out = min(a, b).  The gradient goes to the smaller input; ties split it half and half. */
  static Tensor minimum(Tensor a, Tensor b) {
    Tensor out = Pointwise.zip("minimum", a, b, Elementwise::minK);
    return Autograd.record("minimum", out, g -> {
      Tensor wa = Pointwise.zip("minimum", b, a, Elementwise::maxShareK); // a's share: b > a
      return new Tensor[] {mul(g, wa), mul(g, rsub(wa, 1f))};
    }, a, b);
  }

  // ---------------------------------------------------------------- tensor (op) scalar

  /** out = x + s.  dx = g. */
  static Tensor add(Tensor x, float s) {
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> addS(xs, xo, s, o, oo, n));
    return Autograd.record("add_scalar", out, g -> new Tensor[] {g}, x);
  }

  /** out = x - s.  dx = g. */
  static Tensor sub(Tensor x, float s) {
    return add(x, -s);
  }

  /** out = s - x.  dx = -g. */
  static Tensor rsub(Tensor x, float s) {
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> rsubS(xs, xo, s, o, oo, n));
    return Autograd.record("rsub_scalar", out, g -> new Tensor[] {neg(g)}, x);
  }

  /** out = x * s.  dx = g * s. */
  static Tensor mul(Tensor x, float s) {
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> mulS(xs, xo, s, o, oo, n));
    return Autograd.record("mul_scalar", out, g -> new Tensor[] {mul(g, s)}, x);
  }

  /** out = x / s.  dx = g / s. */
  static Tensor div(Tensor x, float s) {
    Tensor out = Pointwise.map(x, (xs, xo, o, oo, n) -> divS(xs, xo, s, o, oo, n));
    return Autograd.record("div_scalar", out, g -> new Tensor[] {div(g, s)}, x);
  }

  /** out = -x.  dx = -g. */
  static Tensor neg(Tensor x) {
    Tensor out = Pointwise.map(x, Elementwise::negK);
    return Autograd.record("neg", out, g -> new Tensor[] {neg(g)}, x);
  }

  // ---------------------------------------------------------------- span kernels

  static void addK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    if (sb == 0) {
      float y = b[bo];
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + y; // sa is 1, or 0 with n == 1
    } else if (sa == 0) {
      float x = a[ao];
      for (int i = 0; i < n; i++) o[oo + i] = x + b[bo + i];
    } else {
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] + b[bo + i];
    }
  }

  static void subK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    if (sb == 0) {
      float y = b[bo];
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - y; // sa is 1, or 0 with n == 1
    } else if (sa == 0) {
      float x = a[ao];
      for (int i = 0; i < n; i++) o[oo + i] = x - b[bo + i];
    } else {
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] - b[bo + i];
    }
  }

  static void mulK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    if (sb == 0) {
      float y = b[bo];
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * y; // sa is 1, or 0 with n == 1
    } else if (sa == 0) {
      float x = a[ao];
      for (int i = 0; i < n; i++) o[oo + i] = x * b[bo + i];
    } else {
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
    }
  }

  static void divK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    if (sb == 0) {
      float y = b[bo];
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / y; // sa is 1, or 0 with n == 1
    } else if (sa == 0) {
      float x = a[ao];
      for (int i = 0; i < n; i++) o[oo + i] = x / b[bo + i];
    } else {
      for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] / b[bo + i];
    }
  }

  static void powK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = (float) Math.pow(a[ao + i * sa], b[bo + i * sb]);
  }

  /** d(a^b)/da = b * a^(b-1), 0 where b == 0. */
  static void powDBaseK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      double x = a[ao + i * sa];
      double y = b[bo + i * sb];
      o[oo + i] = y == 0 ? 0f : (float) (y * Math.pow(x, y - 1));
    }
  }

  /** d(a^b)/db = a^b * ln(a), 0 where a == 0 and b >= 0. */
  static void powDExpK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      double x = a[ao + i * sa];
      double y = b[bo + i * sb];
      o[oo + i] = x == 0 && y >= 0 ? 0f : (float) (Math.pow(x, y) * Math.log(x));
    }
  }

  static void maxK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = Math.max(a[ao + i * sa], b[bo + i * sb]);
  }

  static void minK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = Math.min(a[ao + i * sa], b[bo + i * sb]);
  }

  /** a's share of the gradient of max(a, b): 1 if a > b, 1/2 on a tie, else 0. */
  static void maxShareK(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) {
      float x = a[ao + i * sa];
      float y = b[bo + i * sb];
      o[oo + i] = x > y ? 1f : x == y ? 0.5f : 0f;
    }
  }

  static void addS(float[] x, int xo, float s, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] + s;
  }

  static void rsubS(float[] x, int xo, float s, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = s - x[xo + i];
  }

  static void mulS(float[] x, int xo, float s, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] * s;
  }

  static void divS(float[] x, int xo, float s, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = x[xo + i] / s;
  }

  static void negK(float[] x, int xo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = -x[xo + i];
  }
}
