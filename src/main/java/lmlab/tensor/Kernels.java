package lmlab.tensor;

/**
 * Strided loops shared by the op families: copy, fill, accumulate. Each walks the outer
 * dimensions with a counter and runs the innermost dimension as a tight loop (unit stride fast
 * path), so views of any layout are handled without materialising them first.
 */
final class Kernels {
  private Kernels() {}

  /**
   * Calls row(srcPos, n, stride) once per innermost row of t: the row's first element sits at
   * storage index srcPos, has n elements spaced stride apart. Rows come in row-major order.
   */
  interface RowVisitor {
    void row(int pos, int n, int stride);
  }

  static void forEachRow(Tensor t, RowVisitor v) {
    int rank = t.shape.length;
    if (rank == 0) {
      v.row(t.offset, 1, 1);
      return;
    }
    int n = t.shape[rank - 1];
    int stride = t.strides[rank - 1];
    int rows = 1;
    for (int i = 0; i < rank - 1; i++) rows *= t.shape[i];
    if (rows == 0 || n == 0) return;
    int[] idx = new int[rank - 1];
    int pos = t.offset;
    for (int r = 0; r < rows; r++) {
      v.row(pos, n, stride);
      for (int d = rank - 2; d >= 0; d--) {
        idx[d]++;
        pos += t.strides[d];
        if (idx[d] < t.shape[d]) break;
        pos -= idx[d] * t.strides[d];
        idx[d] = 0;
      }
    }
  }

  /** Writes t's elements in row-major order into dst starting at dstOff. */
  static void copyStrided(Tensor t, float[] dst, int dstOff) {
    if (t.isContiguous()) {
      System.arraycopy(t.data, t.offset, dst, dstOff, t.numel());
      return;
    }
    float[] src = t.data;
    int[] w = {dstOff};
    forEachRow(t, (pos, n, stride) -> {
      int o = w[0];
      if (stride == 1) {
        System.arraycopy(src, pos, dst, o, n);
      } else if (stride == 0) {
        java.util.Arrays.fill(dst, o, o + n, src[pos]);
      } else {
        for (int i = 0; i < n; i++) dst[o + i] = src[pos + i * stride];
      }
      w[0] = o + n;
    });
  }

  static void fillStrided(Tensor t, float value) {
    float[] d = t.data;
    forEachRow(t, (pos, n, stride) -> {
      for (int i = 0; i < n; i++) d[pos + i * stride] = value;
    });
  }

  /** dst = src elementwise; both of the same shape, any layout. */
  static void copyInto(Tensor dst, Tensor src) {
    if (!Shape.same(dst.shape, src.shape)) {
      throw new IllegalArgumentException(
          "copy_: source shape " + Shape.str(src.shape) + " does not match destination " + Shape.str(dst.shape));
    }
    float[] s = src.isContiguous() ? null : src.copy().data;
    float[] from = s != null ? s : src.data;
    int[] r = {s != null ? 0 : src.offset};
    float[] d = dst.data;
    forEachRow(dst, (pos, n, stride) -> {
      int o = r[0];
      if (stride == 1) System.arraycopy(from, o, d, pos, n);
      else for (int i = 0; i < n; i++) d[pos + i * stride] = from[o + i];
      r[0] = o + n;
    });
  }

  /** dst += src elementwise, in place; dst contiguous, src any layout of the same shape. */
  static void addInto(Tensor dst, Tensor src) {
    if (!dst.isContiguous()) throw new IllegalStateException("addInto needs a contiguous destination");
    Tensor c = src.isContiguous() ? src : src.copy();
    VectorMath.addInPlace(dst.data, dst.offset, c.data, c.offset, dst.numel());
  }
}
