package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Correctness checks every {@link GemmBackend} must pass, against a double-precision naive
 * reference: shapes around the tile and block sizes, all layouts, offsets, padded strides and
 * accumulate, single products and batches. Subclasses say which backend.
 */
abstract class GemmContractTest {
  abstract GemmBackend backend();

  /** m, n, k chosen to hit: tiny, tile edges (6 rows, 64 columns), k blocks (256), splits. */
  static Stream<Arguments> shapes() {
    int[][] mnk = {
      {1, 1, 1}, {6, 7, 5}, {3, 100, 20}, {64, 64, 32}, {6, 64, 1}, {7, 65, 1},
      {13, 67, 9}, {12, 128, 256}, {25, 130, 257}, {37, 15, 300}, {30, 200, 513},
      {97, 131, 129}, {8, 1000, 150}, {1, 700, 300}, {300, 8, 700}, {200, 64, 96},
      {40, 70, 3001}, // tall k (a weight gradient): k cut into parts, see SplitKGemm
      {64, 32, 128}, {25, 17, 100}, {12, 32, 90}, {130, 31, 65}, // 17..32 columns: NarrowGemm, edge rows
    };
    List<Arguments> out = new ArrayList<>();
    for (int[] s : mnk) {
      for (String layout : new String[] {"NN", "NT", "TN", "TT"}) {
        out.add(Arguments.of(s[0], s[1], s[2], layout));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}x{1}x{2} {3}")
  @MethodSource("shapes")
  void matchesReferenceWithOffsetsStridesAndAccumulate(int m, int n, int k, String layout) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    SplittableRandom r = new SplittableRandom(31L * m + 17L * n + k + layout.hashCode());
    for (boolean accumulate : new boolean[] {false, true}) {
      Case x = Case.random(r, ta, tb, m, n, k, 3, 5, 2);
      x.run(backend(), accumulate);
      x.assertMatches(accumulate);
    }
  }

  @Test
  void resultDoesNotDependOnThreadCount() {
    int before = Parallel.threads();
    try {
      for (String layout : new String[] {"NN", "NT", "TN", "TN-tall-k", "NN-narrow", "TN-narrow"}) {
        boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
        int k = layout.endsWith("tall-k") ? 3100 : 260; // tall k: the split-k path
        int n = layout.endsWith("narrow") ? 30 : 130; // 17..32 columns: NarrowGemm
        Case one = Case.random(new SplittableRandom(5), ta, tb, 100, n, k, 0, 0, 0);
        Case two = Case.random(new SplittableRandom(5), ta, tb, 100, n, k, 0, 0, 0);
        Parallel.setThreads(1);
        one.run(backend(), false);
        Parallel.setThreads(2);
        two.run(backend(), false);
        one.assertMatches(false);
        two.assertMatches(false);
        if (backend() instanceof JavaGemm) assertThat(two.c).containsExactly(one.c);
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void overwriteIgnoresNaNInC() {
    Case x = Case.random(new SplittableRandom(9), false, false, 20, 70, 30, 0, 0, 0);
    java.util.Arrays.fill(x.c, Float.NaN);
    x.c0 = x.c.clone();
    x.run(backend(), false);
    x.assertMatches(false);
  }

  @Test
  void zeroKClearsOrKeepsC() {
    float[] c = {1, 2, 3, 4, 5, 6};
    backend().sgemm(false, false, 2, 3, 0, new float[0], 0, 0, new float[0], 0, 3, c, 0, 3, true);
    assertThat(c).containsExactly(1, 2, 3, 4, 5, 6);
    backend().sgemm(false, false, 2, 3, 0, new float[0], 0, 0, new float[0], 0, 3, c, 0, 3, false);
    assertThat(c).containsOnly(0f);
  }

  /** Attention-like: batch·heads small products, A broadcast over the batch (repeated offsets). */
  @ParameterizedTest(name = "{0}x{1}x{2} {3} batch {4}")
  @MethodSource("batches")
  void batchedWithBroadcastOffsets(int m, int n, int k, String layout, int batch) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    SplittableRandom r = new SplittableRandom(m * 7L + batch);
    int aSize = stored(ta, m, k, 0), bSize = stored(tb, k, n, 0);
    float[] a = randomArray(r, 2 * aSize + 3);
    float[] b = randomArray(r, batch * bSize + 1);
    float[] c = randomArray(r, batch * m * n);
    int[] aOffs = new int[batch], bOffs = new int[batch], cOffs = new int[batch];
    for (int i = 0; i < batch; i++) {
      aOffs[i] = 3 + (i % 2) * aSize; // two A matrices shared by the whole batch
      bOffs[i] = 1 + i * bSize;
      cOffs[i] = i * m * n;
    }
    for (boolean accumulate : new boolean[] {false, true}) {
      float[] c0 = c.clone();
      backend().sgemmBatched(ta, tb, m, n, k, a, aOffs, ta ? m : k, b, bOffs, tb ? k : n,
          c, cOffs, n, accumulate);
      for (int i = 0; i < batch; i++) {
        assertProduct(ta, tb, m, n, k, a, aOffs[i], ta ? m : k, b, bOffs[i], tb ? k : n,
            c0, c, cOffs[i], n, accumulate, 1);
      }
    }
  }

  static Stream<Arguments> batches() {
    return Stream.of(
        Arguments.of(16, 16, 8, "NT", 12),
        Arguments.of(64, 32, 64, "NN", 8),
        Arguments.of(40, 33, 16, "TN", 5),
        Arguments.of(128, 128, 32, "NT", 6),
        Arguments.of(200, 190, 150, "NN", 3),
        Arguments.of(5, 3, 2, "TT", 7));
  }

  /** Heads interleaved along a row: C offsets h·dh with ldc = heads·dh, all disjoint. */
  @Test
  void batchedInterleavedHeads() {
    int t = 33, dh = 16, heads = 4, k = 24;
    SplittableRandom r = new SplittableRandom(3);
    float[] a = randomArray(r, t * k);
    float[] b = randomArray(r, heads * k * dh);
    float[] c = new float[t * heads * dh];
    int[] aOffs = new int[heads], bOffs = new int[heads], cOffs = new int[heads];
    for (int h = 0; h < heads; h++) {
      bOffs[h] = h * k * dh;
      cOffs[h] = h * dh;
    }
    float[] c0 = c.clone();
    backend().sgemmBatched(false, false, t, dh, k, a, aOffs, k, b, bOffs, dh, c, cOffs, heads * dh, false);
    for (int h = 0; h < heads; h++) {
      assertProduct(false, false, t, dh, k, a, 0, k, b, bOffs[h], dh, c0, c, cOffs[h], heads * dh, false, 1);
    }
  }

  /** Repeated C offsets with accumulate: the products are summed (gradient of a broadcast). */
  @Test
  void batchedRepeatedCAccumulates() {
    int m = 20, n = 30, k = 10, batch = 6;
    SplittableRandom r = new SplittableRandom(4);
    float[] a = randomArray(r, batch * m * k);
    float[] b = randomArray(r, batch * k * n);
    float[] c = new float[2 * m * n];
    int[] aOffs = new int[batch], bOffs = new int[batch], cOffs = new int[batch];
    for (int i = 0; i < batch; i++) {
      aOffs[i] = i * m * k;
      bOffs[i] = i * k * n;
      cOffs[i] = (i % 2) * m * n; // two accumulators, each fed by three products
    }
    backend().sgemmBatched(false, false, m, n, k, a, aOffs, k, b, bOffs, n, c, cOffs, n, true);
    for (int target = 0; target < 2; target++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double ref = 0, abs = 0;
          for (int item = target; item < batch; item += 2) {
            for (int p = 0; p < k; p++) {
              double v = (double) a[aOffs[item] + i * k + p] * b[bOffs[item] + p * n + j];
              ref += v;
              abs += Math.abs(v);
            }
          }
          float got = c[target * m * n + i * n + j];
          assertThat(Math.abs(got - ref)).as("C%d[%d][%d]", target, i, j).isLessThanOrEqualTo(tolerance(3 * k, abs));
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------

  /** Float32 summation of k products: error ≤ k·u·Σ|terms| (Higham, eq. 3.5), with slack. */
  static double tolerance(int k, double absSum) {
    return 2.0 * (k + 2) * Math.ulp(1f) * absSum + 1e-30;
  }

  /** Stored element count of an op(X) of rows×cols with extra padding per row. */
  static int stored(boolean trans, int rows, int cols, int pad) {
    int sr = trans ? cols : rows, sc = trans ? rows : cols;
    return sr * (sc + pad);
  }

  static float[] randomArray(SplittableRandom r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  static void assertProduct(
      boolean ta, boolean tb, int m, int n, int k,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c0, float[] c, int cOff, int ldc, boolean accumulate, int slack) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double ref = accumulate ? c0[cOff + i * ldc + j] : 0;
        double abs = Math.abs(ref);
        for (int p = 0; p < k; p++) {
          float av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          ref += (double) av * bv;
          abs += Math.abs((double) av * bv);
        }
        float got = c[cOff + i * ldc + j];
        if (!(Math.abs(got - ref) <= slack * tolerance(k, abs))) {
          fail("C[%d][%d] (%dx%dx%d %s%s acc=%s): got %s, want %s", i, j, m, n, k,
              ta ? "T" : "N", tb ? "T" : "N", accumulate, got, ref);
        }
      }
    }
  }

  /** One product with padded strides and offsets, and guard cells that must stay untouched. */
  static final class Case {
    final boolean ta, tb;
    final int m, n, k, lda, ldb, ldc, aOff, bOff, cOff;
    final float[] a, b, c;
    float[] c0;

    private Case(SplittableRandom r, boolean ta, boolean tb, int m, int n, int k, int off, int pad, int cPad) {
      this.ta = ta;
      this.tb = tb;
      this.m = m;
      this.n = n;
      this.k = k;
      this.lda = (ta ? m : k) + pad;
      this.ldb = (tb ? k : n) + pad;
      this.ldc = n + cPad;
      this.aOff = off;
      this.bOff = off + 1;
      this.cOff = off + 2;
      this.a = randomArray(r, aOff + (ta ? k : m) * lda + 4);
      this.b = randomArray(r, bOff + (tb ? n : k) * ldb + 4);
      this.c = randomArray(r, cOff + m * ldc + 4);
      this.c0 = c.clone();
    }

    static Case random(SplittableRandom r, boolean ta, boolean tb, int m, int n, int k, int off, int pad, int cPad) {
      return new Case(r, ta, tb, m, n, k, off, pad, cPad);
    }

    void run(GemmBackend backend, boolean accumulate) {
      c0 = c.clone();
      backend.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    }

    void assertMatches(boolean accumulate) {
      assertProduct(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, c0, c, cOff, ldc, accumulate, 1);
      // Everything outside the m×n window (offset, row padding, tail) must be untouched.
      for (int idx = 0; idx < c.length; idx++) {
        int rel = idx - cOff;
        boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
        if (!inside && Float.floatToRawIntBits(c[idx]) != Float.floatToRawIntBits(c0[idx])) {
          fail("C[%d] outside the output window was changed: %s -> %s", idx, c0[idx], c[idx]);
        }
      }
    }
  }
}
