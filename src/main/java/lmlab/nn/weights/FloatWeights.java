package lmlab.nn.weights;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Gemm;
import lmlab.kernels.Lanes;
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

  @Override
  public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    StepTrace.matmul();
    // Y (n, out) = X (n, in) · Wᵀ: W (out, in) read transposed in place
    if (b != null) {
      if (accumulate) {
        for (int r = 0; r < n; r++) for (int j = 0; j < out; j++) y[r * out + j] += b[bo + j];
      } else {
        for (int r = 0; r < n; r++) System.arraycopy(b, bo, y, r * out, out);
      }
    }
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
      finish(Lanes.sum(a0), wa, r0, iv, x, xo, b, bo, y, yo, j, accumulate);
      finish(Lanes.sum(a1), wa, r1, iv, x, xo, b, bo, y, yo, j + 1, accumulate);
    }
    if (j < to) {
      int r0 = wo + j * in;
      FloatVector a0 = FloatVector.zero(S);
      for (int p = 0; p < iv; p += L) a0 = FloatVector.fromArray(S, wa, r0 + p).fma(FloatVector.fromArray(S, x, xo + p), a0);
      finish(Lanes.sum(a0), wa, r0, iv, x, xo, b, bo, y, yo, j, accumulate);
    }
  }

  /** Adds the scalar tail p in [iv, in) and the bias to a row's vector sum s, and stores row j. */
  private void finish(float s, float[] wa, int row, int iv, float[] x, int xo, float[] b, int bo, float[] y, int yo,
      int j, boolean accumulate) {
    for (int p = iv; p < in; p++) s += wa[row + p] * x[xo + p];
    if (b != null) s += b[bo + j];
    y[yo + j] = accumulate ? y[yo + j] + s : s;
  }
}
