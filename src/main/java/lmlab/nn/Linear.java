package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * y = x Wᵀ + b with W stored (out, in) and b (out,), the PyTorch layout, so state dicts map one
 * to one. Initialised like PyTorch: U(-1/√in, 1/√in) for both.
 */
public final class Linear extends Module {
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
    this.weight = parameter("weight", Tensor.rand(rng, out, in).mul(2 * bound).sub(bound).detach());
    this.bias = bias ? parameter("bias", Tensor.rand(rng, out).mul(2 * bound).sub(bound).detach()) : null;
  }

  public Tensor forward(Tensor x) {
    if (x.dim() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException(
          "Linear(" + in + ", " + out + "): input's last dimension must be " + in + ", got shape "
              + lmlab.tensor.Shape.str(x.shape()));
    }
    return x.linear(weight, bias);
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
