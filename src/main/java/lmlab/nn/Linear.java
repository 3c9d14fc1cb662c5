package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * y = x Wᵀ + b with W stored (out, in) and b (out,), the PyTorch layout, so state dicts map one
 * to one. Initialised like PyTorch: U(-1/√in, 1/√in) for both.
 */
public final class Linear extends Layer {
  private final Tensor weight;
  private final Tensor bias;
  private final int in;
  private final int out;

  public Linear(int in, int out, boolean bias, Rng rng) {
    if (in < 1 || out < 1) {
      throw new IllegalArgumentException("Linear(" + in + ", " + out + "): sizes must be >= 1");
    }
    this.in = in;
    this.out = out;
    float bound = (float) (1 / Math.sqrt(in));
    this.weight = parameter("weight", Init.uniform(rng, bound, out, in));
    this.bias = bias ? parameter("bias", Init.uniform(rng, bound, out)) : null;
  }

  /**
   * A layer around existing tensors: weight (out, in) and bias (out,) or null are registered as its
   * parameters as they are, so a tensor shared with another module is tied (an lm_head tied to
   * the token embedding: {@code new Linear(embedding.weight(), null)}).
   */
  public Linear(Tensor weight, Tensor bias) {
    if (weight == null || weight.dim() != 2) {
      throw new IllegalArgumentException("Linear: weight must be a matrix (out, in), got "
          + (weight == null ? "null" : lmlab.tensor.Shape.str(weight.shape())));
    }
    this.out = weight.size(0);
    this.in = weight.size(1);
    if (bias != null && (bias.dim() != 1 || bias.size(0) != out)) {
      throw new IllegalArgumentException("Linear: bias must have shape (" + out + "), got " + lmlab.tensor.Shape.str(bias.shape()));
    }
    this.weight = parameter("weight", weight);
    this.bias = bias == null ? null : parameter("bias", bias);
  }

  @Override
  public Tensor forward(Tensor x) {
    if (x.dim() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException(
          "Linear(" + in + ", " + out + "): input's last dimension must be " + in + ", got shape "
              + lmlab.tensor.Shape.str(x.shape()));
    }
    return ModuleTrace.traced(this, () -> x.linear(weight, bias)); // x Wᵀ + b
  }

  public Tensor weight() {
    return weight;
  }

  /** The bias, or null when the layer has none. */
  public Tensor bias() {
    return bias;
  }

  public int inFeatures() {
    return in;
  }

  public int outFeatures() {
    return out;
  }
}
