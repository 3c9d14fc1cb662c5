package lmlab.tensor;

import lmlab.kernels.Parallel;

/**
 * The drivers of the elementwise ops: they cut the work into spans and call an op's span kernel
 * on each, on the worker pool once a tensor is large. Every op writes a fresh contiguous output.
 *
 * <p>Span kernels are small static loops, one per op, so that the JIT compiles each on its own
 * (autovectorised or on the Vector API); the drivers call them once per span, never per element.
 *
 * <p>Broadcasting ({@link #zip}, {@link Walk}) works like PyTorch's TensorIterator: each operand
 * gets strides in the output's shape (0 where it is broadcast), then neighbouring dimensions that
 * are laid out back to back in every operand are merged. A scalar operand, a same-shape
 * contiguous pair and a bias row over the last dim all end up as a few long spans whose inner
 * strides are 0 or 1; only odd layouts walk many short rows.
 */
final class Pointwise {
  /** Elements below which an op runs on the calling thread. */
  static final int GRAIN = 32 * 1024;

  private Pointwise() {}

  /** out[oo..oo+n) = f(x[xo..xo+n)); out may be x itself at the same offset. */
  @FunctionalInterface
  interface Map1 {
    void run(float[] x, int xo, float[] out, int oo, int n);
  }

  /** out[oo..oo+n) = f(a[ao..ao+n), b[bo..bo+n)). */
  @FunctionalInterface
  interface Map2 {
    void run(float[] a, int ao, float[] b, int bo, float[] out, int oo, int n);
  }

  /**
   * out[oo + i] = f(a[ao + i * sa], b[bo + i * sb]) for i < n, where sa and sb are each 0 (a
   * broadcast value) or 1, and not both 0 unless n == 1.
   */
  @FunctionalInterface
  interface Zip {
    void run(float[] a, int ao, int sa, float[] b, int bo, int sb, float[] out, int oo, int n);
  }

  /** One span of a broadcast walk: pos[k] is operand k's first element, out the output's. */
  @FunctionalInterface
  interface Span {
    void run(int[] pos, int n, int out);
  }

  /** x as contiguous storage: x itself, or a fresh row-major copy of a strided view. */
  static Tensor dense(Tensor x) {
    return x.isContiguous() ? x : x.copy();
  }

  /**
   * a[off..off+n) zero-padded to one vector of the preferred species: Vector API kernels run
   * their tail through the same loop body on such copies.
   */
  static float[] lanes(float[] a, int off, int n) {
    float[] v = new float[VectorMath.F.length()];
    System.arraycopy(a, off, v, 0, n);
    return v;
  }

  /**
   * Runs a one-input Vector API kernel over its last n < one vector of elements through padded
   * copies, so those get the same formula as the rest wherever span boundaries fall.
   */
  static void tail(float[] x, int xo, float[] o, int oo, int n, Map1 kernel) {
    int lanes = VectorMath.F.length();
    float[] out = new float[lanes];
    kernel.run(lanes(x, xo, n), 0, out, 0, lanes);
    System.arraycopy(out, 0, o, oo, n);
  }

  /** f(x) elementwise, a fresh contiguous tensor of x's shape. */
  static Tensor map(Tensor x, Map1 f) {
    int n = x.numel();
    if (!x.isContiguous()) { // gather into a fresh copy, then map it in place
      float[] d = x.copy().data;
      Parallel.forRange(n, GRAIN, (from, to) -> f.run(d, from, d, from, to - from));
      return Tensor.wrap(d, x.shape.clone());
    }
    float[] out = Arena.scratch(n);
    float[] src = x.data;
    int so = x.offset;
    Parallel.forRange(n, GRAIN, (from, to) -> f.run(src, so + from, out, from, to - from));
    return Tensor.wrap(out, x.shape.clone());
  }

