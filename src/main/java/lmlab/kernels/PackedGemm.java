package lmlab.kernels;

import static lmlab.kernels.GemmMicroKernel.MR;
import static lmlab.kernels.GemmMicroKernel.NR;

/**
 * Cache-blocked SGEMM around the {@link GemmMicroKernel}: Goto's algorithm as restructured by
 * BLIS (Van Zee &amp; van de Geijn 2015, figure 2; Smith et al., "Anatomy of High-Performance
 * Many-Threaded Matrix Multiplication", IPDPS 2014, for the parallel split).
 *
 * <pre>
 * C is cut into one band per thread (whole rows or whole columns, see Bands), each band into
 * pieces of at most PIECE_ROWS rows (see Pieces); each thread, for each piece it takes:
 * for jc in its band's columns step NB  -- NB columns of op(B), k·NB floats at most B_CAP
 *   pack op(B)[:, jc..] itself          -- into its own buffer (and its own L2), once per call
 *   for each C tile (≤ TILE_ROWS × NC, or × TILE_COLS for a transposed A) of the piece:
 *     for pc in k step kc
 *       A: the tile's rows × kc packed into MR-row panels (AVX2 tile), or, for the
 *          512-bit tile, a transposed A copied row by row and a row-major A used in place
 *       for jb in tile cols step NC     -- B block kc×NC stays in L2
 *         for jr in jb.. step NR        -- } in this order the B micro-panel (kc×64) stays in
 *           for ic in tile rows step MR -- } L1 (kc = 128); swapped, the A micro-panel does
 *             micro-kernel (MR×NR tile of C)  (kc up to 256), see keepBInL1
 * </pre>
 *
 * <p>Why this shape. Each thread owns a fixed band of C and packs the B it needs itself: one
 * hand-off per product (no barrier between packing and computing), no packed B or C line moving
 * between the cores' caches, and a B micro-panel reused down all of the band's rows. Row bands
 * pack B once per thread ((threads-1)·k·n extra copies, nothing beside a tall product's work);
 * column bands pack only their columns but each reads all of A. So that a thread another
 * process preempts does not delay the whole product, a thread done with its band takes the
 * other bands' pieces from the end its owner has not reached (packing their B columns itself for
 * a column band), so when both finish together nothing moves. Even bands are worked front to
 * back and odd ones back to front: neighbouring column bands then sum different rows at the same
 * time, and a C line that two bands share (C's rows need not start on a cache line, so the line
 * across a band edge usually holds both bands' columns) does not move between the cores at every
 * k block. A row-major A is never packed: the kernel broadcasts
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
 * count, so results do not depend on {@code --threads}. Buffers are reused: each thread's packed
 * B and A panel live in thread-locals, so steady-state multiplies allocate nothing.
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
  /** Rows of one piece of a thread's band, at most (see Pieces): one tile's. */
  static final int PIECE_ROWS = TILE_ROWS;
  /** Whether A is always packed into MR-row panels and B always kept in L1 (the AVX2 tile). */
  static final boolean PACK_A = !GemmMicroKernel.WIDE;

  static {
    // A transposed-A block holds a tile's rows, rounded up to whole panels, per stride.
    assert roundUp(TILE_ROWS, MR) <= GemmMicroKernel.A_STRIDE;
  }

  private PackedGemm() {}

  /**
   * Per-thread packed B, A block and edge tile. The packed B and the edge tile start on a cache
   * line (at packedAt and edgeAt, see {@link Aligned}): the kernel loads four B vectors per step
   * and stores whole C rows, and a 512-bit access that straddles two lines costs two.
   */
  private static final class Workspace {
    final float[] ap = new float[GemmMicroKernel.A_STRIDE * Math.max(KC, KC_L1)];
    /** Room for the lines the kernel stores, a line past the tile's last row (see lineShift). */
    final float[] edge = new float[MR * NR + Aligned.LINE + Aligned.LINE - 1];
    final int edgeAt = Aligned.offset(edge);
    float[] packedB = new float[0];
    int packedAt;
    /** The call (its Pieces) and columns packedB holds, when one piece may reuse it. */
    Object packedFor;
    int packedFrom, packedTo;

    float[] packedB(int size) {
      if (packedB.length < size + Aligned.LINE - 1) {
        packedB = new float[size + Aligned.LINE - 1];
        packedAt = Aligned.offset(packedB);
      }
      return packedB;
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
        parallel, B_CAP, keepBInL1(transA, m, n, k));
  }

  /** As above with the packed-B budget and the loop order as parameters (for tests). */
  static void multiply(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel, int bCap, boolean bInL1) {
    int threads = parallel ? Parallel.threads() : 1;
    int cLine = lineStart(c, ldc);
    int kcMax = bInL1 ? KC_L1 : KC;
    // Equal k blocks (e.g. 300 = 2×150, not 256+44) keep every kernel call long.
    int kBlocks = (k + kcMax - 1) / kcMax;
    int kcStep = (k + kBlocks - 1) / kBlocks;
    Bands bands = Bands.of(m, n, k, threads, PACK_A || transA);
    if (bands.count() == 1) {
      band(transA, transB, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, cLine, accumulate, bCap,
          bInL1, kcStep, 0, m, 0, n, null);
      return;
    }
    Pieces pieces = new Pieces(bands, m, n);
    Parallel.forEachPart(bands.count(), t -> {
      // Its own band's pieces first (an even band front to back, an odd one back to front, see
      // the class comment); then the other bands' pieces from the end their owner has not reached.
      for (int u = t, i = 0; i < bands.count(); i++, u = (u + 1) % bands.count()) {
        for (int p; (p = pieces.claim(u, (u == t) == (u % 2 == 0))) >= 0; ) {
          band(transA, transB, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, cLine, accumulate,
              bCap, bInL1, kcStep, pieces.r0(u, p), pieces.r1(u, p), bands.c0(u, n),
              bands.c1(u, n), pieces);
        }
      }
    });
  }

  /**
   * Each band cut into pieces of whole MR rows, at most PIECE_ROWS each. The band's thread takes
   * them from one end (the front for an even band); a thread done with its own band takes the
   * others' from their other end, so a thread that another process delays does not hold up the
   * whole product. A stolen piece of a column band costs the thief a packing of that band's B;
   * row bands share all of B.
   */
  static final class Pieces {
    final Bands bands;
    final int m, n;
    /** Per band: (next piece from the front) << 32 | (one past the last unclaimed piece). */
    final java.util.concurrent.atomic.AtomicLongArray state;

    Pieces(Bands bands, int m, int n) {
      this.bands = bands;
      this.m = m;
      this.n = n;
      state = new java.util.concurrent.atomic.AtomicLongArray(bands.count());
      for (int u = 0; u < bands.count(); u++) state.set(u, count(u));
    }

    /** Pieces in band u. */
    int count(int u) {
      int rows = bands.r1(u, m) - bands.r0(u, m);
      return Math.max(1, (rows + PIECE_ROWS - 1) / PIECE_ROWS);
    }

    /** A piece of band u still to do (from the front when front, else from the back), or -1. */
    int claim(int u, boolean front) {
      while (true) {
        long s = state.get(u);
        int f = (int) (s >>> 32), b = (int) s;
        if (f >= b) return -1;
        long next = front ? (long) (f + 1) << 32 | b : (long) f << 32 | (b - 1);
        if (state.compareAndSet(u, s, next)) return front ? f : b - 1;
      }
    }

    /** Rows [r0, r1) of piece p of band u: equal shares of the band's MR-row units. */
    int r0(int u, int p) {
      int b0 = bands.r0(u, m), units = (bands.r1(u, m) - b0 + MR - 1) / MR;
      return Math.min(bands.r1(u, m), b0 + (int) ((long) units * p / count(u)) * MR);
    }

    int r1(int u, int p) {
      return r0(u, p + 1);
    }
  }

  /**
   * Rows [r0, r1) × columns [n0, n1) of C on the calling thread: it packs its own B columns (into
   * its own cache) and computes its C tiles, with no hand-off to another thread on the way.
   */
  private static void band(
      boolean transA, boolean transB, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int cLine,
      boolean accumulate, int bCap, boolean bInL1, int kcStep, int r0, int r1, int n0, int n1,
      Object call) {
    if (r0 >= r1 || n0 >= n1) return;
    Workspace ws = WORKSPACE.get();
    int kBlocks = (k + kcStep - 1) / kcStep;
    int nb = Math.min(roundUp(n1 - n0, NR), Math.max(NR, bCap / k / NR * NR));
    float[] bp = ws.packedB(k * nb);
    int bo = ws.packedAt;
    int rowChunks = (r1 - r0 + TILE_ROWS - 1) / TILE_ROWS;
    int rowUnits = (r1 - r0 + MR - 1) / MR;
    for (int jc = n0; jc < n1; jc += nb) {
      int nc = Math.min(nb, n1 - jc);
      int panels = (nc + NR - 1) / NR;
      // Packed layout: k block after k block, each holding all panels: [pc][panel][p][NR]. The
      // pieces of one call that share these columns share the packing.
      boolean packed = call != null && nc == n1 - n0 && ws.packedFor == call
          && ws.packedFrom == jc && ws.packedTo == jc + nc;
      ws.packedFor = call != null && nc == n1 - n0 ? call : null;
      ws.packedFrom = jc;
      ws.packedTo = jc + nc;
      for (int kb = 0; kb < kBlocks && !packed; kb++) {
        int pc = kb * kcStep;
        int kc = Math.min(kcStep, k - pc);
        for (int jp = 0; jp < panels; jp++) {
          GemmPacking.packBPanel(transB, b, bOff, ldb, pc, kc, jc + jp * NR,
              Math.min(NR, nc - jp * NR), bp, bo + pc * panels * NR + jp * NR * kc);
        }
      }
      // A row-major A (read in place, nothing to amortise) takes tiles NC wide, so that the C
      // tile stays in L2 across the k blocks; a transposed A, copied per tile, wide ones.
      int tileCols = !PACK_A && !transA ? NC : TILE_COLS;
      int colChunks = (nc + tileCols - 1) / tileCols;
      int colUnits = panels;
      for (int rt = 0; rt < rowChunks; rt++) {
        int t0 = r0 + (int) ((long) rowUnits * rt / rowChunks) * MR;
        int t1 = Math.min(r1, r0 + (int) ((long) rowUnits * (rt + 1) / rowChunks) * MR);
        for (int ct = 0; ct < colChunks; ct++) {
          int c0 = Math.min(nc, (int) ((long) colUnits * ct / colChunks) * NR);
          int c1 = Math.min(nc, (int) ((long) colUnits * (ct + 1) / colChunks) * NR);
          tile(transA, k, a, aOff, lda, c, cOff + jc, ldc, cLine, accumulate, bInL1, kcStep, ws,
              bp, bo, panels, t0, t1, c0, c1);
        }
      }
    }
  }

  /** C tile rows [r0, r1) × columns [c0, c1) of the packed block (C from cOff at its column 0). */
  private static void tile(
      boolean transA, int k, float[] a, int aOff, int lda, float[] c, int cOff, int ldc, int cLine,
      boolean accumulate, boolean bInL1, int kcStep, Workspace ws, float[] bp, int bo, int panels,
      int r0, int r1, int c0, int c1) {
    if (r0 >= r1 || c0 >= c1) return;
    for (int pc = 0; pc < k; pc += kcStep) {
      int kc = Math.min(kcStep, k - pc);
      boolean add = accumulate || pc > 0;
      // Packed panels (AVX2 tile); else a row-major A is used in place (only its short last
      // panel is copied, into zero-padded rows) and a transposed A is copied for the whole
      // tile at once, so its rows are read sequentially.
      int lastPanel = r0 + (r1 - r0 - 1) / MR * MR;
      if (PACK_A && transA) {
        GemmPacking.packATransposed(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
      } else if (transA) {
        GemmPacking.copyTransposedA(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
      } else if (PACK_A) {
        GemmPacking.packA(a, aOff, lda, r0, r1 - r0, pc, kc, ws.ap);
      } else if (r1 - lastPanel < MR) {
        GemmPacking.copyRows(a, aOff, lda, lastPanel, r1 - lastPanel, pc, kc, MR, ws.ap);
      }
      for (int jb = c0; jb < c1; jb += NC) {
        int jbEnd = Math.min(c1, jb + NC); // B block kc×NC, reused by every row panel
        if (bInL1) {
          for (int jr = jb; jr < jbEnd; jr += NR) {
            for (int ic = r0; ic < r1; ic += MR) {
              microTile(transA, a, aOff, lda, ic, r0, r1, pc, kc, ws, bp, bo, panels, jr, jbEnd,
                  c, cOff, ldc, cLine, add);
            }
          }
        } else {
          for (int ic = r0; ic < r1; ic += MR) {
            for (int jr = jb; jr < jbEnd; jr += NR) {
              microTile(transA, a, aOff, lda, ic, r0, r1, pc, kc, ws, bp, bo, panels, jr, jbEnd,
                  c, cOff, ldc, cLine, add);
            }
          }
        }
      }
    }
  }

  /** One micro-tile: rows ic.. of the tile against the B panel at column jr. */
  private static void microTile(
      boolean transA, float[] a, int aOff, int lda, int ic, int r0, int r1, int pc, int kc,
      Workspace ws, float[] bp, int bo, int panels, int jr, int jbEnd,
      float[] c, int cOff, int ldc, int cLine, boolean add) {
    int mr = Math.min(MR, r1 - ic);
    int nr = Math.min(NR, jbEnd - jr);
    int bi = bo + pc * panels * NR + (jr / NR) * NR * kc;
    int ci = cOff + ic * ldc + jr;
    // A partial tile is computed whole into a scratch tile, then its valid part copied; so is a
    // full one whose whole lines would reach past c (see lineShift).
    int shift = mr != MR || nr != NR ? -1 : PACK_A || transA ? 0 : lineShift(c, ci, ldc, cLine);
    boolean full = shift >= 0;
    float[] dst = full ? c : ws.edge;
    int di = full ? ci : ws.edgeAt;
    int ld = full ? ldc : NR;
    shift = Math.max(0, shift);
    if (PACK_A) {
      GemmMicroKernel.kernel(kc, ws.ap, (ic - r0) * kc, bp, bi, dst, di, ld, full && add);
    } else if (transA) {
      GemmMicroKernel.kernelStrided(kc, ws.ap, ic - r0, bp, bi, dst, di, ld, full && add);
    } else if (mr == MR) {
      GemmMicroKernel.kernelRows(kc, a, aOff + ic * lda + pc, lda, bp, bi, dst, di, ld, full && add,
          shift);
    } else { // the short last panel, copied into MR zero-padded rows of stride kc
      GemmMicroKernel.kernelRows(kc, ws.ap, 0, kc, bp, bi, dst, di, ld, full && add, shift);
    }
    if (!full) copyEdge(ws.edge, ws.edgeAt, NR, c, ci, ldc, mr, nr, add);
  }

  /**
   * The first index of c on a cache line when every row of C starts the same distance past one
   * (ldc a whole number of lines), else -1: then no tile is stored by whole lines. Read once per
   * call; if the collector moves c meanwhile, only the speed changes, never a value.
   */
  static int lineStart(float[] c, int ldc) {
    return GemmMicroKernel.WIDE && ldc % Aligned.LINE == 0 ? Aligned.firstOnLine(c) : -1;
  }

  /**
   * How many floats past a cache line the full C tile at ci starts (rows ldc apart; 0 when that
   * is not known), for the 512-bit row kernels (the AVX2 tile stores its rows as they lie, and
   * never asks): the kernel stores each row of the tile by the whole lines it spans (see
   * {@link GemmMicroKernel}). A 512-bit load or store that straddles two lines costs two
   * accesses, and a C row that does not start on a line has all four of its vectors straddling,
   * 48 split accesses per tile and k block; every C row does in an array made by Java under the
   * launcher's 64-byte alignment, whose data starts 16 bytes into a line. -1 when those lines
   * would reach outside c (at its first and last rows): that tile goes through the scratch tile.
   */
  static int lineShift(float[] c, int ci, int ldc, int cLine) {
    int shift = cLine < 0 ? 0 : (ci - cLine) & (Aligned.LINE - 1);
    boolean inside = ci - shift >= 0 && ci - shift + (MR - 1) * ldc + NR + Aligned.LINE <= c.length;
    return inside ? shift : -1;
  }

  /**
   * Which operand the inner loop keeps in L1. With the B micro-panel in L1 (the classic Goto
   * order: A micro-panels stream from L2, 24 bytes per step) kc must stay at KC_L1 so that
   * kc×64 floats fit, and C is then updated once per 128 of k. That wins when k fits one such
   * block, or when C is small enough to stay cached between the k blocks (up to 1M floats).
   * Otherwise the A micro-panel can stay in L1 instead, with B micro-panels streaming from L2
   * (256 bytes per step) and kc up to KC: on the earlier Xeon that won for a large C such as
   * 8192×768·768×192. On the Zen 5 machine a row-major A does better with B in L1 on every
   * shape (the C tile, NC columns wide, stays in L2 across the k blocks): 8192×768·768×192 and
   * 8192×192·192×576 ran 4–6% faster on two threads; a transposed A, copied per tile, was
   * neither faster nor slower, and keeps the old rule. The AVX2 tile always keeps B in L1 (see
   * the class comment).
   */
  static boolean keepBInL1(boolean transA, int m, int n, int k) {
    if (PACK_A || !transA) return true;
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

  /** The valid mr×nr corner of a scratch tile (from e, row stride ld) into C (added when add). */
  static void copyEdge(float[] edge, int e, int ld, float[] c, int ci, int ldc, int mr, int nr, boolean add) {
    for (int i = 0; i < mr; i++) {
      int row = ci + i * ldc;
      int t = e + i * ld;
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
   * How C is cut between the threads: one band per thread, of whole MR rows (each thread packs
   * all of B, which costs (threads-1)·k·n extra copies) or of whole NR columns (each thread packs
   * only its columns, but copies all of A when A is copied), whichever gives the busiest thread
   * less work: 512³ and 1024³ go by columns (8 and 16 panels), 8192×192·192×576 by rows (9
   * panels would split 5:4).
   */
  record Bands(int count, boolean byRows, int units) {
    /** Cost of packing one float, in multiply-adds (the copy runs at a few floats a cycle). */
    static final int PACK_COST = 4;

    static Bands of(int m, int n, int k, int threads, boolean copiesA) {
      int rowUnits = (m + MR - 1) / MR;
      int colUnits = (n + NR - 1) / NR;
      if (threads == 1 || rowUnits * colUnits < 2) return new Bands(1, true, rowUnits);
      int rowParts = Math.min(threads, rowUnits), colParts = Math.min(threads, colUnits);
      long bandRows = (long) (rowUnits + rowParts - 1) / rowParts * MR;
      long bandCols = (long) (colUnits + colParts - 1) / colParts * NR;
      // Multiply-adds of the busiest band plus its copies of B (and of A when A is copied).
      long byRows = bandRows * n * k + (long) PACK_COST * k * n + (copiesA ? PACK_COST * bandRows * k : 0);
      long byCols = bandCols * m * k + PACK_COST * k * bandCols + (copiesA ? (long) PACK_COST * m * k : 0);
      return byRows <= byCols ? new Bands(rowParts, true, rowUnits) : new Bands(colParts, false, colUnits);
    }

    /** Rows [r0, r1) and columns [c0, c1) of C are the band's. */
    int r0(int band, int m) {
      return byRows ? cut(band, m, MR) : 0;
    }

    int r1(int band, int m) {
      return byRows ? cut(band + 1, m, MR) : m;
    }

    int c0(int band, int n) {
      return byRows ? 0 : cut(band, n, NR);
    }

    int c1(int band, int n) {
      return byRows ? n : cut(band + 1, n, NR);
    }

    private int cut(int band, int len, int unit) {
      return Math.min(len, (int) ((long) units * band / count) * unit);
    }
  }
}
