package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import lmlab.kernels.Parallel;
import org.junit.jupiter.api.Test;

/**
 * The bias gradient's column sums: every column sums its rows in order from 0, so each must be
 * bit-equal to the plain scalar loop, on one thread and on two, for widths that are and are not
 * whole vectors (the register blocks, single vectors and the scalar tail) and for an offset view.
 */
class ColumnSumsTest {
  @Test
  void eachColumnIsItsRowsSummedInOrder() {
    int threads = Parallel.threads();
    try {
      for (int t : new int[] {1, 2}) {
        Parallel.setThreads(t);
        for (int cols : new int[] {1, 15, 16, 17, 39, 64, 65, 100, 128, 192, 200, 768}) {
          for (int rows : new int[] {1, 7, 300}) {
            int off = 3;
            float[] g = Tensor.randn(new Rng(cols * 31L + rows), off + rows * cols).mul(100f).toArray();
            float[] expected = new float[cols];
            for (int c = 0; c < cols; c++) {
              float s = 0f;
              for (int r = 0; r < rows; r++) s += g[off + r * cols + c];
              expected[c] = s;
            }
            assertThat(RowMath.columnSums(g, off, rows, cols)).as("threads %d, %d x %d", t, rows, cols)
                .containsExactly(expected);
          }
        }
      }
    } finally {
      Parallel.setThreads(threads);
    }
  }
}
