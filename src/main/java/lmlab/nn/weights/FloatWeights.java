package lmlab.nn.weights;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Gemm;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.kernels.StreamRead;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * float32 weights: a contiguous (out, in) tensor (the Linear's parameter itself, so training,
 * state dicts and tying see the same storage). The storage is looked up at every call, so a
 * parameter whose values are loaded in place stays current.
 */
public final class FloatWeights extends Weights {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private final Tensor w;
  private final int out;
  private final int in;

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
    int wo = w.offset();
    return StreamRead.sum(w.storage(), wo + from * in, wo + to * in);
  }

  /**
   * Up to this many input rows (a beam, a few samples, a short prompt) go through {@link #fewRows}:
   * each weight row is read from memory once for all of them. More rows go through the GEMM.
   */
  static final int FEW_ROWS = 16;

  @Override
  public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    StepTrace.matmul();
    if (n <= FEW_ROWS) {
      fewRows(x, n, b, bo, y, accumulate);
      return;
    }
    // Y (n, out) = X (n, in) · Wᵀ: W (out, in) read transposed in place
    startWithBias(b, bo, y, n, out, accumulate);
    Gemm.sgemm(false, true, n, out, in, x, 0, in, w.storage(), w.offset(), in, y, 0, out, accumulate || b != null);
  }

  /**
   * Two rows per pass so each load of x serves two dot products. Not four: four rows interleave
   * four streams 4·in floats apart, which the hardware prefetchers follow worse. Each row is one
   * chain of FMAs over p in order, then {@link Lanes#sum}.
   */
  @Override
  public void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    float[] wa = w.storage();
    int wo = w.offset();
    int iv = in - in % L;
    int j = from;
    for (; j + 2 <= to; j += 2) {
      int r0 = wo + j * in;
      int r1 = r0 + in;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      for (int p = 0; p < iv; p += L) {
        FloatVector xv = FloatVector.fromArray(S, x, xo + p);
        a0 = FloatVector.fromArray(S, wa, r0 + p).fma(xv, a0);
        a1 = FloatVector.fromArray(S, wa, r1 + p).fma(xv, a1);
      }
      finish(Lanes.sum(a0), wa, r0, x, xo, b, bo, y, yo, j, accumulate);
      finish(Lanes.sum(a1), wa, r1, x, xo, b, bo, y, yo, j + 1, accumulate);
    }
    if (j < to) {
      int r0 = wo + j * in;
      FloatVector a0 = FloatVector.zero(S);
      for (int p = 0; p < iv; p += L) a0 = FloatVector.fromArray(S, wa, r0 + p).fma(FloatVector.fromArray(S, x, xo + p), a0);
      finish(Lanes.sum(a0), wa, r0, x, xo, b, bo, y, yo, j, accumulate);
    }
  }

  /**
   * Y (n, out) = X (n, in) Wᵀ (+ b) for a few rows: weight rows in pairs, each pair used for every
   * input row while it is in the cache, so W streams from memory once per call instead of once per
   * row (the GEMM's unpacked kernel takes one input row at a time). Every output is the chain of
   * FMAs over p in order that {@link #rows} computes, so a row's result does not depend on the
   * other rows (a beam of B gives the logits of B single sequences, bit for bit). Output columns
   * are split over the worker pool when the product is large.
   */
  private void fewRows(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    long work = (long) n * out * in;
    int parts = Parallel.threads() > 1 && work >= PARALLEL_WORK ? Math.min(Parallel.threads(), Math.max(1, out / 16)) : 1;
    if (parts == 1) {
      fewRows(0, out, x, n, b, bo, y, accumulate);
      return;
    }
    Parallel.forEachPart(parts, part -> {
      int from = (int) ((long) out * part / parts) & ~1;
      int to = part == parts - 1 ? out : (int) ((long) out * (part + 1) / parts) & ~1;
      fewRows(from, to, x, n, b, bo, y, accumulate);
    });
  }

  /** Multiply-adds above which {@link #fewRows} splits its columns over the worker pool. */
  private static final long PARALLEL_WORK = 1L << 16;

  /**
   * Columns [from, to): for each pair of weight rows (in L1 while it is used), the input rows four
   * at a time ({@link #tile4x2}), then a pair; an odd last input row and an odd last column go
   * through {@link #rows}. Each tile is its own small method, so C2 keeps its accumulators in
   * registers and each loop is compiled on its own rather than as one large method.
   */
  private void fewRows(int from, int to, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    float[] sums = new float[Lanes.SUMS_SCRATCH]; // a tile's reduced accumulators
    int even = n - n % 2;
    int j = from;
    for (; j + 2 <= to; j += 2) {
      int r = 0;
      for (; r + 4 <= even; r += 4) {
        tile4x2(j, r, x, sums);
        for (int i = 0; i < 4; i++) {
          finish(sums[2 * i], w.storage(), w.offset() + j * in, x, (r + i) * in, b, bo, y, (r + i) * out, j, accumulate);
          finish(sums[2 * i + 1], w.storage(), w.offset() + (j + 1) * in, x, (r + i) * in, b, bo, y, (r + i) * out, j + 1,
              accumulate);
        }
      }
      if (r < even) {
        tile2x2(j, r, x, sums);
        for (int i = 0; i < 2; i++) {
          finish(sums[2 * i], w.storage(), w.offset() + j * in, x, (r + i) * in, b, bo, y, (r + i) * out, j, accumulate);
          finish(sums[2 * i + 1], w.storage(), w.offset() + (j + 1) * in, x, (r + i) * in, b, bo, y, (r + i) * out, j + 1,
              accumulate);
        }
      }
    }
    if (j < to) for (int r = 0; r < even; r++) rows(j, to, x, r * in, b, bo, y, r * out, accumulate);
    if (even < n) rows(from, to, x, even * in, b, bo, y, even * out, accumulate);
  }

  /**
   * The 4 x 2 register tile: sums[2i + c] = Σ_p W[j + c][p] · x[r + i][p] over the vector part of
   * p (p &lt; in - in % L), for i &lt; 4, c &lt; 2. Eight L-lane accumulators (8 independent FMA
   * chains, enough to cover the FMA latency), 6 loads per 8 FMAs; each accumulator is the one-row
   * chain of {@link #rows}, reduced in the same tree order ({@link Lanes#sums}).
   */
  private void tile4x2(int j, int r, float[] x, float[] sums) {
    float[] wa = w.storage();
    int r0 = w.offset() + j * in;
    int r1 = r0 + in;
    int iv = in - in % L;
    int x0 = r * in;
    int x1 = x0 + in;
    int x2 = x1 + in;
    int x3 = x2 + in;
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = FloatVector.zero(S);
    FloatVector a10 = FloatVector.zero(S);
    FloatVector a11 = FloatVector.zero(S);
    FloatVector a20 = FloatVector.zero(S);
    FloatVector a21 = FloatVector.zero(S);
    FloatVector a30 = FloatVector.zero(S);
    FloatVector a31 = FloatVector.zero(S);
    for (int p = 0; p < iv; p += L) {
      FloatVector w0 = FloatVector.fromArray(S, wa, r0 + p);
      FloatVector w1 = FloatVector.fromArray(S, wa, r1 + p);
      FloatVector v = FloatVector.fromArray(S, x, x0 + p);
      a00 = w0.fma(v, a00);
      a01 = w1.fma(v, a01);
      v = FloatVector.fromArray(S, x, x1 + p);
      a10 = w0.fma(v, a10);
      a11 = w1.fma(v, a11);
      v = FloatVector.fromArray(S, x, x2 + p);
      a20 = w0.fma(v, a20);
      a21 = w1.fma(v, a21);
      v = FloatVector.fromArray(S, x, x3 + p);
      a30 = w0.fma(v, a30);
      a31 = w1.fma(v, a31);
    }
    Lanes.sums(a00, a01, a10, a11, a20, a21, a30, a31, sums);
  }

  /** The 2 x 2 tile of {@link #tile4x2}: weight rows j, j + 1 against input rows r, r + 1 into sums[0 .. 4). */
  private void tile2x2(int j, int r, float[] x, float[] sums) {
    float[] wa = w.storage();
    int r0 = w.offset() + j * in;
    int r1 = r0 + in;
    int iv = in - in % L;
    int x0 = r * in;
    int x1 = x0 + in;
    FloatVector a00 = FloatVector.zero(S);
    FloatVector a01 = FloatVector.zero(S);
    FloatVector a10 = FloatVector.zero(S);
    FloatVector a11 = FloatVector.zero(S);
    for (int p = 0; p < iv; p += L) {
      FloatVector w0 = FloatVector.fromArray(S, wa, r0 + p);
      FloatVector w1 = FloatVector.fromArray(S, wa, r1 + p);
      FloatVector v0 = FloatVector.fromArray(S, x, x0 + p);
      FloatVector v1 = FloatVector.fromArray(S, x, x1 + p);
      a00 = w0.fma(v0, a00);
      a01 = w1.fma(v0, a01);
      a10 = w0.fma(v1, a10);
      a11 = w1.fma(v1, a11);
    }
    Lanes.sums(a00, a01, a10, a11, sums);
  }

  /** Adds the scalar tail p in [iv, in) and the bias to a row's vector sum s, and stores row j. */
  private void finish(float s, float[] wa, int row, float[] x, int xo, float[] b, int bo, float[] y, int yo, int j,
      boolean accumulate) {
    for (int p = in - in % L; p < in; p++) s += wa[row + p] * x[xo + p];
    if (b != null) s += b[bo + j];
    y[yo + j] = accumulate ? y[yo + j] + s : s;
  }
}
