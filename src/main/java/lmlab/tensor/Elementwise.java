package lmlab.tensor;

import lmlab.autograd.Autograd;

/** Elementwise unary and binary ops with NumPy broadcasting, each a forward/backward pair. */
final class Elementwise {
  private Elementwise() {}

  /** a + b with broadcasting. d/da = g, d/db = g (summed back to each shape by the engine). */
  static Tensor add(Tensor a, Tensor b) {
    int[] shape = Shape.broadcast("add", a.shape, b.shape);
    Tensor x = a.expand(shape).copy();
    Kernels.addInto(x, b.detach().expand(shape));
    return Autograd.record("add", x, g -> new Tensor[] {g, g}, a, b);
  }
}
