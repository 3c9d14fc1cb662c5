package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The blocked path's own corners: column blocks of packed B, and the C tiling. */
class PackedGemmTest {
  /**
   * Both loop orders, with a tiny packed-B budget that forces several column blocks (each packed
   * and shared in turn), k over several blocks, and edges in every direction.
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
          int[][] shapes = {{50, 300, 40, 40 * 64}, {13, 70, 300, PackedGemm.B_CAP}};
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

  /** Enough rows: whole rounds of tiles, so no thread idles through a part-filled last round. */
  @Test
  void rowTilesComeInWholeRoundsOfThreads() {
    int[][] cases = {{8192, 192, 4}, {8192, 576, 3}, {4096, 512, 2}, {1000, 1000, 3}};
    for (int[] cs : cases) {
      PackedGemm.Tiles t = PackedGemm.Tiles.of(cs[0], cs[1], cs[2]);
      assertThat(t.rowChunks() % cs[2]).as("%dx%d on %d threads", cs[0], cs[1], cs[2]).isZero();
    }
  }

  @Test
  void tilesCoverCExactlyOnWholeMicroTiles() {
    int[][] cases = {{1, 1, 1}, {5, 64, 2}, {10, 2000, 2}, {385, 700, 2}, {8192, 192, 2}, {769, 1100, 1}, {100, 100, 4}};
    for (int[] cs : cases) {
      int m = cs[0], nc = cs[1], threads = cs[2];
      PackedGemm.Tiles t = PackedGemm.Tiles.of(m, nc, threads);
      assertThat(t.rowStart(0, m)).isZero();
      assertThat(t.rowStart(t.rowChunks(), m)).isEqualTo(m);
      assertThat(t.colStart(t.colChunks(), nc)).isEqualTo(nc);
      for (int r = 0; r < t.rowChunks(); r++) {
        int r0 = t.rowStart(r, m), r1 = t.rowStart(r + 1, m);
        assertThat(r1).isGreaterThanOrEqualTo(r0);
        assertThat(r1 - r0).isLessThanOrEqualTo(PackedGemm.TILE_ROWS);
        if (r1 < m) assertThat(r1 % GemmMicroKernel.MR).isZero();
      }
      for (int ct = 0; ct < t.colChunks(); ct++) {
        int c1 = t.colStart(ct + 1, nc);
        if (c1 < nc) assertThat(c1 % GemmMicroKernel.NR).isZero();
      }
      if (threads > 1 && (m + 5) / 6 * ((nc + 63) / 64) >= 4 * threads) {
        assertThat(t.count()).as("tiles for %dx%d", m, nc).isGreaterThanOrEqualTo(2 * threads);
      }
    }
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
