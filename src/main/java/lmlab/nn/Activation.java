package lmlab.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;

import java.util.Arrays;
import java.util.stream.Collectors;
import lmlab.tensor.ActivationKernels;
import lmlab.tensor.Tensor;

/** The activation functions of layers.md, by their configuration names. */
public enum Activation {
  /** Exact GELU: x·Φ(x) = 0.5x(1 + erf(x/√2)). */
  GELU("gelu"),
  /** 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2, minGPT). */
  GELU_TANH("gelu_tanh"),
  /** max(0, x). */
  RELU("relu"),
  /** x·sigmoid(x). */
  SILU("silu"),
  /** 1 / (1 + e^-x). */
  SIGMOID("sigmoid"),
  /** tanh(x). */
  TANH("tanh"),
  /** min(1, max(0, x)); derivative 1 on [0, 1]. */
  SLIDE("slide");

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private final String configName;

  Activation(String configName) {
    this.configName = configName;
  }

  /** The name used in configurations ("gelu_tanh"). */
  public String configName() {
    return configName;
  }

  /** Applies the activation elementwise. */
  public Tensor apply(Tensor x) {
    return switch (this) {
      case GELU -> x.gelu();
      case GELU_TANH -> x.geluTanh();
      case RELU -> x.relu();
      case SILU -> x.silu();
      case SIGMOID -> x.sigmoid();
      case TANH -> x.tanh();
      case SLIDE -> x.slide();
    };
  }

  /**
   * The activation in place on h[0, len), without autograd (decoding): gelu_tanh, relu and silu
   * on vectors here, the others on the tensor ops' own array kernels.
   */
  public void applyInPlace(float[] h, int len) {
    switch (this) {
      case GELU_TANH -> { // 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
        final float k = (float) Math.sqrt(2 / Math.PI);
        int i = 0;
        for (int iv = len - len % L; i < iv; i += L) {
          FloatVector v = FloatVector.fromArray(S, h, i);
          FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(k);
          v.mul(0.5f).mul(Lanes.tanh(inner).add(1f)).intoArray(h, i);
        }
        for (; i < len; i++) {
          float v = h[i];
          h[i] = 0.5f * v * (1f + Lanes.tanh(k * (v + 0.044715f * v * v * v)));
        }
      }
      case RELU -> {
        for (int i = 0; i < len; i++) h[i] = Math.max(0f, h[i]);
      }
      case SILU -> swish(h, null, h, len);
      case GELU -> ActivationKernels.gelu(h, len);
      case SIGMOID -> ActivationKernels.sigmoid(h, len);
      case TANH -> ActivationKernels.tanh(h, len);
      case SLIDE -> ActivationKernels.slide(h, len);
    }
  }

  /** out = silu(g) · m = g / (1 + e^-g) · m over [0, len), or silu(g) alone when m is null (SwiGLU's gate). */
  public static void swish(float[] g, float[] m, float[] out, int len) {
    int i = 0;
    for (int iv = len - len % L; i < iv; i += L) {
      FloatVector gv = FloatVector.fromArray(S, g, i);
      FloatVector y = gv.div(Lanes.exp(gv.neg()).add(1f));
      (m == null ? y : y.mul(FloatVector.fromArray(S, m, i))).intoArray(out, i);
    }
    for (; i < len; i++) out[i] = g[i] / (1f + Lanes.exp(-g[i])) * (m == null ? 1f : m[i]);
  }

  /** The activation with that configuration name (exact, lower case), or a clear error listing the valid ones. */
  public static Activation fromName(String name) {
    for (Activation a : values()) {
      if (a.configName.equals(name)) return a;
    }
    throw new IllegalArgumentException("unknown activation '" + name + "'; valid: " + validNames());
  }

  /** "gelu, gelu_tanh, relu, silu, sigmoid, tanh, slide". */
  public static String validNames() {
    return Arrays.stream(values()).map(Activation::configName).collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return configName;
  }
}
