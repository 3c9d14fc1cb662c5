package lmlab.train;

import java.util.Collection;
import lmlab.tensor.Tensor;

/**
 * Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_: with
 * ‖g‖ = sqrt(Σ_p Σ_i g_{p,i}²) over every parameter's gradient, when ‖g‖ > maxNorm every gradient
 * is scaled by maxNorm / (‖g‖ + 1e-6). Also the global L2 norm of the parameters themselves (the
 * "param_norm" the trainer logs).
 */
public final class GradClip {
  private GradClip() {}

  /** Scales the gradients so their global norm is at most maxNorm; returns the norm before clipping. */
  public static double clip(Collection<Tensor> parameters, double maxNorm) {
    if (!(maxNorm > 0)) throw new IllegalArgumentException("clip: max norm must be > 0, got " + maxNorm);
    double norm = gradNorm(parameters);
    double coef = maxNorm / (norm + 1e-6);
    if (coef < 1) {
      float c = (float) coef;
      for (Tensor p : parameters) {
        Tensor g = p.grad();
        if (g == null) continue;
        float[] d = g.storage();
        int off = g.offset(), n = g.numel();
        for (int i = 0; i < n; i++) d[off + i] *= c;
      }
    }
    return norm;
  }

  /** sqrt(Σ g²) over every gradient (parameters without one count as zero), summed in double. */
  public static double gradNorm(Collection<Tensor> parameters) {
    double s = 0;
    for (Tensor p : parameters) {
      if (p.grad() != null) s += sumSquares(p.grad().contiguous());
    }
    return Math.sqrt(s);
  }

  /** sqrt(Σ p²) over every parameter, summed in double. */
  public static double norm(Collection<Tensor> tensors) {
    double s = 0;
    for (Tensor t : tensors) s += sumSquares(t.contiguous());
    return Math.sqrt(s);
  }

  private static double sumSquares(Tensor t) {
    float[] d = t.storage();
    int off = t.offset(), n = t.numel();
    double s = 0;
    for (int i = 0; i < n; i++) {
      double x = d[off + i];
      s += x * x;
    }
    return s;
  }
}
