package lmlab.nn.attention;

import lmlab.nn.Init;
import lmlab.nn.Module;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The parameters of the multiplicative, concat and additive score functions, one set per layer
 * shared by all heads, registered as the attention layer's child {@code score}:
 * multiplicative {@code W_s} (d_h, d_h); concat {@code w_s} (2 d_h,) over [k ; q]; additive
 * {@code W_s} (d_a, 2 d_h) and {@code w_s} (d_a,) with d_a = d_h. Initialised U(-1/√fan_in,
 * 1/√fan_in) like a Linear layer (zeros when rng is null).
 */
public final class ScoreParams extends Module {
  private final Tensor matrix;
  private final Tensor vector;

  public ScoreParams(ScoreFunction f, int headDim, Rng rng) {
    switch (f) {
      case MULTIPLICATIVE -> {
        matrix = parameter("W_s", Init.uniform(rng, (float) (1 / Math.sqrt(headDim)), headDim, headDim));
        vector = null;
      }
      case CONCAT -> {
        matrix = null;
        vector = parameter("w_s", Init.uniform(rng, (float) (1 / Math.sqrt(2 * headDim)), 2 * headDim));
      }
      case ADDITIVE -> {
        matrix = parameter("W_s", Init.uniform(rng, (float) (1 / Math.sqrt(2 * headDim)), headDim, 2 * headDim));
        vector = parameter("w_s", Init.uniform(rng, (float) (1 / Math.sqrt(headDim)), headDim));
      }
      default -> throw new IllegalArgumentException("score " + f.configName() + " has no parameters");
    }
  }

  /** W_s, or null for concat. */
  public Tensor matrix() {
    return matrix;
  }

  /** w_s, or null for multiplicative. */
  public Tensor vector() {
    return vector;
  }
}
