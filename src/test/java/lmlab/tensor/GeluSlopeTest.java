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

  /**
   * Exact GELU skips the tail fit in vectors whose lanes all have |x| < sqrt 2; a value must give
   * the same bits whether its vector took that shortcut or not (a neighbour at x = 3 forces the
   * full evaluation), on both sides of the boundary.
   */
  @Test
  void exactGivesTheSameBitsWithAndWithoutTheShortcut() {
    int lanes = VectorMath.F.length();
    int n = 4096;
    float[] x = Tensor.randn(new Rng(5), n).mul(0.6f).toArray();
    for (int i = 0; i < n; i++) x[i] = Math.max(-1.4142f, Math.min(1.4142f, x[i])); // |u| < 1: the shortcut
    x[0] = 1.4142134f; // just below sqrt 2
    x[1] = -1.4142134f;
    x[2] = 0f;
    float[] g = Tensor.randn(new Rng(6), n).toArray();
    float[] y = new float[n];
    float[] slope = new float[n];
    float[] dx = new float[n];
    GeluKernels.exactWithSlope(x, 0, y, 0, slope, 0, n);
    GeluKernels.exact(x, 0, g, 0, 1f, dx, 0, n);
    float[] one = new float[lanes];
    float[] oneG = new float[lanes];
    float[] outY = new float[lanes];
    float[] outS = new float[lanes];
    float[] outDx = new float[lanes];
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(one, 3f); // every other lane past the boundary: the full evaluation
      one[i % lanes] = x[i];
      oneG[i % lanes] = g[i];
      GeluKernels.exactWithSlope(one, 0, outY, 0, outS, 0, lanes);
      GeluKernels.exact(one, 0, oneG, 0, 1f, outDx, 0, lanes);
      assertThat(outY[i % lanes]).as("y at x = %s", x[i]).isEqualTo(y[i]);
      assertThat(outS[i % lanes]).as("slope at x = %s", x[i]).isEqualTo(slope[i]);
      assertThat(outDx[i % lanes]).as("dx at x = %s", x[i]).isEqualTo(dx[i]);
    }
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
