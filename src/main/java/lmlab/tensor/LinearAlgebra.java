package lmlab.tensor;

import java.util.Arrays;
import java.util.HashSet;
import lmlab.autograd.Autograd;
import lmlab.kernels.Gemm;
import lmlab.kernels.Parallel;

/**
 * matmul (PyTorch semantics, broadcast batch dims) and the fused linear layer, both on {@link Gemm}.
 * A matrix whose last-two-dims layout has a unit stride on either side is handed to the GEMM as is
 * (a transposed view becomes transA/transB); any batch strides, including the 0 stride of a
 * broadcast, become per-matrix offsets. Gradients are written straight into buffers of each
 * input's own shape, accumulating where a batch dim was broadcast.
 */
final class LinearAlgebra {
  private LinearAlgebra() {}

  /** How the matrices of one operand sit in storage: op(X) = X, or Xᵀ when trans, row stride ld. */
  private record Layout(boolean trans, int ld) {}

  /** C = A·B with PyTorch promotion of 1-d operands and broadcasting of batch dims. */
  static Tensor matmul(Tensor a, Tensor b) {
    if (a.dim() == 0 || b.dim() == 0) {
      throw new IllegalArgumentException(
          "matmul: both arguments need at least 1 dimension, got shapes " + Shape.str(a.shape) + " and "
              + Shape.str(b.shape));
    }
    int ka = a.shape[a.dim() - 1];
    int kb = b.shape[Math.max(0, b.dim() - 2)];
    if (ka != kb) {
      throw new IllegalArgumentException(
          "matmul: shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape) + " cannot be multiplied ("
              + ka + " columns vs " + kb + " rows)");
    }
    // 1-d operands: a (k) -> (1, k), b (k) -> (k, 1); the added dim is removed from the result
    if (a.dim() == 1 && b.dim() == 1) return batched(a.unsqueeze(0), b.unsqueeze(1)).reshape();
    if (a.dim() == 1) return batched(a.unsqueeze(0), b).squeeze(-2);
    if (b.dim() == 1) return batched(a, b.unsqueeze(1)).squeeze(-1);
    return batched(a, b);
  }

  /** Both operands have rank >= 2: out (batch..., m, n) = a (batchA..., m, k) · b (batchB..., k, n). */
  private static Tensor batched(Tensor a0, Tensor b0) {
    Tensor a = layout(a0) == null ? a0.contiguous() : a0;
    Tensor b = layout(b0) == null ? b0.contiguous() : b0;
    int m = a.shape[a.dim() - 2];
    int k = a.shape[a.dim() - 1];
    int n = b.shape[b.dim() - 1];
    int[] batch = batchShape(a, b);
    if (ProductProbe.active()) ProductProbe.report("matmul", Shape.numel(batch), m, k, n, null);
    int[] outShape = Arrays.copyOf(batch, batch.length + 2);
    outShape[batch.length] = m;
    outShape[batch.length + 1] = n;
    Plan p = plan(a, b, batch, m, k, n);
    float[] c = Arena.zeroed(Shape.numel(outShape));
    if (k > 0) run(p.la.trans, p.lb.trans, p.m, n, k, a.data, p.aOffs, p.la.ld, b.data, p.bOffs, p.lb.ld, c, p.cOffs, n);
    Tensor out = Tensor.wrap(c, outShape);
    return Autograd.record("matmul", out, g -> {
      Tensor gc = g.isContiguous() ? g : g.copy();
      int[] gOffs = shift(p.cOffs, gc.offset);
      Tensor ga = null;
      Tensor gb = null;
      if (a.requiresGrad()) {
        // dA = dC · op(B)ᵀ
        float[] da = Arena.zeroed(a.numel());
        if (n > 0) run(false, !p.lb.trans, p.m, k, n, gc.data, gOffs, n, b.data, p.bOffs, p.lb.ld, da, p.daOffs, k);
        ga = Tensor.wrap(da, a.shape.clone());
      }
      if (b.requiresGrad()) {
        // dB = op(A)ᵀ · dC
        float[] db = Arena.zeroed(b.numel());
        if (p.m > 0) run(!p.la.trans, false, k, n, p.m, a.data, p.aOffs, p.la.ld, gc.data, gOffs, n, db, p.dbOffs, n);
        gb = Tensor.wrap(db, b.shape.clone());
      }
      return new Tensor[] {ga, gb};
    }, a, b);
  }

  /**
   * The GEMM calls of one matmul: m rows per call, the layouts, and per call the offsets of A, B, C
   * and of the gradient buffers dA, dB (contiguous in a's and b's shapes, so a broadcast batch dim
   * repeats an offset there).
   */
  private record Plan(int m, Layout la, Layout lb, int[] aOffs, int[] bOffs, int[] cOffs, int[] daOffs, int[] dbOffs) {}

  private static Plan plan(Tensor a, Tensor b, int[] batch, int m, int k, int n) {
    Layout la = layout(a);
    Layout lb = layout(b);
    int[] aOffs = batchOffsets(a.shape, a.strides, a.offset, batch);
    int[] bOffs = batchOffsets(b.shape, b.strides, b.offset, batch);
    int[] daOffs = batchOffsets(a.shape, Shape.contiguousStrides(a.shape), 0, batch);
    int[] dbOffs = batchOffsets(b.shape, Shape.contiguousStrides(b.shape), 0, batch);
    int nb = aOffs.length;
    if (nb > 1 && foldable(la, aOffs, bOffs, daOffs, dbOffs, m, k)) {
      // one B for the whole batch and A's matrices stacked row after row: one (nb·m × k)·(k × n) GEMM
      return new Plan(nb * m, la, lb, new int[] {aOffs[0]}, new int[] {bOffs[0]}, new int[] {0}, new int[] {0},
          new int[] {0});
    }
    int[] cOffs = new int[nb];
    for (int i = 0; i < nb; i++) cOffs[i] = i * m * n;
    return new Plan(m, la, lb, aOffs, bOffs, cOffs, daOffs, dbOffs);
  }

  /**
   * linear: y = x · Wᵀ + bias, x (..., in), W (out, in), bias (out) or null. One NT GEMM over all
   * leading dims flattened into M rows, accumulating onto C pre-filled with the bias rows.
   */
  static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
    if (weight.dim() != 2 || x.dim() == 0 || x.shape[x.dim() - 1] != weight.shape[1]) {
      throw new IllegalArgumentException(
          "linear: input of shape " + Shape.str(x.shape) + " does not fit weight of shape "
              + Shape.str(weight.shape) + " (expected weight (out, in) with in = the input's last dim)");
    }
    int out = weight.shape[0];
    int in = weight.shape[1];
    if (bias != null && (bias.dim() != 1 || bias.shape[0] != out)) {
      throw new IllegalArgumentException(
          "linear: bias of shape " + Shape.str(bias.shape) + " does not fit weight of shape "
              + Shape.str(weight.shape) + " (expected (" + out + ",))");
    }
    Tensor xc = x.contiguous();
    Tensor w = layout(weight) == null ? weight.contiguous() : weight;
    Layout lw = layout(w);
    int rows = Shape.numel(Arrays.copyOf(x.shape, x.dim() - 1));
    if (ProductProbe.active()) ProductProbe.report("linear", 1, rows, in, out, weight);
    int[] outShape = x.shape.clone();
    outShape[outShape.length - 1] = out;
    // with a bias the GEMM adds onto the bias rows; without one it writes y (no zero-fill pass)
    float[] y = in > 0 || bias != null ? Arena.scratch(rows * out) : Arena.zeroed(rows * out);
    if (bias != null) {
      float[] bv = bias.toArray();
      // on the pool: for thousands of rows this copy is a pass over all of y
      Parallel.forRange(rows, Math.max(1, 16384 / Math.max(1, out)), (from, to) -> {
        for (int r = from; r < to; r++) System.arraycopy(bv, 0, y, r * out, out);
      });
    }
    // op(B) = Wᵀ: W stored (out, in) is read transposed; a transposed view of (in, out) is read as is
    if (in > 0) {
      Gemm.sgemm(false, !lw.trans, rows, out, in, xc.data, xc.offset, in, w.data, w.offset, lw.ld, y, 0, out, bias != null);
    }
    Tensor result = Tensor.wrap(y, outShape);
    final int m = rows;
    return Autograd.record("linear", result, g -> {
      Tensor gc = g.isContiguous() ? g : g.copy();
      Tensor gx = null;
      Tensor gw = null;
      Tensor gbias = null;
      if (xc.requiresGrad()) {
        // dX = dY · W (M × out)·(out × in)
        float[] dx = out > 0 ? Arena.scratch(m * in) : Arena.zeroed(m * in);
        if (out > 0) Gemm.sgemm(false, lw.trans, m, in, out, gc.data, gc.offset, out, w.data, w.offset, lw.ld, dx, 0, in, false);
        gx = Tensor.wrap(dx, xc.shape.clone());
      }
      if (w.requiresGrad()) {
        // dW = dYᵀ · X (out × M)·(M × in)
        float[] dw = m > 0 ? Arena.scratch(out * in) : Arena.zeroed(out * in);
        if (m > 0) Gemm.sgemm(true, false, out, in, m, gc.data, gc.offset, out, xc.data, xc.offset, in, dw, 0, in, false);
        gw = Tensor.wrap(dw, new int[] {out, in});
      }
      if (bias != null && bias.requiresGrad()) {
        // db = Σ_rows dY
        gbias = Tensor.wrap(RowMath.columnSums(gc.data, gc.offset, m, out), new int[] {out});
      }
      return new Tensor[] {gx, gw, gbias};
    }, xc, w, bias);
  }

