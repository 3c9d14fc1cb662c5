package lmlab.tensor;

/**
 * The activation kernels of the tensor ops on plain arrays, in place and without autograd: what a
 * decoding step (lmlab.nn's Layer.step) applies to its buffers, so it computes the same function
 * as the training forward with the same code.
 */
public final class ActivationKernels {
  private ActivationKernels() {}

  /** x[0, n) = gelu(x) = x Φ(x), exact (erf). */
  public static void gelu(float[] x, int n) {
    GeluKernels.exact(x, 0, x, 0, 0f, x, 0, n);
  }

  /** x[0, n) = 1 / (1 + e^-x). */
  public static void sigmoid(float[] x, int n) {
    Activations.sigmoidK(x, 0, x, 0, n);
  }

  /** x[0, n) = tanh(x). */
  public static void tanh(float[] x, int n) {
    Activations.tanhK(x, 0, x, 0, n);
  }

  /** x[0, n) = min(1, max(0, x)). */
  public static void slide(float[] x, int n) {
    Activations.slideK(x, 0, x, 0, n);
  }
}
