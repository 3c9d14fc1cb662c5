package lmlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
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

  /** (x - mean) / sqrt(var + eps) · w + b per vector, var biased (the centred values summed again: {@link #row}). */
  @Override
  public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
    float[] w = weight.contiguous().storage();
    int wo = weight.contiguous().offset();
    float[] b = bias == null ? null : bias.contiguous().storage();
    int bo = bias == null ? 0 : bias.contiguous().offset();
    for (int r = 0, o = 0; r < n; r++, o += d) row(x, o, y, accumulate, w, wo, b, bo);
  }

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  /**
   * One vector x[o, o + d) into y: the mean and the variance of the centred values as sums over
   * lanes (a dependent chain of d scalar adds in double took a microsecond per row, and a beam
   * step normalises every row twice per block). The lanes are added in {@link Lanes#sum}'s fixed
   * order, not by {@code reduceLanes}, whose order differs between the interpreter, C1 and C2: a row
   * must get the same bits whichever tier runs it, or a step split over threads would not equal
   * the same step on one thread (RowPartsTest).
   */
  private void row(float[] x, int o, float[] y, boolean accumulate, float[] w, int wo, float[] b, int bo) {
    int l = F.length();
    int dv = d - d % l;
    FloatVector s = FloatVector.zero(F);
    for (int i = 0; i < dv; i += l) s = s.add(FloatVector.fromArray(F, x, o + i));
    double sum = Lanes.sum(s);
    for (int i = dv; i < d; i++) sum += x[o + i];
    float mean = (float) (sum / d);
    FloatVector m = FloatVector.broadcast(F, mean);
    FloatVector q = FloatVector.zero(F);
    for (int i = 0; i < dv; i += l) {
      FloatVector c = FloatVector.fromArray(F, x, o + i).sub(m);
      q = c.fma(c, q);
    }
    double var = Lanes.sum(q);
    for (int i = dv; i < d; i++) var += (double) (x[o + i] - mean) * (x[o + i] - mean);
    float inv = (float) (1 / Math.sqrt(var / d + eps));
    int i = 0;
    for (; i < dv; i += l) {
      FloatVector v = FloatVector.fromArray(F, x, o + i).sub(m).mul(inv).mul(FloatVector.fromArray(F, w, wo + i));
      if (b != null) v = v.add(FloatVector.fromArray(F, b, bo + i));
      if (accumulate) v = v.add(FloatVector.fromArray(F, y, o + i));
      v.intoArray(y, o + i);
    }
    for (; i < d; i++) {
      float v = (x[o + i] - mean) * inv * w[wo + i];
      if (b != null) v += b[bo + i];
      y[o + i] = accumulate ? y[o + i] + v : v;
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
