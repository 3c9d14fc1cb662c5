package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * Vector API loops over one contiguous row, shared by the fused row ops (softmax, cross-entropy,
 * layer norm): max, sum, dot, exp-and-sum, scale; and the column sums of a row-major matrix.
 */
final class RowMath {
  static final VectorSpecies<Float> F = VectorMath.F;

  private RowMath() {}

  /** Rows per parallel chunk so that a chunk holds about 16k elements. */
  static int rowGrain(int n) {
    return Math.max(1, 16384 / Math.max(1, n));
  }

  /** max of x[o..o+n) (-inf when n = 0). */
  static float max(float[] x, int o, int n) {
    int i = 0;
    float m = Float.NEGATIVE_INFINITY;
    int bound = F.loopBound(n);
    if (bound > 0) {
      FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
      for (; i < bound; i += F.length()) acc = acc.max(FloatVector.fromArray(F, x, o + i));
      m = acc.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) m = Math.max(m, x[o + i]);
    return m;
  }

  /** Σ x[o..o+n). */
  static float sum(float[] x, int o, int n) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int bound = F.loopBound(n); i < bound; i += F.length()) acc = acc.add(FloatVector.fromArray(F, x, o + i));
    float s = Lanes.sum(acc);
    for (; i < n; i++) s += x[o + i];
    return s;
  }

  /** Σ a[ao + i]·b[bo + i] over i < n. */
  static float dot(float[] a, int ao, float[] b, int bo, int n) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int bound = F.loopBound(n); i < bound; i += F.length()) {
      acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
    }
    float s = Lanes.sum(acc);
    for (; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }

  /** y[yo + i] = exp(x[xo + i] - shift) for i < n; returns their sum. exp(-inf) = 0. */
  static float expShiftSum(float[] x, int xo, float[] y, int yo, int n, float shift) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int bound = F.loopBound(n); i < bound; i += F.length()) {
      FloatVector e = Lanes.exp(FloatVector.fromArray(F, x, xo + i).sub(shift));
      e.intoArray(y, yo + i);
      acc = acc.add(e);
    }
    float s = Lanes.sum(acc);
    for (; i < n; i++) {
      float e = Lanes.exp(x[xo + i] - shift);
      y[yo + i] = e;
      s += e;
    }
    return s;
  }

  /** Σ exp(x[xo + i] - shift) over i < n, writing nothing. */
  static float expShiftSum(float[] x, int xo, int n, float shift) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int bound = F.loopBound(n); i < bound; i += F.length()) {
      acc = acc.add(Lanes.exp(FloatVector.fromArray(F, x, xo + i).sub(shift)));
    }
    float s = Lanes.sum(acc);
    for (; i < n; i++) s += Lanes.exp(x[xo + i] - shift);
    return s;
  }

  /** y[o..o+n) *= s. */
  static void scale(float[] y, int o, int n, float s) {
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += F.length()) {
      FloatVector.fromArray(F, y, o + i).mul(s).intoArray(y, o + i);
    }
    for (; i < n; i++) y[o + i] *= s;
  }

  /** Σ over rows of the row-major (rows × cols) matrix at g[off..]: one value per column. */
  static float[] columnSums(float[] g, int off, int rows, int cols) {
    float[] out = new float[cols];
    // Blocks of 64 columns, so a 192-wide gradient still splits over threads; each column sums
    // its rows in order whatever the block, so the result does not depend on the split.
    int blocks = (cols + 63) / 64;
    Parallel.forRange(blocks, Math.max(1, 32768 / Math.max(1, rows * 64)), (from, to) -> {
      int c0 = from * 64;
      int c1 = Math.min(cols, to * 64);
      for (int r = 0; r < rows; r++) VectorMath.addInPlace(out, c0, g, off + r * cols + c0, c1 - c0);
    });
    return out;
  }
}