  /** f(a, b) elementwise for two tensors of the same shape (the backward rules of unary ops). */
  static Tensor map2(Tensor a, Tensor b, Map2 f) {
    if (!Shape.same(a.shape, b.shape)) {
      throw new IllegalStateException("map2: shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape));
    }
    Tensor ca = dense(a);
    Tensor cb = dense(b);
    int n = ca.numel();
    float[] out = Arena.scratch(n);
    float[] ad = ca.data;
    float[] bd = cb.data;
    int ao = ca.offset;
    int bo = cb.offset;
    Parallel.forRange(n, GRAIN, (from, to) -> f.run(ad, ao + from, bd, bo + from, out, from, to - from));
    return Tensor.wrap(out, a.shape.clone());
  }

  /** f(a, b) with NumPy broadcasting; shape errors name op and both shapes. */
  static Tensor zip(String op, Tensor a, Tensor b, Zip f) {
    int[] shape = Shape.broadcast(op, a.shape, b.shape);
    float[] out = Arena.scratch(Shape.numel(shape));
    Walk w = new Walk(shape, a, b);
    float[] ad = w.ops[0].data;
    float[] bd = w.ops[1].data;
    int sa = w.inner[0];
    int sb = w.inner[1];
    w.run((pos, n, o) -> f.run(ad, pos[0], sa, bd, pos[1], sb, out, o, n));
    return Tensor.wrap(out, shape);
  }

  /** The broadcast shape of several operands, for error messages naming all of them. */
  static int[] broadcastAll(String op, Tensor... ts) {
    int[] shape = ts[0].shape;
    for (int i = 1; i < ts.length; i++) {
      try {
        shape = Shape.broadcast(op, shape, ts[i].shape);
      } catch (IllegalArgumentException e) {
        StringBuilder b = new StringBuilder(op).append(": shapes");
        for (Tensor t : ts) b.append(' ').append(Shape.str(t.shape));
        throw new IllegalArgumentException(b.append(" cannot be broadcast together").toString(), e);
      }
    }
    return shape;
  }

  /**
   * A walk over a broadcast output shape with several operands: the merged dimensions, each
   * operand's strides in them, and the inner (last) stride of each, which is 0 or 1.
   */
  static final class Walk {
    final Tensor[] ops;
    final int[] sizes; // merged dimensions, outermost first; the last is the span
    final int[][] strides; // strides[k][d] of operand k
    final int[] inner;
    final int rows;
    final int span;

    Walk(int[] shape, Tensor... operands) {
      ops = operands.clone();
      int k = ops.length;
      int[][] st = new int[k][];
      int[] sz;
      while (true) {
        for (int j = 0; j < k; j++) st[j] = stridesIn(ops[j], shape);
        int[][] merged = new int[k][];
        sz = merge(shape, st, merged);
        int last = sz.length - 1;
        boolean anyUnit = false;
        for (int j = 0; j < k; j++) if (merged[j][last] == 1) anyUnit = true;
        boolean redo = false;
        for (int j = 0; j < k; j++) {
          int s = merged[j][last];
          // kernels read a span with stride 0 or 1: a strided view, or an expanded view when
          // every operand would be broadcast along the span, is copied to row-major first
          // (a contiguous operand always gets 0 or 1, so one retry is enough)
          boolean bad = (s != 0 && s != 1) || (!anyUnit && sz[last] > 1);
          if (bad && !ops[j].isContiguous()) {
            ops[j] = ops[j].copy();
            redo = true;
          }
        }
        if (!redo) {
          System.arraycopy(merged, 0, st, 0, k);
          break;
        }
      }
      sizes = sz;
      strides = st;
      inner = new int[k];
      for (int j = 0; j < k; j++) inner[j] = st[j][sz.length - 1];
      span = sz[sz.length - 1];
      int r = 1;
      for (int d = 0; d < sz.length - 1; d++) r *= sz[d];
      rows = r;
    }

    /** t's strides in the broadcast shape: 0 on leading and broadcast dims. */
    private static int[] stridesIn(Tensor t, int[] shape) {
      int lead = shape.length - t.shape.length;
      int[] s = new int[shape.length];
      for (int i = lead; i < shape.length; i++) {
        s[i] = t.shape[i - lead] == 1 && shape[i] != 1 ? 0 : t.strides[i - lead];
      }
      return s;
    }

    /**
     * Drops size-1 dims and merges dim d into d + 1 when every operand steps over d exactly as
     * far as over the whole of d + 1. Returns the merged sizes (at least one) and fills out[k].
     */
    private static int[] merge(int[] shape, int[][] st, int[][] out) {
      int k = st.length;
      int[] sz = new int[Math.max(1, shape.length)];
      int[][] ms = new int[k][sz.length];
      int m = 0;
      for (int d = 0; d < shape.length; d++) {
        if (shape[d] == 1) continue;
        if (m > 0) {
          boolean fits = true;
          for (int j = 0; j < k; j++) if (ms[j][m - 1] != st[j][d] * shape[d]) fits = false;
          if (fits) {
            sz[m - 1] *= shape[d];
            for (int j = 0; j < k; j++) ms[j][m - 1] = st[j][d];
            continue;
          }
        }
        sz[m] = shape[d];
        for (int j = 0; j < k; j++) ms[j][m] = st[j][d];
        m++;
      }
      if (m == 0) { // all sizes 1: one element
        sz[0] = 1;
        for (int j = 0; j < k; j++) ms[j][0] = 1;
        m = 1;
      }
      for (int j = 0; j < k; j++) out[j] = java.util.Arrays.copyOf(ms[j], m);
      return java.util.Arrays.copyOf(sz, m);
    }

    /** Calls body once per span, in parallel when the output is large. */
    void run(Span body) {
      int k = ops.length;
      if (rows == 1) {
        int[] base = new int[k];
        for (int j = 0; j < k; j++) base[j] = ops[j].offset;
        Parallel.forRange(span, GRAIN, (from, to) -> {
          int[] pos = new int[k];
          for (int j = 0; j < k; j++) pos[j] = base[j] + from * inner[j];
          body.run(pos, to - from, from);
        });
        return;
      }
      int grain = Math.max(1, GRAIN / Math.max(1, span));
      Parallel.forRange(rows, grain, (r0, r1) -> rowsFrom(r0, r1, body));
    }

    private void rowsFrom(int r0, int r1, Span body) {
      int k = ops.length;
      int outer = sizes.length - 1;
      int[] idx = new int[outer];
      int[] pos = new int[k];
      int[] cur = new int[k];
      int rem = r0;
      for (int d = outer - 1; d >= 0; d--) {
        idx[d] = rem % sizes[d];
        rem /= sizes[d];
      }
      for (int j = 0; j < k; j++) {
        int p = ops[j].offset;
        for (int d = 0; d < outer; d++) p += idx[d] * strides[j][d];
        cur[j] = p;
      }
      for (int r = r0; r < r1; r++) {
        System.arraycopy(cur, 0, pos, 0, k);
        body.run(pos, span, r * span);
        for (int d = outer - 1; d >= 0; d--) {
          idx[d]++;
          for (int j = 0; j < k; j++) cur[j] += strides[j][d];
          if (idx[d] < sizes[d]) break;
          for (int j = 0; j < k; j++) cur[j] -= idx[d] * strides[j][d];
          idx[d] = 0;
        }
      }
    }
  }
}
