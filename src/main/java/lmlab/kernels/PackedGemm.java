package lmlab.kernels;

import static lmlab.kernels.GemmMicroKernel.MR;
import static lmlab.kernels.GemmMicroKernel.NR;

/**
 * Cache-blocked SGEMM around the {@link GemmMicroKernel}: Goto's algorithm as restructured by
 * BLIS (Van Zee &amp; van de Geijn 2015, figure 2; Smith et al., "Anatomy of High-Performance
 * Many-Threaded Matrix Multiplication", IPDPS 2014, for the parallel split).
 *
 * <pre>
 * for jc in n step NB                   -- NB columns of op(B), k·NB floats at most B_CAP
 *   pack op(B)[:, jc..] once, shared    -- all threads, one kc×64 panel per task
 *   for each C tile (≤ TILE_ROWS × TILE_COLS), handed out dynamically to the threads:
 *     for pc in k step kc
 *       A: the tile's rows × kc packed into MR-row panels (AVX2 tile), or, for the
 *          512-bit tile, a transposed A copied row by row and a row-major A used in place
 *       for jb in tile cols step NC     -- B block kc×NC stays in L2
 *         for jr in jb.. step NR        -- } in this order the B micro-panel (kc×64) stays in
 *           for ic in tile rows step MR -- } L1 (kc = 128); swapped, the A micro-panel does
 *             micro-kernel (MR×NR tile of C)  (kc up to 256), see keepBInL1
 * </pre>
 *
 * <p>Why this shape. B is packed once for all threads (no duplicate packing), and C is cut into
 * several tiles per thread taken from a shared counter, so a thread that another process
 * preempts only delays its current tile. A row-major A is never packed: the kernel broadcasts
 * straight from its six rows, which matters for narrow C such as 8192×768·768×192 where packing
 * A would cost ~15%. A transposed A is copied once per tile, row by row without interleaving
 * (see {@link GemmMicroKernel#kernelStrided}), and reused across up to TILE_COLS columns. All of
 * this is the 512-bit tile's; the AVX2 tile (see {@link NativeWidthKernel}) packs A in both
 * layouts into contiguous MR×kc panels (BLIS's order: one sequential stream per micro-kernel
 * instead of four row streams; a copy per element of A per tile, repaid over the tile's n/NR
 * panels) and always keeps its 16 KiB B micro-panel in L1 with A streaming from L2 at 16 bytes
 * per 8 FMAs; with its tile the in-place rows and the B-streaming order both ran slower. The B block the row panels share is kept to NC columns: 1024³ ran ~15% faster with
 * NC=256 than with a 1 MiB block (half of L2, which C and A also pass through).
 *
 * <p>Each element of C is owned by one tile and summed in the same k order whatever the thread
 * count, so results do not depend on {@code --threads}. Buffers are reused: the shared packed B
 * belongs to the calling thread and the A panel to each worker, both in thread-locals, so
 * steady-state multiplies allocate nothing.
 */
final class PackedGemm {
  /** Depth of one rank-kc update; -Dlmlab.gemm.kc overrides it for tuning experiments. */
  static final int KC = Math.max(1, Integer.getInteger("lmlab.gemm.kc", 256));
  /**
   * Depth when the B micro-panel is kept in L1: 128×64 floats = 32 KiB of a 48 KiB L1 for the
   * 512-bit tile; 256×16 floats = 16 KiB of a 32 KiB L1 for the AVX2 tile.
   */
  static final int KC_L1 =
      Math.max(1, Integer.getInteger("lmlab.gemm.kcl1", GemmMicroKernel.WIDE ? 128 : 256));
  /** Width of the L2-resident B block (whole panels); -Dlmlab.gemm.nc overrides it. */
  static final int NC = roundUp(Math.max(NR, Integer.getInteger("lmlab.gemm.nc", 256)), NR);
  /** Widest C tile: a transposed A is packed once per tile, so wide tiles amortise it. */
  static final int TILE_COLS = 1024;
  /** Most floats of packed B kept at once (16 MiB); wider B is done in column blocks. */
  static final int B_CAP = 1 << 22;
  /**
   * Tallest C tile: enough rows to amortise the A packing and a tile's start. For the AVX2 tile
   * its packed A block (192×256 floats, 192 KiB) stays in a 512 KiB L2 beside the C tile, as
   * BLIS's Zen blocking (mc 144, kc 256) keeps it; -Dlmlab.gemm.tilerows overrides it.
   */
  static final int TILE_ROWS = roundUp(Math.max(MR, Math.min(384,
      Integer.getInteger("lmlab.gemm.tilerows", GemmMicroKernel.WIDE ? 384 : 192))), MR);
  /** Whether A is always packed into MR-row panels and B always kept in L1 (the AVX2 tile). */
  static final boolean PACK_A = !GemmMicroKernel.WIDE;

