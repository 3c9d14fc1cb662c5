package lmlab.nn;

import lmlab.kernels.Lanes;

import lmlab.tensor.Tensor;

/**
 * Dynamic Tanh (Zhu et al. 2025), a drop-in for LayerNorm/RMSNorm:
 * {@code y = weight * tanh(alpha * x) + bias}, alpha one learnable scalar stored with shape (1,)
 * and initialised to alpha0 (0.5), weight ones and bias zeros per channel. Parameters are
 * registered as weight, bias, alpha.
 */
public final class DyT extends Norm {
  public static final double DEFAULT_ALPHA0 = 0.5;

  private final int d;
  private final Tensor weight;
  private final Tensor bias;
  private final Tensor alpha;

  public DyT(int d) {
    this(d, DEFAULT_ALPHA0, true);
  }

  public DyT(int d, double alpha0, boolean bias) {
    if (d < 1) throw new IllegalArgumentException("DyT(" + d + "): size must be >= 1");
    if (!Double.isFinite(alpha0)) throw new IllegalArgumentException("DyT: alpha0 must be finite, got " + alpha0);
    this.d = d;
    this.weight = parameter("weight", Tensor.ones(d));
    this.bias = bias ? parameter("bias", Tensor.zeros(d)) : null;
    this.alpha = parameter("alpha", Tensor.full(new int[] {1}, (float) alpha0));
  }

  @Override
  public Tensor forward(Tensor x) {
    checkLastDim("DyT", d, x);
    Tensor y = x.mul(alpha).tanh().mul(weight); // weight · tanh(alpha · x)
    return bias == null ? y : y.add(bias); //     + bias
  }

  /** w · tanh(alpha x) + b per vector. */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    float a = alpha.contiguous().storage()[alpha.contiguous().offset()];
    float[] w = weight.contiguous().storage();
    int wo = weight.contiguous().offset();
    float[] b = bias == null ? null : bias.contiguous().storage();
    int bo = bias == null ? 0 : bias.contiguous().offset();
    for (int r = 0, o = 0; r < n; r++, o += d) {
      for (int i = 0; i < d; i++) {
        float v = Lanes.tanh(a * x[o + i]) * w[wo + i];
        if (b != null) v += b[bo + i];
        y[o + i] = accumulate ? y[o + i] + v : v;
      }
    }
  }

  @Override
  public int dim() {
    return d;
  }

  public Tensor weight() {
    return weight;
  }

  /** The bias, or null without one. */
  public Tensor bias() {
    return bias;
  }

  public Tensor alpha() {
    return alpha;
  }
}
