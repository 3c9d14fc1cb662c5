package lmlab.tensor;

import lmlab.autograd.Autograd;
import lmlab.kernels.Gemm;
import lmlab.kernels.Parallel;

/**
 * A whole LSTM layer's recurrence as one autograd op (as cuDNN's RNN and llm.c-style code do): from
 * the input part of every step's gate pre-activations X = x W_xᵀ + b (B, S, 4d), the recurrent weight
 * W_h (4d, d) and the initial state h_0, c_0 (B, d), for t = 1..S
 *
 * <pre>
 *   a_t = X_t + h_{t-1} W_hᵀ                       (one (B, d)·(d, 4d) product, added onto X_t)
 *   [h_t | c_t] = cell(a_t, c_{t-1})               ({@link LstmCellKernels}: i, f, g, o; c_t; h_t)
 * </pre>
 *
 * returned as [h_t | c_t] for every step, (B, S, 2d). One node instead of 3S (product, add, cell)
 * matters in backward, where the S per-step weight gradients become one product:
 *
 * <pre>
 *   for t = S..1:  [dh_t | dc_t] = upstream_t + [dh from step t+1 | dc from step t+1]
 *                  da_t, dc_{t-1} = cell backward        (LstmCellKernels' formulas)
 *                  dh_{t-1} = da_t W_h                   ((B, 4d)·(4d, d))
 *   dX = da (B, S, 4d)       dW_h = Σ_t da_tᵀ h_{t-1} = daᵀ · H_prev   (one (4d, BS)·(BS, d) product)
 *   dh_0, dc_0 = the carries left after t = 1
 * </pre>
 */
final class LstmSequenceKernels {
  private LstmSequenceKernels() {}

  static Tensor sequence(Tensor x, Tensor wH, Tensor h0, Tensor c0) {
    if (x.dim() != 3 || x.size(2) % 4 != 0) {
      throw new IllegalArgumentException(
          "lstmSequence: input pre-activations must have shape (B, S, 4d), got " + Shape.str(x.shape()));
    }
    int batch = x.size(0), steps = x.size(1), d = x.size(2) / 4;
    checkShape("recurrent weight", wH, 4 * d, d);
    checkShape("initial state h0", h0, batch, d);
    checkShape("initial state c0", c0, batch, d);
    Tensor xc = x.contiguous(), w = wH.contiguous(), hIn = h0.contiguous(), cIn = c0.contiguous();
    if (ProductProbe.active()) ProductProbe.report("linear", steps, batch, d, 4 * d, null);
    int row = steps * 2 * d; // one sequence's [h | c] for every step
    float[] out = Arena.scratch(batch * row);
    float[] saved = Arena.scratch(batch * steps * 5 * d); // per (b, t): i, f, g, o, tanh(c_t)
    float[] pre = Arena.scratch(batch * 4 * d);
    float[] xs = xc.data;
    int xo = xc.offset;
    for (int t = 0; t < steps && batch > 0; t++) {
      final int step = t;
      Parallel.forRange(batch, Math.max(1, 4096 / d), (from, to) -> { // a_t starts as X_t
        for (int b = from; b < to; b++) System.arraycopy(xs, xo + (b * steps + step) * 4 * d, pre, b * 4 * d, 4 * d);
      });
      if (t == 0) {
        Gemm.sgemm(false, true, batch, 4 * d, d, hIn.data, hIn.offset, d, w.data, w.offset, d, pre, 0, 4 * d, true);
      } else {
        Gemm.sgemm(false, true, batch, 4 * d, d, out, (t - 1) * 2 * d, row, w.data, w.offset, d, pre, 0, 4 * d, true);
      }
      float[] cs = t == 0 ? cIn.data : out;
      int cOff = t == 0 ? cIn.offset : (t - 1) * 2 * d + d;
      int ldc = t == 0 ? d : row;
      Parallel.forRange(batch, LstmCellKernels.grain(d), (from, to) -> {
        for (int b = from; b < to; b++) {
          LstmCellKernels.forwardRow(pre, b * 4 * d, cs, cOff + b * ldc, out, b * row + step * 2 * d,
              saved, (b * steps + step) * 5 * d, d);
        }
      });
    }
    Tensor hc = Tensor.wrap(out, new int[] {batch, steps, 2 * d});
    return Autograd.record("lstm_sequence", hc,
        g -> backward(g, out, saved, w, hIn, cIn, batch, steps, d), xc, w, hIn, cIn);
  }

