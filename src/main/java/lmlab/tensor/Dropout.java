package lmlab.tensor;

import lmlab.autograd.Autograd;

/** Inverted dropout: each element kept with probability 1 - p and then scaled by 1 / (1 - p). */
final class Dropout {
  private Dropout() {}

  /**
   * out = x * m, m = 1/(1-p) where rng.nextFloat() >= p else 0, drawn in row-major order.
   * dx = g * m.  With p = 0 or outside training, x itself is returned.
   */
  static Tensor dropout(Tensor x, float p, Rng rng, boolean training) {
    if (!(p >= 0f && p < 1f)) {
      throw new IllegalArgumentException("dropout: probability p must be in [0, 1), got " + p);
    }
    if (!training || p == 0f) return x;
    float scale = 1f / (1f - p);
    float[] m = Arena.scratch(x.numel());
    rng.fillKeepMask(m, m.length, p, scale);
    Tensor mask = Tensor.wrap(m, x.shape.clone());
    Tensor out = Pointwise.map2(x, mask, Dropout::mulK);
    return Autograd.record("dropout", out, g -> new Tensor[] {Pointwise.map2(g, mask, Dropout::mulK)}, x);
  }

  static void mulK(float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) {
    for (int i = 0; i < n; i++) o[oo + i] = a[ao + i] * b[bo + i];
  }
}
