package lmlab.nn.weights;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import lmlab.kernels.Parallel;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MatVecTest {
  /** float32 weights (out, in) over w from offset wo, in place (a view, no copy). */
  static FloatWeights weights(float[] w, int wo, int out, int in) {
    return new FloatWeights(Tensor.of(w, w.length).narrow(0, wo, out * in).reshape(out, in));
  }

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  /** Σ_p w[j, p] x[p] + b[j] in double. */
  private static double[] reference(float[] w, int wo, int out, int in, float[] x, float[] b) {
    double[] y = new double[out];
    for (int j = 0; j < out; j++) {
      double s = b == null ? 0 : b[j];
      for (int p = 0; p < in; p++) s += (double) w[wo + j * in + p] * x[p];
      y[j] = s;
    }
    return y;
  }

  private static void assertNear(float[] y, int yo, double[] ref, double extra) {
    for (int j = 0; j < ref.length; j++) assertThat((double) y[yo + j]).isCloseTo(ref[j] + extra, org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void smallAndLargeProductsOnOneOrAllThreadsMatchTheReference() {
    Random r = new Random(3);
    for (int[] shape : new int[][] {{7, 5}, {33, 17}, {192, 192}, {300, 400}, {65, 1000}, {1030, 1024}}) {
      int out = shape[0];
      int in = shape[1];
      assertThat((long) out * in >= MatVec.PARALLEL_MIN).isEqualTo(out == 1030 || out == 300);
      float[] w = random(r, 3 + out * in);
      float[] x = random(r, in);
      float[] b = random(r, out);
      double[] ref = reference(w, 3, out, in, x, b);
      float[] y = new float[out + 2];
      MatVec.multiply(weights(w, 3, out, in), x, 0, b, 0, y, 2, false);
      assertNear(y, 2, ref, 0);
      // accumulate adds to what y holds
      float[] acc = new float[out];
      java.util.Arrays.fill(acc, 1f);
      MatVec.multiply(weights(w, 3, out, in), x, 0, b, 0, acc, 0, true);
      assertNear(acc, 0, ref, 1);
    }
  }

  @Test
  void stackedProductsSplitTheirRowsAcrossThreads() {
    Random r = new Random(4);
    int in = 1024;
    int[] outs = {1024, 256, 256}; // q, k, v of a GQA layer: 1.5M weights, above PARALLEL_MIN
    float[] x = random(r, in);
    MatVec.Product[] ps = new MatVec.Product[3];
    double[][] refs = new double[3][];
    long weights = 0;
    int rows = 0;
    for (int i = 0; i < 3; i++) {
      float[] w = random(r, outs[i] * in);
      float[] b = i == 0 ? null : random(r, outs[i]);
      ps[i] = new MatVec.Product(weights(w, 0, outs[i], in), b, 0, new float[outs[i]], false);
      refs[i] = reference(w, 0, outs[i], in, x, b);
      weights += (long) outs[i] * in;
      rows += outs[i];
    }
    assertThat(weights).isGreaterThanOrEqualTo(MatVec.PARALLEL_MIN);
    for (int threads : new int[] {1, 2, 3}) {
      int before = Parallel.threads();
      Parallel.setThreads(threads);
      try {
        for (MatVec.Product p : ps) java.util.Arrays.fill(p.y(), Float.NaN);
        MatVec.multiply(ps, rows, weights, x);
        for (int i = 0; i < 3; i++) assertNear(ps[i].y(), 0, refs[i], 0);
      } finally {
        Parallel.setThreads(before);
      }
    }
  }

  @Test
  void theTeamStoresEveryChunkOnceUnderRepeatedUse() {
    // many back-to-back products through the caller + helper team, accumulating ones included: a
    // chunk computed twice (helper late, caller steals) must still be added once
    Random r = new Random(8);
    int out = 1024;
    int in = 1024;
    float[] w = random(r, out * in);
    float[] b = random(r, out);
    int before = Parallel.threads();
    Parallel.setThreads(2);
    try {
      for (int rep = 0; rep < 100; rep++) {
        float[] x = random(r, in);
        double[] ref = reference(w, 0, out, in, x, b);
        float[] y = new float[out];
        java.util.Arrays.fill(y, 2f);
        MatVec.multiply(weights(w, 0, out, in), x, 0, b, 0, y, 0, true);
        assertNear(y, 0, ref, 2);
        MatVec.multiply(weights(w, 0, out, in), x, 0, b, 0, y, 0, false);
        assertNear(y, 0, ref, 0);
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void touchSumsTheWeightsOfTheStackedRows() {
    // whole numbers: every order of addition gives the same float
    float[] w1 = new float[3 + 5 * 40];
    float[] w2 = new float[7 * 40];
    for (int i = 0; i < w1.length; i++) w1[i] = i % 5 - 2;
    for (int i = 0; i < w2.length; i++) w2[i] = i % 3;
    MatVec.Product[] ps = {new MatVec.Product(weights(w1, 3, 5, 40), null, 0, new float[5], false),
        new MatVec.Product(weights(w2, 0, 7, 40), null, 0, new float[7], false)};
    // rows 3..8 of the stack: rows 3, 4 of the first product, rows 0..3 of the second
    float expected = 0;
    for (int i = 3 + 3 * 40; i < 3 + 5 * 40; i++) expected += w1[i];
    for (int i = 0; i < 4 * 40; i++) expected += w2[i];
    assertThat(MatVec.touch(ps, 3, 9)).isEqualTo(expected);
    assertThat(MatVec.touch(ps, 4, 4)).isZero();
  }

  @Test
  void theHelperReadingTheNextProductAheadChangesNoResult() {
    // alternating two products, each naming the other as next: the helper reads one's weights while
    // the caller is between calls; every result must still be the reference, on every repetition
    Random r = new Random(9);
    int in = 512;
    float[] wa = random(r, 600 * in);
    float[] wb = random(r, 300 * in);
    float[] x = random(r, in);
    float[] ya = new float[600];
    float[] yb = new float[300];
    MatVec.Product[] a = {new MatVec.Product(weights(wa, 0, 600, in), null, 0, ya, false)};
    MatVec.Product[] b = {new MatVec.Product(weights(wb, 0, 300, in), null, 0, yb, false)};
    double[] refA = reference(wa, 0, 600, in, x, null);
    double[] refB = reference(wb, 0, 300, in, x, null);
    int before = Parallel.threads();
    Parallel.setThreads(2);
    try {
      for (int rep = 0; rep < 50; rep++) {
        java.util.Arrays.fill(ya, Float.NaN);
        java.util.Arrays.fill(yb, Float.NaN);
        MatVec.multiply(a, 600, 600L * in, x, b, 300);
        MatVec.multiply(b, 300, 300L * in, x, a, 600);
        assertNear(ya, 0, refA, 0);
        assertNear(yb, 0, refB, 0);
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void theHelpersScratchHoldsTheLongestChunkOfAnyProduct() {
    // chunk bounds are aligned to 16 or 64 rows, so a chunk can be 64 rows where rows / 16 is 12
    // (192 rows): a scratch of rows / 16 + 32 made the helper thread die on such a product
    for (int rows = 1; rows <= 3000; rows++) {
      int longest = MatVecTeam.longestChunk(rows);
      for (int c = 0; c < MatVecTeam.CHUNKS; c++) {
        assertThat(MatVecTeam.from(rows, c + 1) - MatVecTeam.from(rows, c)).as("rows %d chunk %d", rows, c)
            .isLessThanOrEqualTo(longest);
      }
      assertThat(MatVecTeam.from(rows, MatVecTeam.CHUNKS)).isEqualTo(rows);
    }
    assertThat(MatVecTeam.longestChunk(192)).isEqualTo(64).isGreaterThan(192 / MatVecTeam.CHUNKS + 32);
  }
}
