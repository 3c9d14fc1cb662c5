package lmlab.nn.weights;

import lmlab.kernels.Gemm;
import lmlab.tensor.Tensor;

/**
 * The storage of a weight matrix W (out, in), row-major as PyTorch's Linear keeps it, together with
 * the kernels that read it (llama3.java's "weights as a type with its own kernels"): the autograd
 * product of training ({@link #linear}), the matrix-vector rows of one decoding step
 * ({@link #rows}) and the matrix-matrix product of a batch of rows ({@link #matmul}).
 *
 * <p>float32 ({@link FloatWeights}) is the one format now. Another format (bf16 read from a
 * memory-mapped file, packed 4-bit blocks with their scales) is a new subclass that implements
 * these methods over its own storage; {@link lmlab.nn.Linear} and every layer above it call only
 * these methods, so they need no change.
 */
public abstract class Weights {
  /**
   * A new decoding state begins: copies the decoding kernels keep of a weight matrix (float32's
   * column panels) are checked against it before their next use, so weights changed in place since
   * the last state are seen.
   */
  public static void newDecodingState() {
    Panels.newEpoch();
  }

  /**
   * The most input rows whose {@link #matmul} gives each row the bits {@link #rows} gives it alone,
   * in every format: batched decoding steps up to this many rows together on that promise (a
   * server's rows, {@code decode.ContinuousBatch}; beams; prompts), so a result never depends on
   * what else is in flight (nn.lora.WeightsRowsContractTest). For float32 it is also where the panel
   * copy stops paying: with 512-bit vectors its eight-row tile outruns the GEMM, which packs and
   * blocks for large products, well past a hundred rows on a decoder's matrices (README, "Prompts
   * through the panels"), so prompts of up to 256 tokens take it; narrower vectors tile two rows
   * at a time and keep the GEMM above 16.
   */
  static final int FEW_ROWS = Panels.WIDTH >= 16 ? 256 : 16;

  /** {@link #FEW_ROWS}: rows stepped together up to this many are independent of each other. */
  public static int independentRows() {
    return FEW_ROWS;
  }

  /** The output width: rows of W. */
  public abstract int rows();

  /** The input width: columns of W. */
  public abstract int cols();

  /** x Wᵀ + b for x (..., in), b (out,) or null, with autograd (training and the full forward). */
  public abstract Tensor linear(Tensor x, Tensor bias);

  /**
   * Rows [from, to) of one matrix-vector product: y[yo + j] = Σ_p W[j, p]·x[xo + p] (+ b[bo + j]
   * when b is not null), stored, or added to y with accumulate. No autograd.
   */
  public abstract void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo,
      boolean accumulate);

  /**
   * The product of n input rows at once: Y (n, out) = X (n, in) Wᵀ (+ b), X and Y row-major from
   * offset 0, stored or added with accumulate. No autograd.
   */
  public abstract void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate);

  /**
   * Column panels of {@link #matmul}'s product of n rows that {@link #matmulPanels} can run apart,
   * or 0 when this format has none for n rows (its matmul then runs whole): so several products of
   * one input (q, k, v) can share one split over the worker pool.
   */
  public int panels(int n) {
    return 0;
  }

  /**
   * Panels [k0, k1) of {@link #matmul}'s product of n rows (the output columns they hold, every
   * row), on the calling thread, with the bits matmul gives them.
   */
  public void matmulPanels(int k0, int k1, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no column panels");
  }

  /** Output columns of one panel of {@link #matmulPanels} (panel k holds columns [k·width, (k + 1)·width), the last cut at out). */
  public int panelWidth() {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no column panels");
  }

  /**
   * The bias part of {@link #matmul} before the product is added: each of the n rows of Y (out wide)
   * set to b (or b added to it, with accumulate); nothing without a bias. The product is then added
   * when {@code accumulate || b != null}.
   */
  protected static void startWithBias(float[] b, int bo, float[] y, int n, int out, boolean accumulate) {
    if (b == null) return;
    if (accumulate) {
      for (int r = 0; r < n; r++) for (int j = 0; j < out; j++) y[r * out + j] += b[bo + j];
    } else {
      for (int r = 0; r < n; r++) System.arraycopy(b, bo, y, r * out, out);
    }
  }

  /** Decodes rows [j0, j0 + rows) of a stored W into panel as float32, row-major, in wide. */
  @FunctionalInterface
  protected interface RowDecoder {
    void decode(int j0, int rows, float[] panel);
  }

  /**
   * {@link #matmul} for a format that is not float32: Y (n, out) (+)= X Wᵀ (+ b), panelRows rows
   * of W decoded into one scratch panel at a time and multiplied by the GEMM, so no float32 copy of
   * the whole matrix exists.
   */
  protected static void panelMatmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate, int out, int in,
      int panelRows, RowDecoder decoder) {
    startWithBias(b, bo, y, n, out, accumulate);
    float[] panel = new float[panelRows * in];
    for (int j0 = 0; j0 < out; j0 += panelRows) {
      int rows = Math.min(panelRows, out - j0);
      decoder.decode(j0, rows, panel);
      // Y[:, j0 .. j0 + rows) (+)= X · panelᵀ
      Gemm.sgemm(false, true, n, rows, in, x, 0, in, panel, 0, in, y, j0, out, accumulate || b != null);
    }
  }

  /** Reads rows [from, to) into this core's caches and returns a sum of them (so the reads happen). */
  public abstract float touch(int from, int to);

  /** Bytes one full pass over W reads. */
  public abstract long bytes();

  /**
   * W as a new float32 array (out·in, row-major): the values the kernels multiply with (for a
   * quantised format, the dequantised ones). For merging an adapter and for exporting; a format
   * that cannot give them says so.
   */
  public float[] dense() {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot give its weights as float32");
  }
}
