package lmlab.nn.weights;

import java.lang.foreign.MemorySegment;
import lmlab.kernels.Bf16;
import lmlab.kernels.Gemm;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * bfloat16 weights W (out, in), row-major, for decoding (`--weights bf16`): half the bytes of
 * float32, so a memory-bound decoding step reads half as much. The values stay bfloat16 in memory:
 * a view of the memory-mapped checkpoint when it stores the matrix as bf16 in this layout (off the
 * heap, shared with the page cache), else a heap copy rounded once to bf16 (a float32 checkpoint,
 * or GPT-2's transposed and fused Conv1D matrices).
 *
 * <p>Kernels: {@link #rows} widens each group of L weights of its column-panel copy to float32
 * (a shift) and runs the same FMA chains as {@link FloatWeights}, so it equals the float32 product
 * of the widened weights;
 * {@link #matmul} of a few rows runs the panels' multi-row tiles (each row the bits it gets alone);
 * of many, it widens a block of rows at a time into a scratch matrix and runs the GEMM on it.
 * Inference only: the weights themselves have no gradient ({@link #linear} passes one to its input
 * and bias).
 */
public final class Bf16Weights extends Weights {
  /** Rows widened at once by matmul (a block of 64 rows of a 4096-wide matrix is 1 MB of floats). */
  private static final int BLOCK_ROWS = 64;

  private final int out;
  private final int in;
  private final MemorySegment w;
  /** The decoding kernel's copy of w by column panels, made on first use. */
  private volatile Bf16Panels panels;

  /** Weights over seg, which holds out·in bfloat16 values (little-endian), row-major. */
  public Bf16Weights(MemorySegment seg, int out, int in) {
    if (out < 1 || in < 1) throw new IllegalArgumentException("Bf16Weights: sizes must be >= 1, got (" + out + ", " + in + ")");
    if (seg.byteSize() != 2L * out * in) {
      throw new IllegalArgumentException("Bf16Weights: " + seg.byteSize() + " bytes cannot hold (" + out + ", " + in
          + ") bfloat16 values (" + 2L * out * in + " bytes)");
    }
    this.w = seg;
    this.out = out;
    this.in = in;
  }

  /** The float32 matrix t (out, in), rounded to bfloat16 (ties to even) into a heap copy. */
  public static Bf16Weights rounded(Tensor t) {
    if (t.dim() != 2) throw new IllegalArgumentException("Bf16Weights: need a matrix (out, in), got " + Shape.str(t.shape()));
    Tensor c = t.contiguous();
    return new Bf16Weights(Bf16.round(c.storage(), c.offset(), c.numel()), c.size(0), c.size(1));
  }

  /** Whether the values are read from a memory-mapped file (rather than a heap copy). */
  public boolean isMapped() {
    return w.isMapped();
  }

  /** The widened row j into dst at off (an embedding lookup). */
  public void row(int j, float[] dst, int off) {
    Bf16.widen(w, (long) j * in, dst, off, in);
  }

  /** The whole matrix widened to float32 (tests and the full forward of small models). */
  public Tensor toFloat() {
    float[] f = new float[Math.multiplyExact(out, in)];
    Bf16.widen(w, 0, f, 0, f.length);
    return Tensor.of(f, out, in);
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
  public long bytes() {
    return 2L * out * in;
  }

  @Override
  public float touch(int from, int to) {
    return panels().touch(from, to);
  }

  /** Over the panel copy ({@link Bf16Panels}), the float32 panels' FMA chain on the widened values. */
  @Override
  public void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    panels().rows(from, to, x, xo, b, bo, y, yo, accumulate);
  }

  private Bf16Panels panels() {
    Bf16Panels p = panels;
    if (p == null) {
      synchronized (this) {
        if (panels == null) panels = new Bf16Panels(w, out, in);
        p = panels;
      }
    }
    return p;
  }

  /**
   * Y (n, out) (+)= X (n, in) Wᵀ (+ b). Up to {@link #independentRows} rows (a batched
   * step, a beam, a prompt) go through the panel copy, each panel widened once for all of them, and
   * each row gets the bits {@link #rows} gives it alone, as float32's; more rows widen BLOCK_ROWS
   * rows of W at a time and run the GEMM on them.
   */
  @Override
  public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    StepTrace.matmul();
    if (n <= FEW_ROWS) {
      panels().product(x, n, b, bo, y, accumulate);
      return;
    }
    panelMatmul(x, n, b, bo, y, accumulate, out, in, Math.min(BLOCK_ROWS, out),
        (j0, rows, panel) -> Bf16.widen(w, (long) j0 * in, panel, 0, rows * in));
  }

  @Override
  public int panels(int n) {
    return n <= FEW_ROWS ? (out + Bf16.lanes() - 1) / Bf16.lanes() : 0;
  }

  @Override
  public int panelWidth() {
    return Bf16.lanes();
  }

  @Override
  public void matmulPanels(int k0, int k1, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    panels().columns(k0, k1, x, n, b, bo, y, accumulate);
  }

  /**
   * x Wᵀ + b (the full forward). The weights have no gradient (bf16 is for inference); the input and
   * the bias do: grad_x = g W (W widened), grad_b = Σ g over the rows.
   */
  @Override
  public Tensor linear(Tensor x, Tensor bias) {
    if (x.dim() == 0 || x.size(-1) != in) {
      throw new IllegalArgumentException("Bf16Weights (" + out + ", " + in + "): input's last dimension must be " + in
          + ", got shape " + Shape.str(x.shape()));
    }
    float[] xs = x.contiguous().toArray();
    int n = xs.length / in;
    float[] y = new float[Math.multiplyExact(n, out)];
    float[] b = bias == null ? null : bias.contiguous().toArray();
    matmul(xs, n, b, 0, y, false);
    int[] shape = x.shape();
    shape[shape.length - 1] = out;
    Tensor result = Tensor.of(y, shape);
    int[] xShape = x.shape();
    return lmlab.autograd.Autograd.record("bf16_linear", result, g -> {
      float[] gs = g.contiguous().toArray();
      float[] gx = new float[Math.multiplyExact(n, in)];
      float[] w = toFloat().storage();
      Gemm.sgemm(false, false, n, in, out, gs, 0, out, w, 0, in, gx, 0, in, false); // (n, out)·(out, in)
      Tensor gb = null;
      if (bias != null) {
        float[] sb = new float[out];
        for (int r = 0; r < n; r++) for (int j = 0; j < out; j++) sb[j] += gs[r * out + j];
        gb = Tensor.of(sb, out);
      }
      return bias == null ? new Tensor[] {Tensor.of(gx, xShape)} : new Tensor[] {Tensor.of(gx, xShape), gb};
    }, bias == null ? new Tensor[] {x} : new Tensor[] {x, bias});
  }
}