  /** The GEMM layout of t's last two dims, or null when neither side has unit stride. */
  private static Layout layout(Tensor t) {
    int r = t.shape[t.dim() - 2];
    int c = t.shape[t.dim() - 1];
    int sr = t.strides[t.dim() - 2];
    int sc = t.strides[t.dim() - 1];
    if (r == 0 || c == 0) return new Layout(false, Math.max(1, c)); // nothing is read
    if (c <= 1 || sc == 1) {
      int ld = r <= 1 ? Math.max(1, c) : sr;
      if (ld >= Math.max(1, c)) return new Layout(false, ld);
    }
    if (r <= 1 || sr == 1) {
      int ld = c <= 1 ? Math.max(1, r) : sc;
      if (ld >= Math.max(1, r)) return new Layout(true, ld);
    }
    return null;
  }

  private static int[] batchShape(Tensor a, Tensor b) {
    int la = a.dim() - 2;
    int lb = b.dim() - 2;
    int nb = Math.max(la, lb);
    int[] out = new int[nb];
    for (int i = 0; i < nb; i++) {
      int da = i < nb - la ? 1 : a.shape[i - (nb - la)];
      int db = i < nb - lb ? 1 : b.shape[i - (nb - lb)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            "matmul: batch dimensions of shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape)
                + " cannot be broadcast (" + da + " vs " + db + ")");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Storage offset of each matrix of a tensor broadcast over the batch shape (size-1 dims repeat). */
  private static int[] batchOffsets(int[] shape, int[] strides, int offset, int[] batch) {
    int nb = batch.length;
    int lead = nb - (shape.length - 2);
    int[] offs = new int[Shape.numel(batch)];
    int[] idx = new int[nb];
    for (int i = 0; i < offs.length; i++) {
      int p = offset;
      for (int d = lead; d < nb; d++) if (shape[d - lead] != 1) p += idx[d] * strides[d - lead];
      offs[i] = p;
      for (int d = nb - 1; d >= 0; d--) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
    return offs;
  }

  /** Whether b is one matrix for the whole batch and a's matrices follow each other row by row. */
  private static boolean foldable(
      Layout la, int[] aOffs, int[] bOffs, int[] daOffs, int[] dbOffs, int m, int k) {
    if (la.trans) return false;
    for (int i = 0; i < aOffs.length; i++) {
      if (bOffs[i] != bOffs[0] || dbOffs[i] != dbOffs[0]) return false;
      if (aOffs[i] != aOffs[0] + i * m * la.ld || daOffs[i] != i * m * k) return false;
    }
    return true;
  }

  private static int[] shift(int[] offs, int by) {
    int[] r = offs.clone();
    for (int i = 0; i < r.length; i++) r[i] += by;
    return r;
  }

  /**
   * C_i (+)= op(A_i)·op(B_i) for every i, into a zeroed C. Entries that share a C block (a
   * broadcast batch dim, in a gradient) accumulate there, in batch order.
   */
  private static void run(boolean tA, boolean tB, int m, int n, int k, float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb, float[] c, int[] cOffs, int ldc) {
    if (cOffs.length == 1) {
      Gemm.sgemm(tA, tB, m, n, k, a, aOffs[0], lda, b, bOffs[0], ldb, c, cOffs[0], ldc, false);
      return;
    }
    boolean repeats = new HashSet<Integer>(Arrays.stream(cOffs).boxed().toList()).size() < cOffs.length;
    Gemm.sgemmBatched(tA, tB, m, n, k, a, aOffs, lda, b, bOffs, ldb, c, cOffs, ldc, repeats);
  }
}