  private static Tensor[] backward(Tensor grad, float[] out, float[] saved, Tensor w, Tensor h0, Tensor c0,
      int batch, int steps, int d) {
    Tensor g = grad.contiguous();
    float[] gs = g.data;
    int go = g.offset, row = steps * 2 * d;
    float[] dA = Arena.scratch(batch * steps * 4 * d); // da_t for every step: also dX
    float[] up = Arena.scratch(batch * 2 * d);         // [dh_t | dc_t] of the step being undone
    float[] dh = Arena.zeroed(batch * d);              // dh carried to step t-1
    float[] dc = Arena.zeroed(batch * d);              // dc carried to step t-1
    for (int t = steps - 1; t >= 0 && batch > 0; t--) {
      final int step = t;
      float[] cs = t == 0 ? c0.data : out;
      int cOff = t == 0 ? c0.offset : (t - 1) * 2 * d + d;
      int ldc = t == 0 ? d : row;
      Parallel.forRange(batch, LstmCellKernels.grain(d), (from, to) -> {
        for (int b = from; b < to; b++) {
          int gi = go + b * row + step * 2 * d;
          for (int j = 0; j < d; j++) {
            up[b * 2 * d + j] = gs[gi + j] + dh[b * d + j];
            up[b * 2 * d + d + j] = gs[gi + d + j] + dc[b * d + j];
          }
          LstmCellKernels.backwardRow(up, b * 2 * d, saved, (b * steps + step) * 5 * d, cs, cOff + b * ldc,
              dA, (b * steps + step) * 4 * d, dc, b * d, d);
        }
      });
      if (t > 0 || h0.requiresGrad()) {
        Gemm.sgemm(false, false, batch, d, 4 * d, dA, t * 4 * d, steps * 4 * d, w.data, w.offset, d, dh, 0, d, false);
      }
    }
    Tensor dW = null;
    if (w.requiresGrad() && batch * steps == 0) {
      dW = Tensor.zeros(4 * d, d);
    } else if (w.requiresGrad()) {
      float[] hPrev = Arena.scratch(batch * steps * d); // row (b, t) holds h_{t-1}, h_0 for t = 0
      Parallel.forRange(batch, Math.max(1, 4096 / (steps * d)), (from, to) -> {
        for (int b = from; b < to; b++) {
          System.arraycopy(h0.data, h0.offset + b * d, hPrev, b * steps * d, d);
          for (int t = 1; t < steps; t++) System.arraycopy(out, b * row + (t - 1) * 2 * d, hPrev, (b * steps + t) * d, d);
        }
      });
      float[] dw = Arena.scratch(4 * d * d);
      Gemm.sgemm(true, false, 4 * d, d, batch * steps, dA, 0, 4 * d, hPrev, 0, d, dw, 0, d, false);
      dW = Tensor.wrap(dw, new int[] {4 * d, d});
    }
    return new Tensor[] {
        Tensor.wrap(dA, new int[] {batch, steps, 4 * d}), dW,
        Tensor.wrap(dh, new int[] {batch, d}), Tensor.wrap(dc, new int[] {batch, d})};
  }

  private static void checkShape(String what, Tensor t, int rows, int cols) {
    if (t.dim() != 2 || t.size(0) != rows || t.size(1) != cols) {
      throw new IllegalArgumentException("lstmSequence: " + what + " must have shape (" + rows + ", " + cols
          + "), got " + Shape.str(t.shape()));
    }
  }
}
