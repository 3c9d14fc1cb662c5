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
  /** Every count up to 17, then around each power of two up to FEW_ROWS, and FEW_ROWS + 1 (the GEMM). */
  private static int[] rowCounts() {
    java.util.TreeSet<Integer> ns = new java.util.TreeSet<>();
    for (int n = 1; n <= 17; n++) ns.add(n);
    for (int p = 32; p <= Weights.FEW_ROWS; p *= 2) {
      ns.add(p - 1);
      ns.add(p);
      ns.add(p + 1);
    }
    ns.add(Weights.FEW_ROWS);
    ns.add(Weights.FEW_ROWS + 1);
    return ns.stream().mapToInt(Integer::intValue).filter(n -> n <= Weights.FEW_ROWS + 1).toArray();
  }

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
          for (int n : rowCounts()) {
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
                if (n <= Weights.FEW_ROWS) {
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

  /**
   * Products of one input run as a group (q, k, v of a beam: their panels split over the threads
   * as one list) give each output the bits of that product's own matmul, with bias and accumulate.
   */
  @Test
  void aGroupOfFewRowProductsGivesEachItsOwnBits() {
    Random rnd = new Random(7);
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        int in = 192;
        int[] outs = {192, 64, 200};
        for (int n : new int[] {2, 3, 8, 9, 16, 17}) {
          float[] x = new float[n * in];
          for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
          MatVec.Product[] ps = new MatVec.Product[outs.length];
          float[][] alone = new float[outs.length][];
          for (int i = 0; i < outs.length; i++) {
            float[] w = new float[outs[i] * in];
            for (int j = 0; j < w.length; j++) w[j] = (float) rnd.nextGaussian();
            float[] b = new float[outs[i]];
            for (int j = 0; j < b.length; j++) b[j] = (float) rnd.nextGaussian();
            FloatWeights weights = new FloatWeights(Tensor.of(w, outs[i], in));
            boolean accumulate = i == 1;
            float[] y = new float[n * outs[i]];
            alone[i] = new float[n * outs[i]];
            for (int j = 0; j < y.length; j++) y[j] = alone[i][j] = (float) rnd.nextGaussian();
            weights.matmul(x, n, i == 2 ? null : b, 0, alone[i], accumulate);
            ps[i] = new MatVec.Product(weights, i == 2 ? null : b, 0, y, accumulate);
          }
          ProductGroup.of(ps).run(x, n);
          for (int i = 0; i < outs.length; i++) {
            assertThat(ps[i].y()).as("threads %d, n %d, product %d", threads, n, i).containsExactly(alone[i]);
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /** The work after a group's products reaches every output column of every row exactly once, whatever the split. */
  @Test
  void theWorkAfterAGroupSeesEachColumnOnce() {
    Random rnd = new Random(11);
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2}) {
        Parallel.setThreads(threads);
        int in = 192;
        int[] outs = {200, 768};
        for (int n : new int[] {1, 2, 8, 17}) {
          float[] x = new float[n * in];
          for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
          MatVec.Product[] ps = new MatVec.Product[outs.length];
          float[][] expected = new float[outs.length][];
          for (int i = 0; i < outs.length; i++) {
            float[] w = new float[outs[i] * in];
            for (int j = 0; j < w.length; j++) w[j] = (float) rnd.nextGaussian();
            FloatWeights weights = new FloatWeights(Tensor.of(w, outs[i], in));
            expected[i] = new float[n * outs[i]];
            weights.matmul(x, n, null, 0, expected[i], false);
            for (int j = 0; j < expected[i].length; j++) expected[i][j] = expected[i][j] * 2 + i + 1;
            ps[i] = new MatVec.Product(weights, null, 0, new float[n * outs[i]], false);
          }
          // not idempotent: a column reached twice, or not at all, shows
          ProductGroup.of(ps).run(x, n, (i, y, out, rows, from, to) -> {
            for (int r = 0; r < rows; r++) for (int j = from; j < to; j++) y[r * out + j] = y[r * out + j] * 2 + i + 1;
          });
          for (int i = 0; i < outs.length; i++) {
            assertThat(ps[i].y()).as("threads %d, n %d, product %d", threads, n, i).containsExactly(expected[i]);
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }
}
