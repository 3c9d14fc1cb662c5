package lmlab.nn.weights;

import lmlab.kernels.Gemm;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * float32 weights: a contiguous (out, in) tensor (the Linear's parameter itself, so training,
 * state dicts and tying see the same storage). The storage is looked up at every call, so a
 * parameter whose values are loaded in place stays current. Decoding steps ({@link #rows}, and
 * {@link #matmul} on a few rows) read a column-panel copy instead ({@link Panels}), checked
 * against the tensor at the first step of each new decoding state.
 */
public final class FloatWeights extends Weights {

  private final Tensor w;
  private final int out;
  private final int in;
  /** The decoding kernels' copy of w, by column panels (made on first use). */
  private final Panels panels;

  /** Weights over w (out, in), which must be a contiguous matrix. */
  public FloatWeights(Tensor w) {
    if (w == null || w.dim() != 2) {
      throw new IllegalArgumentException("FloatWeights: need a matrix (out, in), got "
          + (w == null ? "null" : Shape.str(w.shape())));
    }
    if (w.contiguous() != w) {
      throw new IllegalArgumentException("FloatWeights: the matrix " + Shape.str(w.shape()) + " is not contiguous");
    }
    this.w = w;
    this.out = w.size(0);
    this.in = w.size(1);
    this.panels = new Panels(w);
  }

  /** The tensor these weights read. */
  public Tensor tensor() {
    return w;
  }

  @Override
  public int rows() {
    return out;
  }

  @Override
  public int cols() {
    return in;
  }

  @Override
  public Tensor linear(Tensor x, Tensor bias) {
    return x.linear(w, bias); // x Wᵀ + b
  }

  @Override
  public float[] dense() {
    return w.toArray();
  }

  @Override
  public long bytes() {
    return 4L * out * in;
  }

  @Override
  public float touch(int from, int to) {
    return panels.touch(from, to);
  }

  @Override
  public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    StepTrace.matmul();
    if (n <= FEW_ROWS) {
      panels.product(x, n, b, bo, y, accumulate);
      return;
    }
    // Y (n, out) = X (n, in) · Wᵀ: W (out, in) read transposed in place
    startWithBias(b, bo, y, n, out, accumulate);
    Gemm.sgemm(false, true, n, out, in, x, 0, in, w.storage(), w.offset(), in, y, 0, out, accumulate || b != null);
  }

  @Override
  public int panels(int n) {
    return n <= FEW_ROWS ? panels.count() : 0;
  }

  @Override
  public int panelWidth() {
    return Panels.WIDTH;
  }

  @Override
  public void matmulPanels(int k0, int k1, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    panels.columns(k0, k1, x, n, b, bo, y, accumulate);
  }

  /** One product y (+)= W x (+ b) over the panel copy ({@link Panels}: each output one FMA chain over p in order). */
  @Override
  public void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    panels.rows(from, to, x, xo, b, bo, y, yo, accumulate);
  }
}
