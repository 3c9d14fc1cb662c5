package lmlab.lab.arith;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Tensor;

/**
 * The arithmetic lab's loss and accuracy on the right-hand side of each equation (arithmetic.md):
 *
 * <pre>
 *   RHS(i)  = { j : j > eq_position_i and mask[i, j] }          (the result and EOS)
 *   loss_i  = -(1/|RHS(i)|) Σ_{j ∈ RHS(i)} log softmax(logits[i, j])[Y[i, j]]
 *   acc_i   = 1 if argmax(logits[i, j]) = Y[i, j] for every j ∈ RHS(i), else 0
 * </pre>
 *
 * reduced by {@code mean} (over the batch), {@code sum}, or {@code none} (vectors of length B).
 * {@link LossSpan#SEQUENCE} uses RHS(i) = { j : mask[i, j] } (next-token loss on whole sequences).
 *
 * <p>One fused op with its own backward: a single pass over the selected positions computes each
 * row's log-sum-exp, target log-probability and argmax; the gradient is (softmax − onehot)
 * weighted by upstream/|RHS(i)| (and 1/B for the mean) on the selected positions, 0 elsewhere.
 * exp runs on the Vector API; sums of exponentials are accumulated in double. Accuracy carries
 * no gradient. An argmax tie counts as correct only when the target is the first maximal index
 * (as torch.argmax). The softmax of the selected positions is kept for backward only when the
 * logits require grad. NaN or infinite logits give a NaN loss (as in PyTorch), which the trainer
 * detects; they are not an error here.
 */
public final class RhsLoss {
  private RhsLoss() {}

  /** The loss (differentiable in the logits) and the accuracy (no gradient), reduced alike. */
  public record Result(Tensor loss, Tensor accuracy) {}

  /** The RHS loss and accuracy of logits (B, S, V) against targets Y (B, S). */
  public static Result rhs(Tensor logits, IntTensor targets, IntTensor eqPosition, IntTensor mask, Reduction reduction) {
    return compute(LossSpan.RHS, logits, targets, eqPosition, mask, reduction);
  }

  /** The whole-sequence variant: every position j with mask[i, j] != 0. */
  public static Result sequence(Tensor logits, IntTensor targets, IntTensor mask, Reduction reduction) {
    return compute(LossSpan.SEQUENCE, logits, targets, null, mask, reduction);
  }

  /** The mean RHS loss alone. */
  public static Tensor loss(Tensor logits, IntTensor targets, IntTensor eqPosition, IntTensor mask) {
    return rhs(logits, targets, eqPosition, mask, Reduction.MEAN).loss();
  }

