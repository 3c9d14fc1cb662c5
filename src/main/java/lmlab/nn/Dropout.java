package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * Inverted dropout: in training mode each element is kept with probability 1 - p and scaled by
 * 1 / (1 - p), drawing from the Rng given; the identity in eval mode or when p = 0.
 */
public final class Dropout extends Layer {
  private final float p;
  private final Rng rng;

  /** p in [0, 1); rng may be null only when p = 0. */
  public Dropout(double p, Rng rng) {
    if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("Dropout: probability p must be in [0, 1), got " + p);
    if (p > 0 && rng == null) throw new IllegalArgumentException("Dropout(" + p + "): needs an Rng when p > 0");
    this.p = (float) p;
    this.rng = rng;
  }

  @Override
  public Tensor forward(Tensor x) {
    if (p == 0f || !isTraining()) return x; // identity
    return x.dropout(p, rng, true); //           x · mask / (1 - p)
  }

  public float p() {
    return p;
  }
}
