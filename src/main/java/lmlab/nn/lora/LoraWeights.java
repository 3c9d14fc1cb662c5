package lmlab.nn.lora;

import lmlab.kernels.Gemm;
import lmlab.nn.weights.Weights;
import lmlab.tensor.Tensor;

/**
 * A base weight storage plus its low-rank update, as one {@link Weights}: every kernel computes
 * {@code x Wᵀ + b + s · (x Aᵀ) Bᵀ} with the base's own kernel for W (float32 or quantised codes)
 * and the adapter as two thin products. This is what the decoding step of a {@link LoraLinear}
 * multiplies with, so a decoded token sees the adapter exactly as the training forward does
 * (without dropout: decoding is inference). Once the adapter is merged into W ({@link #merged}),
 * only the base runs.
 *
 * <p>A and B are the adapter's parameter tensors, read at every call (the optimizer updates them
 * in place).
 */
public final class LoraWeights extends Weights {
  private final Weights base;
  private final Tensor a; // (r, in)
  private final Tensor b; // (out, r)
  private final float scaling;
  private final int rank;
  private volatile boolean merged;
  /** u = A x of one matrix-vector product, per thread (two threads may share the rows of one product). */
  private final ThreadLocal<float[]> scratch;

  public LoraWeights(Weights base, Tensor a, Tensor b, float scaling) {
    this.base = base;
    this.a = a;
    this.b = b;
    this.scaling = scaling;
    this.rank = a.size(0);
    this.scratch = ThreadLocal.withInitial(() -> new float[rank]);
  }

  /** The base storage (without the adapter). */
  public Weights base() {
    return base;
  }

  boolean merged() {
    return merged;
  }

  void merged(boolean on) {
    merged = on;
  }

  @Override
  public int rows() {
    return base.rows();
  }

  @Override
  public int cols() {
    return base.cols();
  }

  /** x Wᵀ + b + s · (x Aᵀ) Bᵀ with autograd; the adapter path without dropout (inference). */
  @Override
  public Tensor linear(Tensor x, Tensor bias) {
    Tensor y = base.linear(x, bias);
    return merged ? y : y.add(x.linear(a, null).linear(b, null).mul(scaling));
  }

  /**
   * Rows [from, to) of y = W x + b + s · B (A x): the base rows on the base's kernel, then the
   * rank-r update of those rows. u = A x (r dot products) is recomputed by each caller of a
   * share of the rows, which costs r·in against the base's rows·in.
   */
  @Override
  public void rows(int from, int to, float[] x, int xo, float[] bias, int bo, float[] y, int yo, boolean accumulate) {
    base.rows(from, to, x, xo, bias, bo, y, yo, accumulate);
    if (merged || from >= to) return;
    addUpdate(from, to, x, xo, y, yo);
  }

  /** Rows [from, to) of y += s · B (A x) for one input vector x[xo ..]. */
  private void addUpdate(int from, int to, float[] x, int xo, float[] y, int yo) {
    int in = cols();
    float[] u = scratch.get();
    float[] av = a.storage();
    int ao = a.offset();
    for (int k = 0; k < rank; k++) { //                            u = A x
      float s = 0;
      int row = ao + k * in;
      for (int p = 0; p < in; p++) s += av[row + p] * x[xo + p];
      u[k] = s * scaling;
    }
    float[] bv = b.storage();
    int bOff = b.offset();
    for (int j = from; j < to; j++) { //                            y_j += s · B_j · u
      float s = 0;
      int row = bOff + j * rank;
      for (int k = 0; k < rank; k++) s += bv[row + k] * u[k];
      y[yo + j] += s;
    }
  }

  /**
   * Y (n, out) (+)= X Wᵀ + b + s · (X Aᵀ) Bᵀ: the base's product, then the update. Up to
   * {@link #independentRows} rows (a beam, a server's rows, a prompt) take {@link #rows}'
   * update row by row, so each row gets the bits it gets alone, as the base's product gives them;
   * more go through two GEMMs through (n, r).
   */
  @Override
  public void matmul(float[] x, int n, float[] bias, int bo, float[] y, boolean accumulate) {
    base.matmul(x, n, bias, bo, y, accumulate);
    if (merged) return;
    if (n <= independentRows()) {
      for (int r = 0; r < n; r++) addUpdate(0, rows(), x, r * cols(), y, r * rows());
      return;
    }
    int in = cols();
    int out = rows();
    float[] u = new float[n * rank];
    Gemm.sgemm(false, true, n, rank, in, x, 0, in, a.storage(), a.offset(), in, u, 0, rank, false); // U = X Aᵀ
    for (int i = 0; i < u.length; i++) u[i] *= scaling;
    Gemm.sgemm(false, true, n, out, rank, u, 0, rank, b.storage(), b.offset(), rank, y, 0, out, true); // Y += s U Bᵀ
  }

  /** W + s·B A (W alone once merged: it already holds the update). */
  @Override
  public float[] dense() {
    float[] w = base.dense();
    if (merged) return w;
    float[] d = delta();
    for (int i = 0; i < w.length; i++) w[i] += d[i];
    return w;
  }

  /** s · B A (out, in), row-major: the update merging adds to W. */
  public float[] delta() {
    int in = cols();
    int out = rows();
    Tensor ac = a.contiguous();
    Tensor bc = b.contiguous();
    float[] d = new float[out * in];
    Gemm.sgemm(false, false, out, in, rank, bc.storage(), bc.offset(), rank, ac.storage(), ac.offset(), in, d, 0, in, false);
    for (int i = 0; i < d.length; i++) d[i] *= scaling;
    return d;
  }

  @Override
  public float touch(int from, int to) {
    return base.touch(from, to);
  }

  /** The base's bytes plus A and B in float32. */
  @Override
  public long bytes() {
    return base.bytes() + 4L * rank * (rows() + cols());
  }
}
