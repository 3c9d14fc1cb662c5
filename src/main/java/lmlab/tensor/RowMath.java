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

  /**
   * max of x[o..o+n) (-inf when n = 0). The running maximum calls {@code lanewise(MAX, ..)} itself
   * rather than {@code max(..)}: {@code FloatVector.max} is shared by every caller, and when C2
   * compiles it inline before its own type profile exists it cannot resolve the abstract
   * {@code lanewise} inside it, so each max became a call into the Java fallback, lane by lane (a
   * profile of a decoding step found the attention softmax spending half its time there, in some
   * runs and not others). Here the call site's own profile names the vector class.
   */
  static float max(float[] x, int o, int n) {
    int i = 0;
    float m = Float.NEGATIVE_INFINITY;
    int bound = F.loopBound(n);
    if (bound > 0) {
      FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
      for (; i < bound; i += F.length()) acc = acc.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, o + i));
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
    // Each thread sums a contiguous run of whole vectors of columns (the last one may be short),
    // so a 192-wide gradient splits 6 + 6 vectors rather than 2 + 1 blocks of 64. Each column
    // still sums its rows in order from 0, whatever the split, so the result does not depend on it.
    int vectors = (cols + F.length() - 1) / F.length();
    Parallel.forRange(vectors, Math.max(1, 32768 / Math.max(1, rows * F.length())), (from, to) -> {
      int c = from * F.length();
      int end = Math.min(cols, to * F.length());
      for (; c + 4 * F.length() <= end; c += 4 * F.length()) columnSums4(g, off, rows, cols, c, out);
      for (; c + F.length() <= end; c += F.length()) columnSums1(g, off, rows, cols, c, out);
      for (; c < end; c++) {
        float s = 0f;
        for (int r = 0; r < rows; r++) s += g[off + r * cols + c];
        out[c] = s;
      }
    });
    return out;
  }

  /**
   * out[c..c + 4 vectors) = the column sums there, the sums kept in registers down the rows (the
   * old loop stored and reloaded them at every row).
   */
  private static void columnSums4(float[] g, int off, int rows, int cols, int c, float[] out) {
    int l = F.length();
    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
    for (int r = 0, p = off + c; r < rows; r++, p += cols) {
      s0 = s0.add(FloatVector.fromArray(F, g, p));
      s1 = s1.add(FloatVector.fromArray(F, g, p + l));
      s2 = s2.add(FloatVector.fromArray(F, g, p + 2 * l));
      s3 = s3.add(FloatVector.fromArray(F, g, p + 3 * l));
    }
    s0.intoArray(out, c);
    s1.intoArray(out, c + l);
    s2.intoArray(out, c + 2 * l);
    s3.intoArray(out, c + 3 * l);
  }

  private static void columnSums1(float[] g, int off, int rows, int cols, int c, float[] out) {
    FloatVector s = FloatVector.zero(F);
    for (int r = 0, p = off + c; r < rows; r++, p += cols) s = s.add(FloatVector.fromArray(F, g, p));
    s.intoArray(out, c);
  }
}
