package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The blocked path's own corners: column blocks of packed B, and the bands of C. */
class PackedGemmTest {
  /**
   * Both loop orders, with a tiny packed-B budget that forces several column blocks (each packed
   * by its thread in turn), k over several blocks, and edges in every direction.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"NN", "NT", "TN", "TT"})
  void bothLoopOrdersAndManyColumnBlocksOfB(String layout) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    int before = Parallel.threads();
    try {
      Parallel.setThreads(2);
      for (boolean bInL1 : new boolean[] {true, false}) {
        for (boolean accumulate : new boolean[] {false, true}) {
          int[][] shapes = {{50, 300, 40, 40 * 64}, {400, 150, 40, 40 * 64}, {13, 70, 300, PackedGemm.B_CAP}};
          for (int[] s : shapes) {
            var x = GemmContractTest.Case.random(new SplittableRandom(11), ta, tb, s[0], s[1], s[2], 2, 3, 1);
            x.c0 = x.c.clone();
            PackedGemm.multiply(ta, tb, x.m, x.n, x.k, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb,
                x.c, x.cOff, x.ldc, accumulate, true, s[3], bInL1);
            x.assertMatches(accumulate);
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /** Bands by rows and by columns, on 2 and 3 threads, give the one-thread product bit for bit. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"NN", "NT", "TN"})
  void bandsGiveTheSameBitsOnAnyThreadCount(String layout) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    int before = Parallel.threads();
    try {
      int[][] shapes = {{256, 300, 200}, {400, 150, 300}, {101, 333, 77}};
      for (int[] s : shapes) {
        var one = GemmContractTest.Case.random(new SplittableRandom(3), ta, tb, s[0], s[1], s[2], 0, 0, 0);
        PackedGemm.multiply(ta, tb, one.m, one.n, one.k, one.a, 0, one.lda, one.b, 0, one.ldb,
            one.c, 0, one.ldc, false, false);
        for (int threads : new int[] {2, 3}) {
          Parallel.setThreads(threads);
          var many = GemmContractTest.Case.random(new SplittableRandom(3), ta, tb, s[0], s[1], s[2], 0, 0, 0);
          PackedGemm.multiply(ta, tb, many.m, many.n, many.k, many.a, 0, many.lda, many.b, 0, many.ldb,
              many.c, 0, many.ldc, false, true);
          assertThat(many.c).as("%s on %d threads", java.util.Arrays.toString(s), threads).containsExactly(one.c);
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /**
   * A thread that finishes its band takes the other bands' pieces from the back. Called from
   * inside a pool task the parts run one after another on one thread, so the first part takes
   * every piece of every band: each is still computed once, with the one-thread bits, by rows
   * and by columns, with edges (rows and columns not whole tiles, k = 1, a few rows or columns).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"NN", "NT", "TN"})
  void piecesTakenFromOtherBandsGiveTheOneThreadBits(String layout) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    int before = Parallel.threads();
    try {
      int[][] shapes = {{1000, 130, 77}, {200, 700, 150}, {385, 300, 1}, {7, 300, 5}, {1100, 17, 40},
          {61, 65, 129}, {6, 64, 1}};
      for (int[] s : shapes) {
        for (boolean accumulate : new boolean[] {false, true}) {
          Parallel.setThreads(1);
          var one = GemmContractTest.Case.random(new SplittableRandom(7), ta, tb, s[0], s[1], s[2], 3, 2, 1);
          one.c0 = one.c.clone();
          PackedGemm.multiply(ta, tb, one.m, one.n, one.k, one.a, one.aOff, one.lda, one.b, one.bOff,
              one.ldb, one.c, one.cOff, one.ldc, accumulate, false);
          one.assertMatches(accumulate);
          for (int threads : new int[] {2, 3}) {
            Parallel.setThreads(threads);
            var many = GemmContractTest.Case.random(new SplittableRandom(7), ta, tb, s[0], s[1], s[2], 3, 2, 1);
            PackedGemm.Bands bands = PackedGemm.Bands.of(s[0], s[1], s[2], threads, ta);
            var pieces = new PackedGemm.Pieces(bands, s[0], s[1]);
            int total = 0;
            for (int u = 0; u < bands.count(); u++) total += pieces.count(u);
            Parallel.forEachPart(threads, part -> {
              if (part == 0) {
                PackedGemm.multiply(ta, tb, many.m, many.n, many.k, many.a, many.aOff, many.lda, many.b,
                    many.bOff, many.ldb, many.c, many.cOff, many.ldc, accumulate, true);
              }
            });
            assertThat(many.c).as("%s on %d threads, %d pieces", java.util.Arrays.toString(s), threads, total)
                .containsExactly(one.c);
          }
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /**
   * C tiles stored by the whole cache lines they span (rows a whole number of lines apart),
   * at every distance of the rows from a line: the product is right, nothing outside C's window
   * is written (the masked ends of each row), and the bits are those of the same product in a C
   * whose rows are not a whole number of lines apart (each row stored as it lies).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"NN", "NT", "TN"})
  void tilesStoredByWholeLinesGiveTheSameBitsAtEveryShift(String layout) {
    boolean ta = layout.charAt(0) == 'T', tb = layout.charAt(1) == 'T';
    int m = 40, n = 130, k = 300, ldc = 144, plainLd = n + 1;
    for (int off = 0; off < Aligned.LINE; off++) {
      for (boolean accumulate : new boolean[] {false, true}) {
        var x = GemmContractTest.Case.random(new SplittableRandom(5), ta, tb, m, n, k, off, 0, ldc - n);
        float[] plain = new float[m * plainLd];
        for (int i = 0; i < m; i++) System.arraycopy(x.c0, x.cOff + i * ldc, plain, i * plainLd, n);
        PackedGemm.multiply(ta, tb, m, n, k, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb,
            x.c, x.cOff, x.ldc, accumulate, false);
        x.assertMatches(accumulate);
        PackedGemm.multiply(ta, tb, m, n, k, x.a, x.aOff, x.lda, x.b, x.bOff, x.ldb,
            plain, 0, plainLd, accumulate, false);
        for (int i = 0; i < m; i++) {
          float[] lines = java.util.Arrays.copyOfRange(x.c, x.cOff + i * ldc, x.cOff + i * ldc + n);
          float[] asItLies = java.util.Arrays.copyOfRange(plain, i * plainLd, i * plainLd + n);
          assertThat(lines).as("row %d, offset %d, accumulate %s", i, x.cOff, accumulate).containsExactly(asItLies);
        }
      }
    }
  }

  /** A row-major A keeps the B micro-panel in L1 on every shape; a transposed A only for short k or a small C. */
  @Test
  void loopOrderByShape() {
    assertThat(PackedGemm.keepBInL1(false, 8192, 192, 768)).isTrue();
    assertThat(PackedGemm.keepBInL1(false, 8192, 576, 192)).isTrue();
    assertThat(PackedGemm.keepBInL1(true, 512, 512, 512)).isTrue();
    assertThat(PackedGemm.keepBInL1(true, 8192, 192, 768)).isEqualTo(!GemmMicroKernel.WIDE);
  }

