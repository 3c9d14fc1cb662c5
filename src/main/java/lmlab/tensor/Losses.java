package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * Cross-entropy fused with its log-softmax: one pass per row for the loss (max, log-sum-exp, the
 * target's logit) and one for the gradient ((softmax − onehot)·scale), as PyTorch's
 * {@code cross_entropy} with {@code ignore_index} and a reduction.
 */
final class Losses {
  private Losses() {}

  /**
   * loss_r = logsumexp(x_r) − x_r[t_r] for every row r of logits (..., C) whose target t_r is not
   * ignoreIndex (targets have the logits' shape without C). MEAN divides by the number of such rows.
   */
  static Tensor crossEntropy(Tensor logits, IntTensor targets, int ignoreIndex, Reduction reduction) {
    int[] ls = logits.shape;
    int[] ts = targets.shape();
    if (ls.length < 2 || !Shape.same(java.util.Arrays.copyOf(ls, ls.length - 1), ts)) {
      throw new IllegalArgumentException(
          "crossEntropy: logits of shape " + Shape.str(ls) + " and targets of shape " + Shape.str(ts)
              + " do not fit (expected logits (..., C) and targets (...), e.g. (N, C) and (N,))");
    }
    int c = ls[ls.length - 1];
    int rows = targets.numel();
    int[] t = targets.storage();
    int count = 0;
    for (int r = 0; r < rows; r++) {
      if (t[r] == ignoreIndex) continue;
      if (t[r] < 0 || t[r] >= c) {
        throw new IllegalArgumentException(
            "crossEntropy: target " + t[r] + " at position " + r + " is out of range for " + c
                + " classes (expected 0.." + (c - 1) + ", or the ignore index " + ignoreIndex + ")");
      }
      count++;
    }
    if (reduction == Reduction.MEAN && count == 0) {
      throw new IllegalArgumentException(
          "crossEntropy: every one of the " + rows + " targets is the ignore index " + ignoreIndex
              + "; their mean is undefined (0/0)");
    }
    Tensor x = logits.contiguous();
    float[] xs = x.data;
    int xo = x.offset;
    float[] lse = Arena.zeroed(rows);
    float[] loss = Arena.zeroed(rows);
    Parallel.forRange(rows, RowMath.rowGrain(c), (from, to) -> {
      for (int r = from; r < to; r++) {
        if (t[r] == ignoreIndex) continue;
        int p = xo + r * c;
        float max = RowMath.max(xs, p, c);
        if (max == Float.NEGATIVE_INFINITY) throw Softmax.allMasked("crossEntropy", ls, r);
        // loss = max + log Σ exp(x - max) − x[t]
        lse[r] = max + (float) StrictMath.log(RowMath.expShiftSum(xs, p, c, max));
        loss[r] = lse[r] - xs[p + t[r]];
      }
    });
    Tensor out;
    if (reduction == Reduction.NONE) {
      out = Tensor.wrap(loss, ts);
    } else {
      double s = 0;
      for (float v : loss) s += v;
      out = Tensor.scalar((float) (reduction == Reduction.MEAN ? s / count : s));
    }
    int n = count;
    return Autograd.record("crossEntropy", out, g -> new Tensor[] {backward(x, t, lse, ignoreIndex, reduction, n, g)}, x);
  }

  /** dx_r = (softmax(x_r) − onehot(t_r)) · scale_r, scale_r = g/count, g, or g_r; 0 for ignored rows. */
  private static Tensor backward(Tensor x, int[] t, float[] lse, int ignoreIndex, Reduction reduction, int count, Tensor g) {
    int c = x.shape[x.dim() - 1];
    int rows = t.length;
    float[] xs = x.data;
    int xo = x.offset;
    float[] gv = g.toArray();
    float[] dx = Arena.zeroed(rows * c); // ignored rows stay zero
    Parallel.forRange(rows, RowMath.rowGrain(c), (from, to) -> {
      for (int r = from; r < to; r++) {
        if (t[r] == ignoreIndex) continue;
        float scale = switch (reduction) {
          case MEAN -> gv[0] / count;
          case SUM -> gv[0];
          case NONE -> gv[r];
        };
        int p = xo + r * c;
        int q = r * c;
        float shift = lse[r];
        int i = 0;
        for (int bound = RowMath.F.loopBound(c); i < bound; i += RowMath.F.length()) {
          FloatVector e = Lanes.exp(FloatVector.fromArray(RowMath.F, xs, p + i).sub(shift));
          e.mul(scale).intoArray(dx, q + i);
        }
        for (; i < c; i++) dx[q + i] = Lanes.exp(xs[p + i] - shift) * scale;
        dx[q + t[r]] -= scale;
      }
    });
    return Tensor.wrap(dx, x.shape.clone());
  }
}
