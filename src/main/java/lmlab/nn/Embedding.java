package lmlab.nn;

import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/** A lookup table (V, d): ids of any shape → (ids..., d). Initialised N(0, 1) like PyTorch. */
public final class Embedding extends Module {
  private final Tensor weight;

  public Embedding(int vocab, int dim, Rng rng) {
    if (vocab < 1 || dim < 1) {
      throw new IllegalArgumentException("Embedding(" + vocab + ", " + dim + "): sizes must be >= 1");
    }
    this.weight = parameter("weight", Init.normal(rng, 1, vocab, dim));
  }

  public Tensor forward(IntTensor ids) {
    return weight.embedding(ids); // out[..., :] = weight[ids[...], :]
  }

  public Tensor weight() {
    return weight;
  }
}
