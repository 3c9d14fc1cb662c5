package lmlab.autograd;

import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;
import java.util.function.Function;

/**
 * Finite-difference check of autograd's gradients: for L = sum(f(inputs) * R) with a fixed random
 * R, compares dL/dx from backward with central differences (L(x + h) - L(x - h)) / 2h, computed
 * with float32 forward passes (so h is not tiny: 1e-2 by default, with tolerances to match).
 */
public final class GradCheck {
  private GradCheck() {}

  /** The worst mismatch found, with where it was. */
  public record Result(double maxError, String where) {
    public boolean ok() {
      return maxError <= 1.0;
    }
  }

  /**
   * Checks every element of every input that requires grad. The error of one element is
   * |analytic - numeric| / (atol + rtol * |numeric|); the check passes when all are <= 1.
   */
  public static Result check(Function<Tensor[], Tensor> f, Tensor[] inputs, double h, double atol, double rtol, long seed) {
    Tensor out0;
    try (var g = Autograd.noGrad()) {
      out0 = f.apply(inputs);
    }
    Tensor r = Tensor.randn(new Rng(seed), out0.shape());
    for (Tensor x : inputs) if (x.requiresGrad()) x.clearGrad();
    Tensor out = f.apply(inputs);
    if (!out.requiresGrad()) throw new IllegalStateException("GradCheck: output does not require grad");
    out.backward(r);
    double worst = 0;
    String where = "none";
    for (int t = 0; t < inputs.length; t++) {
      Tensor x = inputs[t];
      if (!x.requiresGrad()) continue;
      Tensor analytic = x.grad() != null ? x.grad() : Tensor.zeros(x.shape());
      int[] shape = x.shape();
      int n = x.numel();
      int[] idx = new int[shape.length];
      for (int e = 0; e < n; e++) {
        float orig = x.get(idx);
        x.set(orig + (float) h, idx);
        double lp = loss(f, inputs, r);
        x.set(orig - (float) h, idx);
        double lm = loss(f, inputs, r);
        x.set(orig, idx);
        double numeric = (lp - lm) / (2 * h);
        double a = analytic.get(idx);
        double err = Math.abs(a - numeric) / (atol + rtol * Math.abs(numeric));
        if (err > worst) {
          worst = err;
          where = "input " + t + " " + Shape.str(shape) + " at " + java.util.Arrays.toString(idx)
              + ": autograd " + a + ", finite difference " + numeric;
        }
        for (int i = shape.length - 1; i >= 0; i--) {
          if (++idx[i] < shape[i]) break;
          idx[i] = 0;
        }
      }
    }
    return new Result(worst, where);
  }

  /** check with h = 1e-2, atol = 2e-2, rtol = 2e-2: loose enough for float32 differences. */
  public static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    return check(f, inputs, 1e-2, 2e-2, 2e-2, 1234);
  }

  private static double loss(Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor r) {
    try (var g = Autograd.noGrad()) {
      Tensor out = f.apply(inputs);
      float[] o = out.toArray();
      float[] w = r.toArray();
      double s = 0;
      for (int i = 0; i < o.length; i++) s += (double) o[i] * w[i];
      return s;
    }
  }
}
