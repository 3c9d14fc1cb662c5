package lmlab.nn.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The column-panel copy behind float32 decoding: every sub-range of columns gives the whole
 * product's bits (how threads split a product must not matter), each output is the FMA chain over
 * p in order, and weights changed in place are seen from the next decoding state on.
 */
class PanelsTest {
  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  @Test
  void anyRangeOfColumnsGivesTheWholeProductsBits() {
    Random r = new Random(11);
    for (int[] shape : new int[][] {{1, 3}, {17, 5}, {65, 192}, {100, 33}, {300, 40}}) {
      int out = shape[0];
      int in = shape[1];
      float[] w = random(r, out * in);
      float[] b = random(r, out);
      float[] x = random(r, in);
      FloatWeights f = new FloatWeights(Tensor.of(w, out, in));
      float[] whole = new float[out];
      f.rows(0, out, x, 0, b, 0, whole, 0, false);
      for (int j = 0; j < out; j++) {
        float chain = 0f; // the definition: one FMA chain over p in order, then the bias
        for (int p = 0; p < in; p++) chain = Math.fma(w[j * in + p], x[p], chain);
        assertThat(whole[j]).as("%dx%d column %d", out, in, j).isEqualTo(chain + b[j]);
      }
      for (int rep = 0; rep < 20; rep++) {
        int from = r.nextInt(out);
        int to = from + 1 + r.nextInt(out - from);
        float[] part = new float[out + 1];
        java.util.Arrays.fill(part, 7f);
        f.rows(from, to, x, 0, b, 0, part, 1, false);
        for (int j = 0; j < out; j++) {
          assertThat(part[j + 1]).as("%dx%d [%d, %d) column %d", out, in, from, to, j)
              .isEqualTo(j >= from && j < to ? whole[j] : 7f);
        }
      }
    }
  }

  /**
   * Every row of a few-row product has the bits of that row alone, whatever tiles the panel count
   * leads to: 6 panels (a thread's half of 12) are a group of four and a pair, 7 add a single one;
   * 1 to 9 rows take the 6-, 5-, 4-, 3-, 2- and 1-row tiles of four panels (seven rows four and
   * three), and the 4-, 2- and 1-row tiles of the panels left.
   */
  @Test
  void everyRowOfAFewRowProductHasItsOneRowBits() {
    Random r = new Random(13);
    int l = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    for (int panels : new int[] {1, 2, 3, 6, 7, 12}) {
      for (int in : new int[] {5, 64}) {
        int out = panels * l - (panels > 2 ? 3 : 0);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        FloatWeights f = new FloatWeights(Tensor.of(w, out, in));
        for (int n = 1; n <= 9; n++) {
          float[] x = random(r, n * in);
          float[] y = new float[n * out];
          f.matmul(x, n, b, 0, y, false);
          assertEachRowIsItsOwnStep(f, x, b, y, n, in, out, panels);
        }
      }
    }
  }

  /**
   * Eight rows and more take the 8-row, 3-panel tile (the rest of the rows and panels the smaller
   * tiles: 13 and 14 rows leave five and six, 15 seven): every row keeps its one-row bits, for any panel count and an input width that is not a
   * multiple of the vector width, and any range of panels (a thread's share) writes the whole
   * product's bits in its columns and nothing elsewhere.
   */
  @Test
  void eightRowTilesAndPanelRangesKeepEachRowsOneRowBits() {
    Random r = new Random(17);
    int l = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
    for (int panels : new int[] {1, 2, 3, 4, 5, 7, 12}) {
      for (int in : new int[] {7, 193}) {
        int out = panels * l - (panels > 1 ? 5 : 0);
        float[] w = random(r, out * in);
        float[] b = random(r, out);
        FloatWeights f = new FloatWeights(Tensor.of(w, out, in));
        for (int n : java.util.stream.IntStream.of(7, 8, 9, 11, 13, 14, 15, 16, 17, 24, 31, 40).filter(k -> k <= Weights.FEW_ROWS).toArray()) {
          float[] x = random(r, n * in);
          float[] y = new float[n * out];
          f.matmul(x, n, b, 0, y, false);
          assertEachRowIsItsOwnStep(f, x, b, y, n, in, out, panels);
          for (int k0 = 0; k0 < panels; k0++) {
            for (int k1 = k0 + 1; k1 <= panels; k1++) {
              float[] part = new float[n * out];
              java.util.Arrays.fill(part, 7f);
              f.matmulPanels(k0, k1, x, n, b, 0, part, false);
              for (int i = 0; i < part.length; i++) {
                int j = i % out;
                float want = j >= k0 * l && j < k1 * l ? y[i] : 7f;
                assertThat(part[i]).as("%d panels, in %d, %d rows, panels [%d, %d) at %d", panels, in, n, k0, k1, i)
                    .isEqualTo(want);
              }
            }
          }
        }
      }
    }
  }

  @Test
  void weightsChangedInPlaceAreSeenFromTheNextDecodingState() {
    Random r = new Random(12);
    int out = 40;
    int in = 24;
    float[] w = random(r, out * in);
    float[] x = random(r, 3 * in);
    Tensor t = Tensor.of(w, out, in);
    FloatWeights f = new FloatWeights(t);
    float[] before = new float[3 * out];
    f.matmul(x, 3, null, 0, before, false);
    float[] storage = t.storage();
    for (int i = 0; i < storage.length; i++) storage[i] *= -2f; // in place, as an optimiser step does
    storage[5] = 0.25f;
    Weights.newDecodingState();
    float[] rows = new float[3 * out];
    f.matmul(x, 3, null, 0, rows, false);
    float[] fresh = new float[3 * out];
    new FloatWeights(Tensor.of(storage.clone(), out, in)).matmul(x, 3, null, 0, fresh, false);
    assertThat(rows).containsExactly(fresh);
    assertThat(rows[0]).isNotEqualTo(before[0]);
    float[] one = new float[out];
    f.rows(0, out, x, in, null, 0, one, 0, false);
    for (int j = 0; j < out; j++) assertThat(one[j]).isEqualTo(fresh[out + j]);
  }

  /** Row by row, y (n rows of the batched product) equals the row's own one-row product, bit for bit. */
  private static void assertEachRowIsItsOwnStep(FloatWeights f, float[] x, float[] b, float[] y, int n, int in, int out,
      int panels) {
    for (int row = 0; row < n; row++) {
      float[] alone = new float[out];
      f.rows(0, out, x, row * in, b, 0, alone, 0, false);
      for (int j = 0; j < out; j++) {
        assertThat(y[row * out + j]).as("%d panels, in %d, %d rows: row %d column %d", panels, in, n, row, j)
            .isEqualTo(alone[j]);
      }
    }
  }
}
