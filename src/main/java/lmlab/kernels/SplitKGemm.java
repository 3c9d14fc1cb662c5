package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Tall-k products: a weight gradient dW = dYᵀ·X has m, n of a few hundred and k = the number of
 * tokens (thousands). Cut into C tiles for the threads, such a product gives each tile a dozen
 * rows, and every tile streams the whole packed B (k·n floats, more than L2) once per tile.
 * Here k is cut instead: P parts, each a whole product on one thread (its B panels reused by all
 * m rows), and the partial Cs are added in part order.
 *
 * <p>P depends on the shape alone, never on the thread count, so the sums — and the results —
 * are the same for any {@code --threads} (the split-k analogue of the fixed tiles in
 * {@link PackedGemm}).
 */
final class SplitKGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** C at most this many floats (512×512): larger C has enough tiles to share. */
  static final long MAX_C = 1L << 18;
  /** k at least this many per part, so each part is a long, efficient product. */
  static final int PART_K = 768;
  static final int MAX_PARTS = 8;

  private SplitKGemm() {}

  /** Partial Cs of parts 1..P-1, owned by the calling thread and reused across calls. */
  private static final ThreadLocal<float[][]> PARTIALS = ThreadLocal.withInitial(() -> new float[MAX_PARTS][0]);

  /** How many k parts for this shape: 1 means "not a tall-k product, use the tiled path". */
  static int parts(int m, int n, int k) {
    if ((long) m * n > MAX_C || k < 2 * PART_K || k < 4 * Math.max(m, n)) return 1;
    return Math.min(MAX_PARTS, k / PART_K);
  }

  /** C (+)= op(A)·op(B) as the sum of {@code parts} products over consecutive k ranges. */
  static void multiply(
      boolean transA, boolean transB, int m, int n, int k, int parts,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel) {
    float[][] partials = PARTIALS.get();
    for (int p = 1; p < parts; p++) {
      if (partials[p].length < m * n) partials[p] = new float[m * n];
    }
    java.util.function.IntConsumer part = p -> {
      int k0 = (int) ((long) k * p / parts), k1 = (int) ((long) k * (p + 1) / parts);
      // op(A) is m×k: stored k×m when transposed (k is its row), else m×k (k is its column).
      int aSub = aOff + (transA ? k0 * lda : k0);
      int bSub = bOff + (transB ? k0 : k0 * ldb);
      if (p == 0) {
        PackedGemm.multiply(transA, transB, m, n, k1 - k0, a, aSub, lda, b, bSub, ldb, c, cOff, ldc,
            accumulate, false);
      } else {
        PackedGemm.multiply(transA, transB, m, n, k1 - k0, a, aSub, lda, b, bSub, ldb, partials[p], 0, n,
            false, false);
      }
    };
    if (parallel) {
      Parallel.forEachDynamic(parts, part);
    } else {
      for (int p = 0; p < parts; p++) part.accept(p);
    }
    // C row i += partial_1[i] + ... in part order (the same order for any thread count).
    int rowGrain = Math.max(1, (1 << 14) / Math.max(1, n * (parts - 1)));
    Parallel.Range sum = (from, to) -> {
      for (int i = from; i < to; i++) {
        for (int p = 1; p < parts; p++) addRow(partials[p], i * n, c, cOff + i * ldc, n);
      }
    };
    if (parallel) Parallel.forRange(m, rowGrain, sum);
    else sum.run(0, m);
  }

  private static void addRow(float[] src, int s, float[] dst, int d, int n) {
    int j = 0;
    for (int bound = S.loopBound(n); j < bound; j += S.length()) {
      FloatVector.fromArray(S, dst, d + j).add(FloatVector.fromArray(S, src, s + j)).intoArray(dst, d + j);
    }
    for (; j < n; j++) dst[d + j] += src[s + j];
  }
}
