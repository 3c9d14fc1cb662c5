package lmlab.nn;

import lmlab.tensor.Tensor;

/**
 * LayerNorm over the last dimension:
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias}, var the biased estimate (divide by d).
 * weight = 1, bias = 0 at init; bias optional. The engine's fused {@link Tensor#layerNorm} op
 * computes exactly this formula with its own backward.
 */
public final class LayerNorm extends Norm {
  public static final double DEFAULT_EPS = 1e-5;

  private final int d;
  private final float eps;
  private final Tensor weight;
  private final Tensor bias;

  public LayerNorm(int d) {
    this(d, DEFAULT_EPS, true);
  }

  public LayerNorm(int d, double eps, boolean bias) {
    if (d < 1) throw new IllegalArgumentException("LayerNorm(" + d + "): size must be >= 1");
    if (!(eps >= 0)) throw new IllegalArgumentException("LayerNorm: eps must be >= 0, got " + eps);
    this.d = d;
    this.eps = (float) eps;
    this.weight = parameter("weight", Tensor.ones(d));
    this.bias = bias ? parameter("bias", Tensor.zeros(d)) : null;
  }

  @Override
  public Tensor forward(Tensor x) {
    checkLastDim("LayerNorm", d, x);
    return x.layerNorm(weight, bias, eps); // (x - mean)·rsqrt(var + eps)·weight + bias
  }

  @Override
  public int dim() {
    return d;
  }

  public float eps() {
    return eps;
  }

  public Tensor weight() {
    return weight;
  }

  /** The bias, or null without one. */
  public Tensor bias() {
    return bias;
  }
}