  /** Pieces cover each band exactly, on whole MR rows, each claimed once from either end. */
  @Test
  void piecesCoverEachBandOnceFromEitherEnd() {
    int[][] cases = {{1000, 130, 2}, {8192, 192, 2}, {512, 512, 2}, {7, 1000, 3}, {385, 64, 2}};
    for (int[] cs : cases) {
      int m = cs[0], n = cs[1];
      PackedGemm.Bands bands = PackedGemm.Bands.of(m, n, 64, cs[2], false);
      PackedGemm.Pieces pieces = new PackedGemm.Pieces(bands, m, n);
      for (int u = 0; u < bands.count(); u++) {
        int count = pieces.count(u);
        assertThat(pieces.r0(u, 0)).isEqualTo(bands.r0(u, m));
        assertThat(pieces.r1(u, count - 1)).isEqualTo(bands.r1(u, m));
        for (int p = 0; p < count; p++) {
          assertThat(pieces.r1(u, p) - pieces.r0(u, p)).isBetween(1, PackedGemm.PIECE_ROWS);
          if (pieces.r1(u, p) < m) assertThat(pieces.r1(u, p) % GemmMicroKernel.MR).isZero();
        }
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < count; i++) assertThat(seen.add(pieces.claim(u, i % 2 == 0))).isTrue();
        assertThat(seen).hasSize(count);
        assertThat(pieces.claim(u, true)).isEqualTo(-1);
        assertThat(pieces.claim(u, false)).isEqualTo(-1);
      }
    }
  }

  /** One band per thread, covering C exactly on whole micro-tiles, by rows or by columns. */
  @Test
  void bandsCoverCExactlyOnWholeMicroTiles() {
    int[][] cases = {{1, 1, 1}, {5, 64, 2}, {10, 2000, 2}, {385, 700, 2}, {8192, 192, 2}, {769, 1100, 1},
        {100, 100, 4}, {512, 512, 2}, {8192, 576, 3}, {7, 1000, 4}};
    for (int[] cs : cases) {
      int m = cs[0], n = cs[1], threads = cs[2];
      for (boolean copiesA : new boolean[] {false, true}) {
        PackedGemm.Bands bands = PackedGemm.Bands.of(m, n, 64, threads, copiesA);
        assertThat(bands.count()).isBetween(1, threads);
        int[][] owner = new int[m][n];
        for (int t = 0; t < bands.count(); t++) {
          int r0 = bands.r0(t, m), r1 = bands.r1(t, m), c0 = bands.c0(t, n), c1 = bands.c1(t, n);
          if (r1 < m && r1 > r0) assertThat(r1 % GemmMicroKernel.MR).isZero();
          if (c1 < n && c1 > c0) assertThat(c1 % GemmMicroKernel.NR).isZero();
          for (int i = r0; i < r1; i++) for (int j = c0; j < c1; j++) owner[i][j]++;
        }
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) assertThat(owner[i][j]).as("%dx%d (%d, %d)", m, n, i, j).isEqualTo(1);
        }
      }
    }
    // Square products split by columns (each thread packs only its B); 9 panels split 5:4, so
    // a tall product with them goes by rows.
    assertThat(PackedGemm.Bands.of(512, 512, 512, 2, false).byRows()).isFalse();
    assertThat(PackedGemm.Bands.of(1024, 1024, 1024, 2, true).byRows()).isFalse();
    assertThat(PackedGemm.Bands.of(8192, 576, 192, 2, false).byRows()).isTrue();
    assertThat(PackedGemm.Bands.of(8192, 192, 768, 2, true).byRows()).isTrue();
  }

  /**
   * A transposed B packed into a panel equals op(B) element by element: whole 16×16 blocks,
   * ragged p and column edges, a short zero-padded panel, and offsets into B.
   */
  @Test
  void transposedBPanelIsOpBRowByRow() {
    SplittableRandom r = new SplittableRandom(5);
    int nr = GemmMicroKernel.NR;
    int[][] cases = {{16, 16, 16, 0, 0}, {37, 64, 53, 5, 3}, {128, 64, 129, 0, 16}, {7, 5, 20, 2, 1},
        {300, 64, 301, 17, 0}, {48, 33, 49, 0, 7}};
    for (int[] cs : cases) {
      int kc = cs[0], cols = Math.min(cs[1], nr), ldb = cs[2], p0 = cs[3], j0 = cs[4];
      int bOff = 3;
      float[] b = new float[bOff + (j0 + cols) * ldb + p0 + kc];
      for (int i = 0; i < b.length; i++) b[i] = (float) r.nextDouble();
      float[] bp = new float[2 + kc * nr];
      java.util.Arrays.fill(bp, Float.NaN);
      GemmPacking.packBPanel(true, b, bOff, ldb, p0, kc, j0, cols, bp, 2);
      for (int p = 0; p < kc; p++) {
        for (int j = 0; j < nr; j++) {
          float want = j < cols ? b[bOff + (j0 + j) * ldb + p0 + p] : 0f;
          assertThat(bp[2 + p * nr + j]).as("kc=%d cols=%d p=%d j=%d", kc, cols, p, j).isEqualTo(want);
        }
      }
    }
  }
}
