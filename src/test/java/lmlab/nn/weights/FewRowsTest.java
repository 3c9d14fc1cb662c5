package lmlab.nn.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import lmlab.kernels.Parallel;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * FloatWeights.matmul on a few rows (a beam, a few samples): each row's output is bit for bit the
 * matrix-vector product of that row alone, on one thread or all, and matches a double reference.
 */
class FewRowsTest {
  @Test
  void eachRowIsItsOwnMatrixVectorProductBitForBit() {
    Random rnd = new Random(5);
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        for (int[] shape : new int[][] {{7, 5}, {37, 45}, {130, 200}, {192, 768}}) {
          int out = shape[0];
          int in = shape[1];
          float[] w = new float[out * in];
          for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
          float[] b = new float[out];
          for (int i = 0; i < out; i++) b[i] = (float) rnd.nextGaussian();
          FloatWeights weights = new FloatWeights(Tensor.of(w, out, in));
          for (int n = 1; n <= FloatWeights.FEW_ROWS + 1; n++) {
            float[] x = new float[n * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] y = new float[n * out];
            weights.matmul(x, n, b, 0, y, false);
            for (int r = 0; r < n; r++) {
              float[] one = new float[out];
              weights.rows(0, out, x, r * in, b, 0, one, 0, false);
              for (int j = 0; j < out; j++) {
                double ref = b[j];
                for (int p = 0; p < in; p++) ref += (double) w[j * in + p] * x[r * in + p];
                assertThat((double) y[r * out + j]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-3));
                if (n <= FloatWeights.FEW_ROWS) {
                  assertThat(y[r * out + j]).as("threads %d, %dx%d, n %d, row %d, column %d", threads, out, in, n, r, j)
                      .isEqualTo(one[j]);
                }
              }
            }
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }
}