  /**
   * Loss and accuracy over the positions span selects. eqPosition (B,) may be null for
   * {@link LossSpan#SEQUENCE}. mask (B, S): nonzero = a real token. Every row must select at
   * least one position.
   */
  public static Result compute(
      LossSpan span, Tensor logits, IntTensor targets, IntTensor eqPosition, IntTensor mask, Reduction reduction) {
    if (reduction == null) reduction = Reduction.MEAN;
    int[] ls = logits.shape();
    if (ls.length != 3) {
      throw new IllegalArgumentException("RhsLoss: logits must be (B, S, V), got shape " + Arrays.toString(ls));
    }
    int b = ls[0];
    int s = ls[1];
    int v = ls[2];
    int[] bs = {b, s};
    if (!Arrays.equals(targets.shape(), bs)) {
      throw new IllegalArgumentException("RhsLoss: targets of shape " + Arrays.toString(targets.shape())
          + " do not fit logits " + Arrays.toString(ls) + " (expected " + Arrays.toString(bs) + ")");
    }
    if (!Arrays.equals(mask.shape(), bs)) {
      throw new IllegalArgumentException("RhsLoss: mask of shape " + Arrays.toString(mask.shape())
          + " does not fit logits " + Arrays.toString(ls) + " (expected " + Arrays.toString(bs) + ")");
    }
    if (b == 0) throw new IllegalArgumentException("RhsLoss: the batch is empty (B = 0)");
    boolean rhsOnly = span == LossSpan.RHS;
    if (rhsOnly && (eqPosition == null || !Arrays.equals(eqPosition.shape(), new int[] {b}))) {
      throw new IllegalArgumentException("RhsLoss: eq_position must have shape (" + b + "), got "
          + (eqPosition == null ? "none" : Arrays.toString(eqPosition.shape())));
    }
    int[] t = targets.storage();
    int[] m = mask.storage();
    int[] eq = rhsOnly ? eqPosition.storage() : null;

    // The selected positions of each row, as a CSR list of flat (i*s + j) indices.
    int[] start = new int[b + 1];
    int[] pos = new int[b * s];
    int k = 0;
    for (int i = 0; i < b; i++) {
      start[i] = k;
      int first = rhsOnly ? eq[i] + 1 : 0;
      for (int j = Math.max(first, 0); j < s; j++) {
        int f = i * s + j;
        if (m[f] == 0) continue;
        if (t[f] < 0 || t[f] >= v) {
          throw new IllegalArgumentException("RhsLoss: target " + t[f] + " at (" + i + ", " + j
              + ") is out of range for " + v + " classes");
        }
        pos[k++] = f;
      }
      if (k == start[i]) {
        throw new IllegalArgumentException("RhsLoss: row " + i + " has no " + (rhsOnly
            ? "position after its '=' (eq_position " + eq[i] + ") with mask 1" : "position with mask 1")
            + "; its loss would be 0/0");
      }
    }
    start[b] = k;

    Tensor x = logits.contiguous();
    float[] xs = x.storage();
    int xo = x.offset();
    boolean grad = Autograd.needsGrad(x);
    float[] probs = grad ? new float[k * v] : null; // softmax of each selected position, for backward
    double[] rowLoss = new double[b];
    float[] rowAcc = new float[b];
    Parallel.forRange(b, Math.max(1, 16384 / Math.max(1, s * v)), (from, to) -> {
      float[] tmp = probs == null ? new float[v] : null;
      for (int i = from; i < to; i++) {
        double sum = 0;
        boolean correct = true;
        for (int e = start[i]; e < start[i + 1]; e++) {
          int f = pos[e];
          int p = xo + f * v;
          float max = xs[p];
          int arg = 0;
          for (int c = 1; c < v; c++) {
            if (xs[p + c] > max) {
              max = xs[p + c];
              arg = c;
            }
          }
          float[] ex = probs != null ? probs : tmp;
          int o = probs != null ? e * v : 0;
          double z = expShift(xs, p, v, max, ex, o);
          if (probs != null) {
            float inv = (float) (1.0 / z);
            for (int c = 0; c < v; c++) probs[o + c] *= inv;
          }
          sum += max + StrictMath.log(z) - xs[p + t[f]];
          if (arg != t[f]) correct = false;
        }
        rowLoss[i] = sum / (start[i + 1] - start[i]);
        rowAcc[i] = correct ? 1f : 0f;
      }
    });

    Tensor loss;
    Tensor acc;
    if (reduction == Reduction.NONE) {
      float[] lf = new float[b];
      for (int i = 0; i < b; i++) lf[i] = (float) rowLoss[i];
      loss = Tensor.of(lf, b);
      acc = Tensor.of(rowAcc, b);
    } else {
      double ls2 = 0;
      double as = 0;
      for (int i = 0; i < b; i++) {
        ls2 += rowLoss[i];
        as += rowAcc[i];
      }
      double div = reduction == Reduction.MEAN ? b : 1;
      loss = Tensor.scalar((float) (ls2 / div));
      acc = Tensor.scalar((float) (as / div));
    }
    if (grad) {
      Reduction red = reduction;
      loss = Autograd.record("rhsLoss", loss, g -> new Tensor[] {backward(ls, t, start, pos, probs, red, g)}, x);
    }
    return new Result(loss, acc);
  }

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  /** out[o + c] = exp(x[p + c] - max) for c < v; returns their sum (in double across vector chunks). */
  private static double expShift(float[] x, int p, int v, float max, float[] out, int o) {
    double z = 0;
    int c = 0;
    for (int bound = F.loopBound(v); c < bound; c += F.length()) {
      FloatVector e = Lanes.exp(FloatVector.fromArray(F, x, p + c).sub(max));
      e.intoArray(out, o + c);
      z += Lanes.sum(e);
    }
    for (; c < v; c++) {
      float e = Lanes.exp(x[p + c] - max);
      out[o + c] = e;
      z += e;
    }
    return z;
  }

  /** d/dlogits[i, j, :] = w_i (softmax − onehot(Y[i, j])) on selected positions, w_i = g_i / |RHS(i)| (/B for mean). */
  private static Tensor backward(int[] shape, int[] t, int[] start, int[] pos, float[] probs, Reduction reduction,
      Tensor g) {
    int b = shape[0];
    int s = shape[1];
    int v = shape[2];
    float[] gv = g.toArray();
    float[] dx = new float[b * s * v];
    Parallel.forRange(b, Math.max(1, 16384 / Math.max(1, s * v)), (from, to) -> {
      for (int i = from; i < to; i++) {
        int n = start[i + 1] - start[i];
        double gi = switch (reduction) {
          case MEAN -> gv[0] / (double) b;
          case SUM -> gv[0];
          case NONE -> gv[i];
        };
        float w = (float) (gi / n);
        for (int e = start[i]; e < start[i + 1]; e++) {
          int f = pos[e];
          int q = f * v;
          int o = e * v;
          for (int c = 0; c < v; c++) dx[q + c] = probs[o + c] * w;
          dx[q + t[f]] -= w;
        }
      }
    });
    return Tensor.of(dx, shape);
  }
}
