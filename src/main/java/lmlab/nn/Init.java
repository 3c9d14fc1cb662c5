package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * Parameter initialisers. A null generator means "uninitialised": the tensor is zeros, which is
 * what loading a checkpoint (every value is overwritten) and counting parameters want — drawing
 * 124M normals for GPT-2 only to throw them away costs seconds.
 */
public final class Init {
  private Init() {}

  /** U(-bound, bound), or zeros when rng is null. */
  public static Tensor uniform(Rng rng, float bound, int... shape) {
    if (rng == null) return Tensor.zeros(shape);
    return Tensor.rand(rng, shape).mul(2 * bound).sub(bound).detach();
  }

  /** N(0, std²), or zeros when rng is null. */
  public static Tensor normal(Rng rng, double std, int... shape) {
    if (rng == null) return Tensor.zeros(shape);
    Tensor t = Tensor.randn(rng, shape);
    return std == 1 ? t : t.mul((float) std).detach();
  }
}
