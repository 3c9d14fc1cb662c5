package lmlab.nn;

import lmlab.tensor.Tensor;

/**
 * A module mapping one tensor to one tensor: {@code y = f(x)}. Linear, the norms, Dropout and the
 * feed-forward layers are layers, so a model can hold "some norm" or "some MLP" by this type.
 */
public abstract class Layer extends Module {
  /** Applies the layer. */
  public abstract Tensor forward(Tensor x);
}
