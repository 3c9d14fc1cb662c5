package lmlab.nn;

import java.util.Locale;

/**
 * A per-token normalisation over the last dimension (LayerNorm, RMSNorm, DyT), interchangeable
 * one for one. {@link #create} builds one from the configuration names of models.md.
 */
public abstract class Norm extends Layer {
  /** The configuration names accepted by {@link #create}. */
  public static final java.util.List<String> KINDS = java.util.List.of("layernorm", "rmsnorm", "dyt");

  /** Default eps of kind: layernorm 1e-5, rmsnorm 1e-6, dyt (unused) 0. */
  public static double defaultEps(String kind) {
    return switch (canonical(kind)) {
      case "layernorm" -> LayerNorm.DEFAULT_EPS;
      case "rmsnorm" -> RMSNorm.DEFAULT_EPS;
      default -> 0;
    };
  }

  /**
   * kind "layernorm" → LayerNorm(d, eps, bias); "rmsnorm" → RMSNorm(d, eps) (bias must be false);
   * "dyt" → DyT(d, alpha0, bias). eps is ignored by DyT, alpha0 by the others.
   */
  public static Norm create(String kind, int d, double eps, boolean bias, double alpha0) {
    return switch (canonical(kind)) {
      case "layernorm" -> new LayerNorm(d, eps, bias);
      case "rmsnorm" -> {
        if (bias) throw new IllegalArgumentException("norm 'rmsnorm' has no bias");
        yield new RMSNorm(d, eps);
      }
      case "dyt" -> new DyT(d, alpha0, bias);
      default -> throw new IllegalStateException();
    };
  }

  private static String canonical(String kind) {
    String k = kind == null ? "" : kind.toLowerCase(Locale.ROOT);
    if (!KINDS.contains(k)) {
      throw new IllegalArgumentException("unknown norm '" + kind + "'; valid: " + String.join(", ", KINDS));
    }
    return k;
  }

  /** The width d this norm normalises. */
  public abstract int dim();

  static void checkLastDim(String what, int d, lmlab.tensor.Tensor x) {
    if (x.dim() == 0 || x.size(-1) != d) {
      throw new IllegalArgumentException(what + "(" + d + "): input's last dimension must be " + d + ", got shape "
          + lmlab.tensor.Shape.str(x.shape()));
    }
  }
}
