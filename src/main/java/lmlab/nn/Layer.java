package lmlab.nn;

import lmlab.tensor.Tensor;

/**
 * A module mapping one tensor to one tensor: {@code y = f(x)}. Linear, the norms, Dropout and the
 * feed-forward layers are layers, so a model can hold "some norm" or "some MLP" by this type.
 */
public abstract class Layer extends Module {
  /** Applies the layer. */
  public abstract Tensor forward(Tensor x);

  /**
   * The layer on n vectors without autograd, for decoding: x (n, d_in) row-major from offset 0,
   * y (n, d_out) stored or, with accumulate, added to; buffers may be longer. For position-wise
   * layers (each output vector depends on its input vector only), with the same formula as
   * {@link #forward} on arrays. A layer on a decoding path without one is an error naming it
   * (there is no slower fallback to take silently).
   */
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no step (decoding needs one)");
  }
}
