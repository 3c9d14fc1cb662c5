package lmlab.kernels;

import java.util.Arrays;

/**
 * The pure-Java GEMM backend (the default): picks the unpacked {@link SmallGemm} or the packed,
 * cache-blocked {@link PackedGemm} by size, and spreads work over the {@link Parallel} pool.
 *
 * <p>Large products are split inside {@link PackedGemm} (one band of C per thread, each thread
 * packing its own B); batches of small products run whole products per thread. Either way every
 * element of C is summed in the same order whatever the thread count.
 */
public final class JavaGemm implements GemmBackend {
  public static final JavaGemm INSTANCE = new JavaGemm();

  /** Below this many multiply-adds packing costs more than it saves. */
  static final long SMALL_WORK = 1L << 15;
  /** Below this many multiply-adds (about 100³) one thread is faster than waking the pool. */
  static final long PARALLEL_WORK = 1L << 20;
  /** Batched: items below this size run one per thread instead of each being split. */
  static final long BATCH_ITEM_PARALLEL = 1L << 22;

  private JavaGemm() {}

  @Override
  public String name() {
    return "java";
  }

  @Override
  public void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
      if (!accumulate) zero(m, n, c, cOff, ldc);
      return;
    }
    boolean parallel = Parallel.threads() > 1 && (long) m * n * k >= PARALLEL_WORK;
    multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, parallel);
  }

  /**
   * Picks the kernel by shape alone (so a product sums the same way on any thread count): small
   * products unpacked, tall-k products split along k, 17..32-column products on the narrow
   * tile (512-bit vectors only; narrower tiles already fit them), the rest packed and tiled.
   */
  private static void multiply(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel) {
    if (!isSmall(m, n, k)) {
      int kParts = SplitKGemm.parts(m, n, k);
      if (kParts > 1) {
        SplitKGemm.multiply(transA, transB, m, n, k, kParts, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate,
            parallel);
      } else if (GemmMicroKernel.WIDE && NarrowGemm.fits(transB, m, n, k)) {
        NarrowGemm.multiply(transA, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, parallel);
      } else {
        PackedGemm.multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc,
            accumulate, parallel);
      }
    } else if (!parallel) {
      SmallGemm.multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    } else {
      // A large product of a few rows (or a narrow C): bands of C over the pool.
      boolean byRows = m >= n;
      int len = byRows ? m : n;
      int parts = Math.min(len, Parallel.threads());
      Parallel.forEachPart(parts, part -> {
        int from = (int) ((long) len * part / parts);
        int to = (int) ((long) len * (part + 1) / parts);
        if (byRows) {
          int aSub = transA ? aOff + from : aOff + from * lda;
          SmallGemm.multiply(transA, transB, to - from, n, k, a, aSub, lda, b, bOff, ldb,
              c, cOff + from * ldc, ldc, accumulate);
        } else {
          int bSub = transB ? bOff + from * ldb : bOff + from;
          SmallGemm.multiply(transA, transB, m, to - from, k, a, aOff, lda, b, bSub, ldb,
              c, cOff + from, ldc, accumulate);
        }
      });
    }
  }

  /**
   * Packing B costs k·n copies, repaid over m rows: not worth it for a handful of rows or a tiny
   * product. A narrow C (n < 16) wastes most of a tile, yet beats scalar loops when big.
   */
  static boolean isSmall(int m, int n, int k) {
    long work = (long) m * n * k;
    return work < SMALL_WORK || m < 4 || (n < 16 && work < (1L << 22));
  }

  /** One product entirely on the calling thread. */
  static void serial(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    multiply(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate, false);
  }

  @Override
  public void sgemmBatched(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb,
      float[] c, int[] cOffs, int ldc,
      boolean accumulate) {
    int batch = cOffs.length;
    if (batch == 0 || m == 0 || n == 0) return;
    long work = (long) m * n * k;
    int[][] groups = work < BATCH_ITEM_PARALLEL && Parallel.threads() > 1 ? groupsByC(cOffs) : null;
    if (groups == null || groups.length < 2) {
      // Large items (or one shared C): split each product over the pool in turn.
      for (int i = 0; i < batch; i++) {
        sgemm(transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb, c, cOffs[i], ldc, accumulate);
      }
      return;
    }
    // Small items: whole products per thread. Items writing the same C (a reduction over a
    // broadcast dimension) form one group that runs in batch order on one thread.
    int grain = (int) Math.max(1, SMALL_WORK / Math.max(1, work));
    Parallel.forRange(groups.length, grain, (from, to) -> {
      for (int g = from; g < to; g++) {
        for (int i : groups[g]) {
          serial(transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb,
              c, cOffs[i], ldc, accumulate);
        }
      }
    });
  }

  /**
   * Batch indices grouped by equal C offset, groups in order of first appearance. Distinct
   * offsets are assumed to address disjoint matrices (as for heads interleaved along a row).
   */
  static int[][] groupsByC(int[] cOffs) {
    int batch = cOffs.length;
    boolean increasing = true;
    for (int i = 1; i < batch && increasing; i++) increasing = cOffs[i] > cOffs[i - 1];
    if (increasing) {
      int[][] g = new int[batch][];
      for (int i = 0; i < batch; i++) g[i] = new int[] {i};
      return g;
    }
    var byOffset = new java.util.LinkedHashMap<Integer, java.util.List<Integer>>();
    for (int i = 0; i < batch; i++) {
      byOffset.computeIfAbsent(cOffs[i], x -> new java.util.ArrayList<>()).add(i);
    }
    return byOffset.values().stream()
        .map(l -> l.stream().mapToInt(Integer::intValue).toArray())
        .toArray(int[][]::new);
  }

  private static void zero(int m, int n, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
  }
}
