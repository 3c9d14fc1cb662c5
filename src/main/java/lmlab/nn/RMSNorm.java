package lmlab.nn;

import lmlab.tensor.Tensor;

/** RMSNorm over the last dimension: {@code y = x / sqrt(mean(x^2) + eps) * weight}; weight = 1 at init. */
public final class RMSNorm extends Norm {
  public static final double DEFAULT_EPS = 1e-6;

  private final int d;
  private final float eps;
  private final Tensor weight;

  public RMSNorm(int d) {
    this(d, DEFAULT_EPS);
  }

  public RMSNorm(int d, double eps) {
    if (d < 1) throw new IllegalArgumentException("RMSNorm(" + d + "): size must be >= 1");
    if (!(eps >= 0)) throw new IllegalArgumentException("RMSNorm: eps must be >= 0, got " + eps);
    this.d = d;
    this.eps = (float) eps;
    this.weight = parameter("weight", Tensor.ones(d));
  }

  @Override
  public Tensor forward(Tensor x) {
    checkLastDim("RMSNorm", d, x);
    return x.rmsNorm(weight, eps); // x·rsqrt(mean(x²) + eps)·weight
  }

  /** x / sqrt(mean(x²) + eps) · w per vector, the sum of squares in double. */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    float[] w = weight.contiguous().storage();
    int wo = weight.contiguous().offset();
    for (int r = 0, o = 0; r < n; r++, o += d) {
      double ss = 0;
      for (int i = 0; i < d; i++) ss += (double) x[o + i] * x[o + i];
      float inv = (float) (1 / Math.sqrt(ss / d + eps));
      for (int i = 0; i < d; i++) {
        float v = x[o + i] * inv * w[wo + i];
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
}