  static {
    // A transposed-A block holds a tile's rows, rounded up to whole panels, per stride.
    assert roundUp(TILE_ROWS, MR) <= GemmMicroKernel.A_STRIDE;
  }

  private PackedGemm() {}

  /** Per-thread A block and edge tile. */
  private static final class Workspace {
    final float[] ap = new float[GemmMicroKernel.A_STRIDE * Math.max(KC, KC_L1)];
    final float[] edge = new float[MR * NR];
    float[] sharedB = new float[0];

    float[] sharedB(int size) {
      if (sharedB.length < size) sharedB = new float[size];
      return sharedB;
    }
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  /**
   * C = op(A)·op(B) (+ C when accumulate); m, n, k >= 1. With parallel, the work is spread over
   * the {@link Parallel} pool, else it all runs on the calling thread.
   */
  static void multiply(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel) {
    multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate,
        parallel, B_CAP, keepBInL1(m, n, k));
  }

  /** As above with the packed-B budget and the loop order as parameters (for tests). */
  static void multiply(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel, int bCap, boolean bInL1) {
    int threads = parallel ? Parallel.threads() : 1;
    int kcMax = bInL1 ? KC_L1 : KC;
    // Equal k blocks (e.g. 300 = 2×150, not 256+44) keep every kernel call long.
    int kBlocks = (k + kcMax - 1) / kcMax;
    int kcStep = (k + kBlocks - 1) / kBlocks;
    int nb = Math.min(roundUp(n, NR), Math.max(NR, bCap / k / NR * NR));
    float[] bp = WORKSPACE.get().sharedB(k * nb);
    for (int jc = 0; jc < n; jc += nb) {
      int nc = Math.min(nb, n - jc);
      int panels = (nc + NR - 1) / NR;
      int j0 = jc;
      // Packed layout: k block after k block, each holding all panels: [pc][panel][p][NR].
      run(threads, kBlocks * panels, task -> {
        int pc = (task / panels) * kcStep;
        int jp = task % panels;
        int kc = Math.min(kcStep, k - pc);
        GemmPacking.packBPanel(transB, b, bOff, ldb, pc, kc, j0 + jp * NR,
            Math.min(NR, nc - jp * NR), bp, pc * panels * NR + jp * NR * kc);
      });
      Tiles t = Tiles.of(m, nc, threads);
      run(threads, t.count(), tile -> {
        int rt = tile / t.colChunks, ct = tile % t.colChunks;
        int r0 = t.rowStart(rt, m), r1 = t.rowStart(rt + 1, m);
        int c0 = t.colStart(ct, nc), c1 = t.colStart(ct + 1, nc);
        if (r0 >= r1 || c0 >= c1) return;
        Workspace ws = WORKSPACE.get();
        for (int pc = 0; pc < k; pc += kcStep) {
          int kc = Math.min(kcStep, k - pc);
          boolean add = accumulate || pc > 0;
          // Packed panels (AVX2 tile); else a row-major A is used in place (only its short last
          // panel is packed) and a transposed A is copied for the whole tile at once, so its
          // rows are read sequentially.
          int lastPanel = r0 + (r1 - r0 - 1) / MR * MR;
          if (PACK_A && transA) {
            GemmPacking.packATransposed(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
          } else if (transA) {
            GemmPacking.copyTransposedA(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
          } else if (PACK_A) {
            GemmPacking.packA(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
          } else if (r1 - lastPanel < MR) {
            GemmPacking.packA(a, aOff, lda, lastPanel, r1 - lastPanel, pc, kc, ws.ap);
          }
          for (int jb = c0; jb < c1; jb += NC) {
            int jbEnd = Math.min(c1, jb + NC); // B block kc×NC, reused by every row panel
            if (bInL1) {
              for (int jr = jb; jr < jbEnd; jr += NR) {
                for (int ic = r0; ic < r1; ic += MR) {
                  microTile(transA, a, aOff, lda, ic, r0, r1, pc, kc, ws, bp, panels, jr, jbEnd,
                      c, cOff + j0, ldc, add);
                }
              }
            } else {
              for (int ic = r0; ic < r1; ic += MR) {
                for (int jr = jb; jr < jbEnd; jr += NR) {
                  microTile(transA, a, aOff, lda, ic, r0, r1, pc, kc, ws, bp, panels, jr, jbEnd,
                      c, cOff + j0, ldc, add);
                }
              }
            }
          }
        }
      });
    }
  }

  /** One micro-tile: rows ic.. of the tile against the B panel at column jr. */
  private static void microTile(
      boolean transA, float[] a, int aOff, int lda, int ic, int r0, int r1, int pc, int kc,
      Workspace ws, float[] bp, int panels, int jr, int jbEnd,
      float[] c, int cOff, int ldc, boolean add) {
    int mr = Math.min(MR, r1 - ic);
    int nr = Math.min(NR, jbEnd - jr);
    int bi = pc * panels * NR + (jr / NR) * NR * kc;
    int ci = cOff + ic * ldc + jr;
    // A partial tile is computed whole into a scratch tile, then its valid part copied.
    boolean full = mr == MR && nr == NR;
    float[] dst = full ? c : ws.edge;
    int di = full ? ci : 0;
    int ld = full ? ldc : NR;
    if (PACK_A) {
      GemmMicroKernel.kernel(kc, ws.ap, (ic - r0) * kc, bp, bi, dst, di, ld, full && add);
    } else if (transA) {
      GemmMicroKernel.kernelStrided(kc, ws.ap, ic - r0, bp, bi, dst, di, ld, full && add);
    } else if (mr == MR) {
      GemmMicroKernel.kernelRows(kc, a, aOff + ic * lda + pc, lda, bp, bi, dst, di, ld, full && add);
    } else {
      GemmMicroKernel.kernel(kc, ws.ap, 0, bp, bi, dst, di, ld, full && add);
    }
    if (!full) copyEdge(ws.edge, NR, c, ci, ldc, mr, nr, add);
  }

  /**
   * Which operand the inner loop keeps in L1. With the B micro-panel in L1 (the classic Goto
   * order: A micro-panels stream from L2, 24 bytes per step) kc must stay at KC_L1 so that
   * kc×64 floats fit, and C is then updated once per 128 of k. That wins when k fits one such
   * block, or when C is small enough to stay cached between the k blocks (up to 1M floats).
   * Otherwise, e.g. 8192×768·768×192, the extra passes over a large C cost more, and the A
   * micro-panel stays in L1 instead, with B micro-panels streaming from L2 (256 bytes per step)
   * and kc up to KC. Measured on this machine (Xeon, 2 cores, AVX-512) per shape. The AVX2
   * tile always keeps B in L1 (see the class comment).
   */
  static boolean keepBInL1(int m, int n, int k) {
    if (PACK_A) return true;
    return k <= KC_L1 || (long) m * n <= (1L << 20);
  }

  /** Runs task(0..count) on the pool (dynamically) or inline. */
  static void run(int threads, int count, java.util.function.IntConsumer task) {
    if (threads > 1) {
      Parallel.forEachDynamic(count, task);
    } else {
      for (int i = 0; i < count; i++) task.accept(i);
    }
  }

  /** The valid mr×nr corner of a scratch tile (row stride ld) into C (added when add). */
  static void copyEdge(float[] edge, int ld, float[] c, int ci, int ldc, int mr, int nr, boolean add) {
    for (int i = 0; i < mr; i++) {
      int row = ci + i * ldc;
      int t = i * ld;
      if (add) {
        for (int j = 0; j < nr; j++) c[row + j] += edge[t + j];
      } else {
        System.arraycopy(edge, t, c, row, nr);
      }
    }
  }

  static int roundUp(int x, int unit) {
    return (x + unit - 1) / unit * unit;
  }

  /**
   * How C (m×nc) is cut into tiles: rowChunks × colChunks, boundaries on whole MR rows and NR
   * columns. Aims at about four tiles per thread so dynamic hand-out can even out the load.
   */
  record Tiles(int rowChunks, int colChunks, int rowUnits, int colUnits) {
    static Tiles of(int m, int nc, int threads) {
      int rowUnits = (m + MR - 1) / MR;
      int colUnits = (nc + NR - 1) / NR;
      int colChunks = (nc + TILE_COLS - 1) / TILE_COLS;
      int want = threads == 1 ? 1 : 4 * threads;
      int rowChunks = Math.max((m + TILE_ROWS - 1) / TILE_ROWS, (want + colChunks - 1) / colChunks);
      // A whole number of rounds: with 22 tiles on 4 threads two threads would idle through the
      // last round while the others finish it.
      rowChunks = Math.min(roundUp(rowChunks, threads), rowUnits);
      if (rowChunks * colChunks < want) {
        // Few rows (e.g. a handful of tokens): cut the columns finer instead.
        colChunks = Math.min(colUnits, (want + rowChunks - 1) / rowChunks);
      }
      return new Tiles(rowChunks, colChunks, rowUnits, colUnits);
    }

    int count() {
      return rowChunks * colChunks;
    }

    int rowStart(int chunk, int m) {
      return Math.min(m, (int) ((long) rowUnits * chunk / rowChunks) * MR);
    }

    int colStart(int chunk, int nc) {
      return Math.min(nc, (int) ((long) colUnits * chunk / colChunks) * NR);
    }
  }
}
