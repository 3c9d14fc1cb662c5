package lmlab.nn;

import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Normalisation statistics of a tensor x (N, C, F) — batch size, channels, features — mean and
 * biased variance (divide by the count) over:
 *
 * <pre>
 *   batch    (N, F) per channel  → (C,)     BatchNorm
 *   layer    (C, F) per sample   → (N,)     LayerNorm
 *   instance F per (sample, channel) → (N, C)   InstanceNorm
 * </pre>
 *
 * Differentiable (built from the engine's mean and var).
 */
public final class NormStats {
  private NormStats() {}

  /** A mean and its biased variance, same shape. */
  public record Stats(Tensor mean, Tensor var) {}

  /** Over (N, F): shape (C,). */
  public static Stats batch(Tensor x) {
    return over(x, "batch", 0, 2);
  }

  /** Over (C, F): shape (N,). */
  public static Stats layer(Tensor x) {
    return over(x, "layer", 1, 2);
  }

  /** Over F: shape (N, C). */
  public static Stats instance(Tensor x) {
    return over(x, "instance", 2);
  }

  private static Stats over(Tensor x, String what, int... dims) {
    if (x.dim() != 3) {
      throw new IllegalArgumentException(what + "-norm statistics need x (N, C, F), got shape " + Shape.str(x.shape()));
    }
    return new Stats(x.mean(dims, false), x.var(dims, false, false)); // mean, mean((x - mean)²)
  }
}
