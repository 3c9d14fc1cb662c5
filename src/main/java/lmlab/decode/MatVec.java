package lmlab.decode;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * y = W x (+ b) for one vector: the product of a single decoding step, where the general GEMM's
 * dispatch and packing cost more than the multiply-adds. W is (out, in) row-major (the Linear
 * layout), so each output is one contiguous dot product; it runs on the worker pool only when the
 * matrix is large enough to pay for waking it ({@link #PARALLEL_MIN} weights), in row halves so
 * each thread streams its own part of W.
 */
final class MatVec {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  /** Matrices below this many weights run on the calling thread. */
  static final int PARALLEL_MIN = 1 << 16;

  private MatVec() {}

  /** One product of a batch: y (+)= W x (+ b), W (out, in) from offset wo. */
  record Product(float[] w, int wo, int out, int in, float[] b, int bo, float[] y, boolean accumulate) {}

  /**
   * y[yo + j] = Σ_p w[wo + j·in + p] · x[xo + p] (+ b[bo + j] when b is not null), for j in [0, out);
   * with accumulate, added to y instead of stored.
   */
  static void multiply(float[] w, int wo, int out, int in, float[] x, int xo, float[] b, int bo, float[] y, int yo,
      boolean accumulate) {
    if ((long) out * in >= PARALLEL_MIN && Parallel.threads() > 1) {
      Parallel.forRange(out, Math.max(1, out / Parallel.threads()),
          (from, to) -> rows(w, wo, from, to, in, x, xo, b, bo, y, yo, accumulate));
    } else {
      rows(w, wo, 0, out, in, x, xo, b, bo, y, yo, accumulate);
    }
  }

  /**
   * Several products of the same input x (q, k and v; gate and up) in one pass over the pool: their
   * rows are split as one stacked matrix, so the threads are woken once.
   */
  static void multiply(Product[] ps, int totalRows, long weights, float[] x) {
    if (weights >= PARALLEL_MIN && Parallel.threads() > 1) {
      Parallel.forRange(totalRows, Math.max(1, totalRows / Parallel.threads()), (from, to) -> stacked(ps, from, to, x));
    } else {
      stacked(ps, 0, totalRows, x);
    }
  }

  private static void stacked(Product[] ps, int from, int to, float[] x) {
    int base = 0;
    for (Product p : ps) {
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + p.out);
      if (lo < hi) rows(p.w, p.wo, lo - base, hi - base, p.in, x, 0, p.b, p.bo, p.y, 0, p.accumulate);
      base += p.out;
    }
  }

  private static void rows(float[] w, int wo, int from, int to, int in, float[] x, int xo, float[] b, int bo,
      float[] y, int yo, boolean accumulate) {
    int iv = in - in % (2 * L);
    for (int j = from; j < to; j++) {
      int row = wo + j * in;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      int p = 0;
      for (; p < iv; p += 2 * L) { // two accumulators hide the FMA latency
        a0 = FloatVector.fromArray(S, w, row + p).fma(FloatVector.fromArray(S, x, xo + p), a0);
        a1 = FloatVector.fromArray(S, w, row + p + L).fma(FloatVector.fromArray(S, x, xo + p + L), a1);
      }
      float s = Lanes.sum(a0.add(a1));
      for (; p < in; p++) s += w[row + p] * x[xo + p];
      if (b != null) s += b[bo + j];
      y[yo + j] = accumulate ? y[yo + j] + s : s;
    }
  }
}
