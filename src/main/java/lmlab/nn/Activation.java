package lmlab.nn;

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
   * The activation in place on h[0, len), without autograd (decoding): the tensor ops' own kernels
   * on plain arrays, so a step computes what the training forward computes.
   */
  public void applyInPlace(float[] h, int len) {
    applyInPlace(h, 0, len);
  }

  /** The same on h[off, off + len): a part of a buffer (rows a thread takes give the same bits). */
  public void applyInPlace(float[] h, int off, int len) {
    switch (this) {
      case GELU -> ActivationKernels.gelu(h, off, len);
      case GELU_TANH -> ActivationKernels.geluTanh(h, off, len);
      case RELU -> ActivationKernels.relu(h, off, len);
      case SILU -> ActivationKernels.silu(h, off, len);
      case SIGMOID -> ActivationKernels.sigmoid(h, off, len);
      case TANH -> ActivationKernels.tanh(h, off, len);
      case SLIDE -> ActivationKernels.slide(h, off, len);
    }
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
