package lmlab.nn;

/** A position-wise feed-forward layer (d → d): {@link Mlp} or {@link SwiGlu}. */
public abstract class FeedForward extends Layer {
  /** The model width d (input and output). */
  public abstract int dim();

  /** The intermediate width d_ff. */
  public abstract int hiddenDim();
}
