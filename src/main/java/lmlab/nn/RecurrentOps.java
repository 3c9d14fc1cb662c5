package lmlab.nn;

import java.util.ArrayList;
import java.util.List;
import lmlab.autograd.Autograd;
import lmlab.tensor.Arena;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/** Helpers shared by the recurrent layers (Elman, BiRNN, LSTM). */
public final class RecurrentOps {
  private RecurrentOps() {}

  /**
   * The time steps of x (B, S, n) as S contiguous tensors (B, n), differentiable.
   *
   * <p>Slicing a step with {@code select} would make every step's backward allocate a zero tensor
   * of x's full shape and add it to the running sum: O(S²·B·n) work over a sequence. Here the S
   * steps share one gradient buffer instead: the first step whose gradient arrives allocates it,
   * writes its rows and hands the buffer to the engine as the gradient of x; every later step
   * writes its rows into the same buffer and returns nothing. x is processed only after all its
   * users, so the buffer is complete by then. This is only correct when the steps are x's only
   * users, so callers pass an intermediate they created themselves and use nowhere else.
   */
  public static List<Tensor> unbindTime(Tensor x) {
    if (x.dim() != 3) {
      throw new IllegalArgumentException("unbindTime: expected (B, S, n), got shape " + Shape.str(x.shape()));
    }
    int steps = x.size(1);
    List<Tensor> out = new ArrayList<>(steps);
    if (!Autograd.needsGrad(x)) {
      for (int t = 0; t < steps; t++) out.add(x.select(1, t).detach().contiguous());
      return out;
    }
    int[] shape = x.shape();
    Tensor[] buffer = new Tensor[1];
    for (int t = 0; t < steps; t++) {
      Tensor step;
      try (var g = Autograd.noGrad()) {
        step = x.select(1, t).copy();
      }
      final int time = t;
      out.add(Autograd.record("unbind_time", step, grad -> {
        boolean first = buffer[0] == null;
        if (first) buffer[0] = Arena.zeros(shape);
        buffer[0].select(1, time).copy_(grad);
        return new Tensor[] {first ? buffer[0] : null};
      }, x));
    }
    return out;
  }

  /** Zeros (B, n) when given is null; otherwise checks given's shape. */
  static Tensor stateOrZeros(Tensor given, String what, int batch, int n) {
    if (given == null) return Tensor.zeros(batch, n);
    int[] s = given.shape();
    if (s.length != 2 || s[0] != batch || s[1] != n) {
      throw new IllegalArgumentException(what + " must have shape (" + batch + ", " + n + "), got " + Shape.str(s));
    }
    return given;
  }

  /** Checks x is (B, S, expectedLast) with S >= 1. */
  static void checkSequence(String who, Tensor x, int expectedLast) {
    int[] s = x.shape();
    if (s.length != 3 || s[2] != expectedLast) {
      throw new IllegalArgumentException(who + ": input must have shape (B, S, " + expectedLast + "), got " + Shape.str(s));
    }
    if (s[1] < 1) throw new IllegalArgumentException(who + ": the sequence is empty (S = 0)");
  }

  /** Checks a layered state (L, B, n) and returns layer l's (B, n) slice, or null when state is null. */
  static Tensor layerState(Tensor state, String what, int layers, int batch, int n, int l) {
    if (state == null) return null;
    int[] s = state.shape();
    if (s.length != 3 || s[0] != layers || s[1] != batch || s[2] != n) {
      throw new IllegalArgumentException(
          what + " must have shape (" + layers + ", " + batch + ", " + n + "), got " + Shape.str(s));
    }
    return state.select(0, l);
  }

}
