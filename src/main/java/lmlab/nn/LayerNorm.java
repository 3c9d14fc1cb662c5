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

  /** (x - mean) / sqrt(var + eps) · w + b per vector, var biased; mean and var in double. */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    float[] w = weight.contiguous().storage();
    int wo = weight.contiguous().offset();
    float[] b = bias == null ? null : bias.contiguous().storage();
    int bo = bias == null ? 0 : bias.contiguous().offset();
    for (int r = 0, o = 0; r < n; r++, o += d) {
      double mean = 0;
      for (int i = 0; i < d; i++) mean += x[o + i];
      mean /= d;
      double var = 0;
      for (int i = 0; i < d; i++) var += (x[o + i] - mean) * (x[o + i] - mean);
      float inv = (float) (1 / Math.sqrt(var / d + eps));
      for (int i = 0; i < d; i++) {
        float v = (float) (x[o + i] - mean) * inv * w[wo + i];
        if (b != null) v += b[bo + i];
        y[o + i] = accumulate ? y[o + i] + v : v;
      }
    }
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
