package lmlab.nn;

/** A position-wise feed-forward layer (d → d): {@link Mlp} or {@link SwiGlu}. */
public abstract class FeedForward extends Layer {
  /** The model width d (input and output). */
  public abstract int dim();

  /** The intermediate width d_ff. */
  public abstract int hiddenDim();

  /**
   * y (+)= ff(norm(x)) for n rows, norm(x) made into h (n · d floats): {@link #step} on it. A layer
   * whose first products can make the norm inside their parallel parts does so ({@link Mlp}); the
   * result is the same bits either way.
   */
  public void stepNormed(Norm norm, float[] x, float[] h, float[] y, int n, boolean accumulate, Workspace ws) {
    norm.step(x, h, n, false, ws);
    step(h, y, n, accumulate, ws);
  }
}
