package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tile products against plain loops over each row's own band, for tiles whose row count,
 * width and head dimension are and are not multiples of the register blocks (4 rows, two vectors),
 * with causal, sliding and single-key bands; elements outside the bands must stay untouched where
 * the contract says so.
 */
class TileProductsTest {
  @ParameterizedTest(name = "rows={0} dh={1}")
  @CsvSource({"128, 32", "64, 16", "16, 16", "15, 16", "37, 33", "130, 48", "6, 32", "1, 1", "48, 8"})
  void transposeWritesEveryColumnOfEveryRow(int rows, int dh) {
    // whole 16 × 16 blocks and the edges around them: every element where the definition puts it
    Random r = new Random(rows * 131 + dh);
    int ld = dh * 3 + 5;
    int off = 7;
    float[] x = random(r, off + rows * ld);
    float[] t = new float[dh * rows + 3];
    java.util.Arrays.fill(t, Float.NaN);
    TileProducts.transpose(x, off, ld, rows, dh, t);
    for (int c = 0; c < dh; c++) {
      for (int u = 0; u < rows; u++) assertThat(t[c * rows + u]).as("t[%d, %d]", c, u).isEqualTo(x[off + u * ld + c]);
    }
    for (int i = dh * rows; i < t.length; i++) assertThat(t[i]).isNaN(); // nothing written past the end
  }

  @ParameterizedTest(name = "m={0} w={1} n={2} window={3}")
  @CsvSource({"64, 64, 32, 0", "64, 128, 32, 0", "16, 16, 8, 0", "13, 29, 40, 0", "64, 100, 24, 40", "7, 7, 64, 1",
      "37, 37, 17, 5", "64, 90, 48, 0", "1, 1, 32, 0"})
  void matchBandLoops(int m, int w, int n, int window) {
    Random r = new Random(m * 31 + w * 7 + n);
    int[] lo = new int[m];
    int[] hi = new int[m];
    for (int i = 0; i < m; i++) { // query row i sees keys up to its own position w - m + i
      hi[i] = w - m + i + 1;
      lo[i] = window == 0 ? 0 : Math.max(0, hi[i] - window);
    }
    int lda = n + 3;
    int ldb = n + 5;
    float[] a = random(r, m * lda);
    float[] keys = random(r, w * ldb);
    float[] kt = new float[n * w];
    TileProducts.transpose(keys, 0, ldb, w, n, kt);

    // scores: S = A · Kᵀ on the bands (values elsewhere are not promised)
    float[] s = new float[m * w];
    TileProducts.scores(m, n, lo, hi, a, 0, lda, kt, 0, w, s, w);
    for (int i = 0; i < m; i++) {
      for (int j = lo[i]; j < hi[i]; j++) {
        double ref = 0;
        for (int c = 0; c < n; c++) ref += (double) a[i * lda + c] * keys[j * ldb + c];
        assertThat((double) s[i * w + j]).as("S[%d,%d]", i, j).isCloseTo(ref, within(1e-4 * (1 + Math.abs(ref))));
      }
    }

    // a weight matrix zero outside the bands, as the caller leaves it
    float[] p = new float[m * w];
    for (int i = 0; i < m; i++) for (int j = lo[i]; j < hi[i]; j++) p[i * w + j] = r.nextFloat() * 2 - 1;

    // rows: C = P · V (overwrite and accumulate), C has a row stride wider than n
    int ldc = n + 2;
    float[] c0 = random(r, m * ldc);
    float[] c = c0.clone();
    TileProducts.rows(m, n, lo, hi, p, w, keys, 0, ldb, c, 0, ldc, false);
    float[] cAcc = c0.clone();
    TileProducts.rows(m, n, lo, hi, p, w, keys, 0, ldb, cAcc, 0, ldc, true);
    for (int i = 0; i < m; i++) {
      for (int e = 0; e < ldc; e++) {
        if (e >= n) {
          assertThat(c[i * ldc + e]).isEqualTo(c0[i * ldc + e]);
          continue;
        }
        double ref = 0;
        for (int j = lo[i]; j < hi[i]; j++) ref += (double) p[i * w + j] * keys[j * ldb + e];
        assertThat((double) c[i * ldc + e]).isCloseTo(ref, within(1e-4 * (1 + Math.abs(ref))));
        assertThat((double) cAcc[i * ldc + e]).isCloseTo(ref + c0[i * ldc + e], within(1e-4 * (2 + Math.abs(ref))));
      }
    }

    // columns: D += Pᵀ · A over the rows whose band holds each key
    float[] d0 = random(r, w * ldc);
    float[] d = d0.clone();
    TileProducts.columns(m, w, n, lo, hi, p, w, a, 0, lda, d, 0, ldc);
    for (int j = 0; j < w; j++) {
      for (int e = 0; e < ldc; e++) {
        if (e >= n) {
          assertThat(d[j * ldc + e]).isEqualTo(d0[j * ldc + e]);
          continue;
        }
        double ref = d0[j * ldc + e];
        for (int i = 0; i < m; i++) ref += (double) p[i * w + j] * a[i * lda + e];
        assertThat((double) d[j * ldc + e]).as("D[%d,%d]", j, e).isCloseTo(ref, within(1e-4 * (1 + Math.abs(ref))));
      }
    }
  }

  private static float[] random(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }
}
