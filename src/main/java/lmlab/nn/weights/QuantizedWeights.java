package lmlab.nn.weights;

import lmlab.autograd.Autograd;
import lmlab.kernels.Gemm;
import lmlab.tensor.Arena;
import lmlab.tensor.ProductProbe;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * A frozen weight matrix W (out, in) held as a {@link QuantizedTensor}: packed codes and block
 * constants only, no float32 copy (spec lora.md, QLoRA). Every product multiplies two float32
 * operands — the course's "same precision at each stage" — by dequantising W a panel of rows at a
 * time into a scratch buffer of at most {@link #PANEL} floats:
 * <ul>
 *   <li>{@link #linear}: Y = X Ŵᵀ + b panel by panel, with autograd to X only (the codes and
 *       constants get no gradient; b gets one only if it requires it); the backward pass
 *       dequantises the panels again for dX = G Ŵ rather than keeping Ŵ between the passes.
 *   <li>{@link #rows}: the matrix-vector rows of decoding read the packed codes directly
 *       ({@link QuantizedTensor#dot}).
 *   <li>{@link #matmul}: a few rows as rows does, each its own bits; many, panel by panel as linear.
 * </ul>
 */
public final class QuantizedWeights extends Weights {
  /** Floats of dequantised W held at once by a product (a panel of whole rows; at least one row). */
  static final int PANEL = 1 << 16;

  private final QuantizedTensor q;
  private final int out;
  private final int in;

  public QuantizedWeights(QuantizedTensor q, int out, int in) {
    if ((long) out * in != q.numel()) {
      throw new IllegalArgumentException("QuantizedWeights: " + q.numel() + " quantised elements cannot be a (" + out + ", "
          + in + ") matrix");
    }
    this.q = q;
    this.out = out;
    this.in = in;
  }

  /** W (out, in) quantised by method. */
  public static QuantizedWeights quantize(Tensor w, QuantMethod method) {
    if (w.dim() != 2) throw new IllegalArgumentException("quantize: need a matrix (out, in), got " + Shape.str(w.shape()));
    return new QuantizedWeights(Quantizers.quantize(w.contiguous().toArray(), method), w.size(0), w.size(1));
  }

  public QuantizedTensor tensor() {
    return q;
  }

  @Override
  public int rows() {
    return out;
  }

  @Override
  public int cols() {
    return in;
  }

  private int panelRows() {
    return Math.max(1, Math.min(out, PANEL / Math.max(1, in)));
  }

  /** Y = X Ŵᵀ + b, Ŵ dequantised a panel of rows at a time; dX = G Ŵ likewise in the backward pass. */
  @Override
  public Tensor linear(Tensor x, Tensor bias) {
    if (x.dim() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException("linear: input of shape " + Shape.str(x.shape()) + " does not fit quantised weights ("
          + out + ", " + in + ")");
    }
    Tensor xc = x.contiguous();
    int m = xc.numel() / in;
    if (ProductProbe.active()) ProductProbe.report("linear", 1, m, in, out, null);
    int[] outShape = x.shape().clone();
    outShape[outShape.length - 1] = out;
    Tensor y = Arena.zeros(outShape);
    float[] yv = y.storage();
    if (bias != null) {
      float[] bv = bias.contiguous().toArray();
      for (int r = 0; r < m; r++) System.arraycopy(bv, 0, yv, r * out, out);
    }
    float[] xv = xc.storage();
    int xo = xc.offset();
    int pr = panelRows();
    float[] panel = new float[pr * in];
    for (int j0 = 0; j0 < out; j0 += pr) {
      int rows = Math.min(pr, out - j0);
      q.dequantize(j0 * in, (j0 + rows) * in, panel, 0); //              Ŵ[j0 .. j0 + rows)
      Gemm.sgemm(false, true, m, rows, in, xv, xo, in, panel, 0, in, yv, j0, out, true); // Y[:, j0..] += X Ŵ_panelᵀ
    }
    return Autograd.record("quantized_linear", y, g -> {
      Tensor gc = g.contiguous();
      Tensor gx = null;
      if (xc.requiresGrad()) {
        gx = Arena.zeros(xc.shape());
        float[] p = new float[pr * in];
        for (int j0 = 0; j0 < out; j0 += pr) {
          int rows = Math.min(pr, out - j0);
          q.dequantize(j0 * in, (j0 + rows) * in, p, 0);
          // dX += G[:, j0 ..] Ŵ_panel
          Gemm.sgemm(false, false, m, in, rows, gc.storage(), gc.offset() + j0, out, p, 0, in, gx.storage(), 0, in, true);
        }
      }
      Tensor gb = null;
      if (bias != null && bias.requiresGrad()) {
        float[] s = new float[out];
        float[] gv = gc.storage();
        for (int r = 0; r < m; r++) for (int j = 0; j < out; j++) s[j] += gv[gc.offset() + r * out + j];
        gb = Tensor.of(s, out);
      }
      return new Tensor[] {gx, gb};
    }, xc, bias);
  }

  @Override
  public void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    for (int j = from; j < to; j++) {
      float s = q.dot(j * in, x, xo, in); //                        Ŵ_j · x from the packed codes
      if (b != null) s += b[bo + j];
      y[yo + j] = accumulate ? y[yo + j] + s : s;
    }
  }

  /**
   * Up to {@link #independentRows} rows (a server's rows stepped together, a beam, a
   * prompt) take {@link #rows}' dot product, four rows at once: each row gets the bits it gets
   * alone, which batched
   * decoding promises ({@code decode.ContinuousBatch}); the panel GEMM sums in another order.
   * More rows go panel by panel through the GEMM, as {@link #linear}.
   */
  @Override
  public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    StepTrace.matmul();
    if (n <= FEW_ROWS) {
      Panels.split(out, (long) n * out * in, (from, to) -> dotRows(from, to, x, n, b, bo, y, accumulate));
      return;
    }
    panelMatmul(x, n, b, bo, y, accumulate, out, in, panelRows(),
        (j0, rows, panel) -> q.dequantize(j0 * in, (j0 + rows) * in, panel, 0));
  }

  /**
   * Outputs [from, to) of each of the n rows, as {@link #rows} computes them: four rows at a time by
   * {@link QuantizedTensor#dot4} (each code decoded once for the four); two or three rows left go
   * through dot4 too, their last row given again for the missing ones (decoding the codes costs
   * more than the multiply-adds, so one dot4 beats two or three dots; README, "Odd numbers of
   * rows"), one row left by {@link QuantizedTensor#dot}.
   */
  private void dotRows(int from, int to, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    float[] four = new float[4];
    for (int j = from; j < to; j++) {
      int r = 0;
      for (; r + 4 <= n; r += 4) {
        q.dot4(j * in, x, r * in, (r + 1) * in, (r + 2) * in, (r + 3) * in, in, four, 0);
        for (int c = 0; c < 4; c++) put(four[c], j, r + c, b, bo, y, accumulate);
      }
      if (n - r >= 2) {
        int last = n - 1;
        q.dot4(j * in, x, r * in, (r + 1) * in, Math.min(r + 2, last) * in, last * in, in, four, 0);
        for (int c = 0; r + c < n; c++) put(four[c], j, r + c, b, bo, y, accumulate);
        r = n;
      }
      if (r < n) put(q.dot(j * in, x, r * in, in), j, r, b, bo, y, accumulate);
    }
  }

  /** Output j of row r: the sum s (+ b[j]), stored or added. */
  private void put(float s, int j, int r, float[] b, int bo, float[] y, boolean accumulate) {
    if (b != null) s += b[bo + j];
    int o = r * out + j;
    y[o] = accumulate ? y[o] + s : s;
  }

  /** Reads the packed codes of rows [from, to). */
  @Override
  public float touch(int from, int to) {
    byte[] c = q.packedCodes();
    int bits = q.method().bits();
    int lo = (int) ((long) from * in * bits / 8);
    int hi = (int) Math.min(c.length, QuantMethod.ceil((long) to * in * bits, 8));
    float s = 0;
    for (int i = lo; i < hi; i += 64) s += c[i];
    return s;
  }

  /** The codes and constants held (spec lora.md's storage table). */
  @Override
  public long bytes() {
    return q.bytes();
  }

  @Override
  public float[] dense() {
    return q.dequantize();
  }
}
