package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * softmax and log_softmax over any dim, fused and numerically stable (each row shifted by its max).
 * The last dim runs row by row on the Vector API, in parallel over rows; another dim is moved last
 * by a transpose. -inf entries (masked) get probability 0 and gradient 0; a row that is entirely
 * -inf is an error.
 */
final class Softmax {
  private Softmax() {}

  static Tensor softmax(Tensor x, int dim) {
    return overDim(x, dim, false);
  }

  static Tensor logSoftmax(Tensor x, int dim) {
    return overDim(x, dim, true);
  }

  private static Tensor overDim(Tensor x, int dim, boolean log) {
    String op = log ? "logSoftmax" : "softmax";
    int d = Shape.dim(op, dim, x.dim());
    if (x.dim() == 0) return lastDim(x.reshape(1), log).reshape();
    if (d == x.dim() - 1) return lastDim(x, log);
    return lastDim(x.transpose(d, -1), log).transpose(d, -1).contiguous();
  }

  private static Tensor lastDim(Tensor x0, boolean log) {
    String op = log ? "logSoftmax" : "softmax";
    Tensor x = x0.contiguous();
    int n = x.shape[x.dim() - 1];
    int rows = n == 0 ? 0 : x.numel() / n;
    float[] xs = x.data;
    int xo = x.offset;
    float[] y = Arena.scratch(x.numel());
    Parallel.forRange(rows, RowMath.rowGrain(n), (from, to) -> {
      for (int r = from; r < to; r++) {
        int p = xo + r * n;
        int q = r * n;
        float max = RowMath.max(xs, p, n);
        if (max == Float.NEGATIVE_INFINITY) throw allMasked(op, x.shape, r);
        float sum = RowMath.expShiftSum(xs, p, y, q, n, max);
        if (log) {
          // log_softmax = x - max - log Σ exp(x - max)
          float lse = max + (float) StrictMath.log(sum);
          for (int i = 0; i < n; i++) y[q + i] = xs[p + i] - lse;
        } else {
          // softmax = exp(x - max) / Σ exp(x - max)
          RowMath.scale(y, q, n, 1f / sum);
        }
      }
    });
    Tensor out = Tensor.wrap(y, x.shape.clone());
    return Autograd.record(op, out, g -> new Tensor[] {log ? logSoftmaxBackward(y, g, n) : softmaxBackward(y, g, n)}, x);
  }

  /** dx = y ⊙ (g − Σ g⊙y), per row. */
  private static Tensor softmaxBackward(float[] y, Tensor g0, int n) {
    Tensor g = g0.isContiguous() ? g0 : g0.copy();
    float[] gs = g.data;
    int go = g.offset;
    float[] dx = Arena.scratch(y.length);
    int rows = n == 0 ? 0 : y.length / n;
    Parallel.forRange(rows, RowMath.rowGrain(n), (from, to) -> {
      for (int r = from; r < to; r++) {
        int q = r * n;
        float s = RowMath.dot(gs, go + q, y, q, n);
        int i = 0;
        for (int bound = RowMath.F.loopBound(n); i < bound; i += RowMath.F.length()) {
          FloatVector yv = FloatVector.fromArray(RowMath.F, y, q + i);
          yv.mul(FloatVector.fromArray(RowMath.F, gs, go + q + i).sub(s)).intoArray(dx, q + i);
        }
        for (; i < n; i++) dx[q + i] = y[q + i] * (gs[go + q + i] - s);
      }
    });
    return Tensor.wrap(dx, g.shape.clone());
  }

  /** dx = g − softmax ⊙ Σ g, per row, with softmax = exp(log_softmax). */
  private static Tensor logSoftmaxBackward(float[] y, Tensor g0, int n) {
    Tensor g = g0.isContiguous() ? g0 : g0.copy();
    float[] gs = g.data;
    int go = g.offset;
    float[] dx = Arena.scratch(y.length);
    int rows = n == 0 ? 0 : y.length / n;
    Parallel.forRange(rows, RowMath.rowGrain(n), (from, to) -> {
      for (int r = from; r < to; r++) {
        int q = r * n;
        float s = RowMath.sum(gs, go + q, n);
        int i = 0;
        for (int bound = RowMath.F.loopBound(n); i < bound; i += RowMath.F.length()) {
          FloatVector p = Lanes.exp(FloatVector.fromArray(RowMath.F, y, q + i));
          FloatVector.fromArray(RowMath.F, gs, go + q + i).sub(p.mul(s)).intoArray(dx, q + i);
        }
        for (; i < n; i++) dx[q + i] = gs[go + q + i] - Lanes.exp(y[q + i]) * s;
      }
    });
    return Tensor.wrap(dx, g.shape.clone());
  }

  static IllegalArgumentException allMasked(String op, int[] shape, int row) {
    return new IllegalArgumentException(
        op + ": row " + row + " of a tensor of shape " + Shape.str(shape)
            + " is entirely -inf (every entry masked); its normaliser is 0 and the result would be NaN");
  }
}
