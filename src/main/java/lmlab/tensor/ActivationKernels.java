package lmlab.tensor;

/**
 * The activation kernels of the tensor ops on plain arrays, in place and without autograd: what a
 * decoding step (lmlab.nn's Layer.step) applies to its buffers, so it computes the same function
 * as the training forward with the same code. Every element gets the same vector formula wherever
 * a range starts or ends (a tail runs the vector body on padded copies), so a buffer split between
 * threads gives the bits of one call over all of it.
 */
public final class ActivationKernels {
  private ActivationKernels() {}

  /** x[off, off + n) = gelu(x) = x Φ(x), exact (erf). */
  public static void gelu(float[] x, int off, int n) {
    GeluKernels.exact(x, off, x, off, 0f, x, off, n);
  }

  /** x[off, off + n) = gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
  public static void geluTanh(float[] x, int off, int n) {
    GeluKernels.tanh(x, off, x, off, 0f, x, off, n);
  }

  /** x[off, off + n) = max(0, x). */
  public static void relu(float[] x, int off, int n) {
    Activations.reluK(x, off, x, off, n);
  }

  /** x[off, off + n) = silu(x) = x / (1 + e^-x). */
  public static void silu(float[] x, int off, int n) {
    Activations.siluK(x, off, x, off, 0f, x, off, n);
  }

  /** m[0, n) = silu(g) ⊙ m, overwriting g with silu(g) on the way (SwiGLU's gate times its up projection). */
  public static void siluGate(float[] g, float[] m, int n) {
    silu(g, 0, n);
    Elementwise.mulK(g, 0, 1, m, 0, 1, m, 0, n);
  }

  /** x[off, off + n) = 1 / (1 + e^-x). */
  public static void sigmoid(float[] x, int off, int n) {
    Activations.sigmoidK(x, off, x, off, n);
  }

  /** x[off, off + n) = tanh(x). */
  public static void tanh(float[] x, int off, int n) {
    Activations.tanhK(x, off, x, off, n);
  }

  /** x[off, off + n) = min(1, max(0, x)). */
  public static void slide(float[] x, int off, int n) {
    Activations.slideK(x, off, x, off, n);
  }

  /** x[0, n) = softplus(x) = log(1 + e^x) (Mamba-2's Δ). */
  public static void softplus(float[] x, int n) {
    Activations.softplusK(x, 0, x, 0, n);
  }

  /** x[0, n) = logsigmoid(x) = -softplus(-x) (GLA's forget gate). */
  public static void logSigmoid(float[] x, int n) {
    Activations.logSigmoidK(x, 0, x, 0, n);
  }
}
