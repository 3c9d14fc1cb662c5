package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * GELU keeps its slope from the forward pass for the backward; both must be bit-equal to the
 * two-pass kernels (forward p = x, k = 0; backward p = g, k = 1), tails and odd spans included.
 */
class GeluSlopeTest {
  @Test
  void exactForwardAndBackwardAreBitEqualToTheTwoPassKernels() {
    check(false);
  }

  @Test
  void tanhForwardAndBackwardAreBitEqualToTheTwoPassKernels() {
    check(true);
  }

  private static void check(boolean tanh) {
    for (int n : new int[] {7, 16, 53, 70_001}) { // below, at and past a vector; several spans
      float[] x = Tensor.randn(new Rng(n), n).mul(4f).toArray();
      x[0] = -12f; // the far tail, where the erfc branch matters
      if (n > 2) x[1] = 0f;
      if (n > 3) x[2] = -0f;
      float[] g = Tensor.randn(new Rng(n + 1), n).toArray();
      float[] wantY = new float[n];
      float[] wantDx = new float[n];
      if (tanh) {
        GeluKernels.tanh(x, 0, x, 0, 0f, wantY, 0, n);
        GeluKernels.tanh(x, 0, g, 0, 1f, wantDx, 0, n);
      } else {
        GeluKernels.exact(x, 0, x, 0, 0f, wantY, 0, n);
        GeluKernels.exact(x, 0, g, 0, 1f, wantDx, 0, n);
      }
      Tensor xt = Tensor.of(x, n).requiresGrad(true);
      Tensor y = tanh ? xt.geluTanh() : xt.gelu();
      y.mul(Tensor.of(g, n)).sum().backward();
      assertThat(y.toArray()).as("forward, n = %d", n).containsExactly(wantY);
      assertThat(xt.grad().toArray()).as("backward, n = %d", n).containsExactly(wantDx);
    }
  }
}
