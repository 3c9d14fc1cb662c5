package lmlab.decode;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.kernels.StreamRead;

/**
 * y = W x (+ b) for one vector: the product of a single decoding step, where the general GEMM's
 * dispatch and packing cost more than the multiply-adds. W is (out, in) row-major (the Linear
 * layout), so each output is one contiguous dot product. With more than one thread allowed
 * ({@link Parallel#threads()}), products of at least {@link #PARALLEL_MIN} weights share their rows
 * with a helper thread ({@link MatVecTeam}, which never waits for a preempted helper); smaller ones
 * run on the caller, where waking a thread would cost more than it saves.
 */
final class MatVec {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  /**
   * Products below this many weights (256 KB) run on the calling thread. Measured with
   * `lmlab bench generate --preset chargpt` (products of 37K to 147K weights) on the idle 2-core
   * machine, 2026-11-27 12:48 UTC: 1,748 tokens/s with no sharing, 2,437 / 2,788 / 2,660 /
   * 2,441–3,026 / 2,391 / 1,986 tokens/s with the threshold at 8K / 16K / 32K / 64K / 100K / 128K
   * weights. Below ~64K a product's rows take less time than waking the helper; the 37K o_proj
   * stays on the caller. On a loaded machine sharing can lose (the helper competes for a busy
   * core; 850 against 1,700 tokens/s measured at load 5). With the read-ahead of {@link MatVecTeam}
   * (2026-11-27, 15:15 UTC) sharing o_proj too (32K) was no faster: its rows took 31 instead of 43
   * µs per token, but the helper's reading ahead of up_proj during them was lost (up: 93 instead of
   * 85 µs).
   * {@code -Dlmlab.matvec.parallelMin=N} overrides it (for measuring on other machines).
   */
  static final int PARALLEL_MIN = Integer.getInteger("lmlab.matvec.parallelMin", 1 << 16);

  private MatVec() {}

  /** One product of a batch: y (+)= W x (+ b), W (out, in) from offset wo. */
  record Product(float[] w, int wo, int out, int in, float[] b, int bo, float[] y, boolean accumulate) {}

  /**
   * y[yo + j] = Σ_p w[wo + j·in + p] · x[xo + p] (+ b[bo + j] when b is not null), for j in [0, out);
   * with accumulate, added to y instead of stored.
   */
  static void multiply(float[] w, int wo, int out, int in, float[] x, int xo, float[] b, int bo, float[] y, int yo,
      boolean accumulate) {
    if ((long) out * in >= PARALLEL_MIN && Parallel.threads() > 1 && xo == 0 && yo == 0) {
      MatVecTeam.shared().run(new Product[] {new Product(w, wo, out, in, b, bo, y, accumulate)}, out, x, null, 0);
    } else {
      rows(w, wo, 0, out, in, x, xo, b, bo, y, yo, accumulate);
    }
  }

  /**
   * Several products of the same input x (q, k and v; gate and up) in one pass over the pool: their
   * rows are split as one stacked matrix, so the threads are woken once. next (nextRows rows, or
   * null) are the products the caller will run next on the team: the helper reads its part of their
   * weights while it would otherwise wait.
   */
  static void multiply(Product[] ps, int totalRows, long weights, float[] x, Product[] next, int nextRows) {
    if (sharesRows(weights)) {
      MatVecTeam.shared().run(ps, totalRows, x, next, nextRows);
    } else {
      stacked(ps, 0, totalRows, x);
    }
  }

  /** The same with nothing to read ahead. */
  static void multiply(Product[] ps, int totalRows, long weights, float[] x) {
    multiply(ps, totalRows, weights, x, null, 0);
  }

  /** Whether a product of this many weights is shared with the helper thread. */
  static boolean sharesRows(long weights) {
    return weights >= PARALLEL_MIN && Parallel.threads() > 1;
  }

  /** The sum of the weights of rows [from, to) of the stacked products: reads them into this core's caches. */
  static float touch(Product[] ps, int from, int to) {
    float s = 0;
    int base = 0;
    for (Product p : ps) {
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + p.out);
      if (lo < hi) s += StreamRead.sum(p.w, p.wo + (lo - base) * p.in, p.wo + (hi - base) * p.in);
      base += p.out;
    }
    return s;
  }

  /** Rows [from, to) of the stacked products straight into their outputs. */
  static void stacked(Product[] ps, int from, int to, float[] x) {
    int base = 0;
    for (Product p : ps) {
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + p.out);
      if (lo < hi) rows(p.w, p.wo, lo - base, hi - base, p.in, x, 0, p.b, p.bo, p.y, 0, p.accumulate);
      base += p.out;
    }
  }

  /** Rows [from, to) of the stacked products (bias included, not accumulated) into scratch[0 .. to - from). */
  static void stackedRows(Product[] ps, int from, int to, float[] x, float[] scratch) {
    int base = 0;
    for (Product p : ps) {
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + p.out);
      if (lo < hi) rows(p.w, p.wo, lo - base, hi - base, p.in, x, 0, p.b, p.bo, scratch, base - from, false);
      base += p.out;
    }
  }

  /** Stores (or adds, for an accumulating product) rows [from, to) held in scratch into their outputs. */
  static void store(Product[] ps, int from, int to, float[] scratch) {
    int base = 0;
    for (Product p : ps) {
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + p.out);
      for (int r = lo; r < hi; r++) {
        float v = scratch[r - from];
        p.y[r - base] = p.accumulate ? p.y[r - base] + v : v;
      }
      base += p.out;
    }
  }

  /**
   * Rows [from, to) of W x (+ b), two rows per pass so each load of x serves two dot products. Not
   * four: four rows interleave four streams 4·in floats apart, which the hardware prefetchers follow
   * worse — measured in one process alternating the two (chargpt, 2026-11-27 15:10–15:20 UTC),
   * decoding ran 1.2–1.3× faster with two rows per pass on one thread and on two. Each row is
   * still one chain of FMAs over p in order, then {@link Lanes#sum}: the same bits as before.
   */
  private static void rows(float[] w, int wo, int from, int to, int in, float[] x, int xo, float[] b, int bo,
      float[] y, int yo, boolean accumulate) {
    int iv = in - in % L;
    int j = from;
    for (; j + 2 <= to; j += 2) {
      int r0 = wo + j * in;
      int r1 = r0 + in;
      FloatVector a0 = FloatVector.zero(S);
      FloatVector a1 = FloatVector.zero(S);
      for (int p = 0; p < iv; p += L) {
        FloatVector xv = FloatVector.fromArray(S, x, xo + p);
        a0 = FloatVector.fromArray(S, w, r0 + p).fma(xv, a0);
        a1 = FloatVector.fromArray(S, w, r1 + p).fma(xv, a1);
      }
      finish(Lanes.sum(a0), w, r0, iv, in, x, xo, b, bo, y, yo, j, accumulate);
      finish(Lanes.sum(a1), w, r1, iv, in, x, xo, b, bo, y, yo, j + 1, accumulate);
    }
    if (j < to) {
      int r0 = wo + j * in;
      FloatVector a0 = FloatVector.zero(S);
      for (int p = 0; p < iv; p += L) a0 = FloatVector.fromArray(S, w, r0 + p).fma(FloatVector.fromArray(S, x, xo + p), a0);
      finish(Lanes.sum(a0), w, r0, iv, in, x, xo, b, bo, y, yo, j, accumulate);
    }
  }

  /** Adds the scalar tail p in [iv, in) and the bias to a row's vector sum s, and stores row j. */
  private static void finish(float s, float[] w, int row, int iv, int in, float[] x, int xo, float[] b, int bo,
      float[] y, int yo, int j, boolean accumulate) {
    for (int p = iv; p < in; p++) s += w[row + p] * x[xo + p];
    if (b != null) s += b[bo + j];
    y[yo + j] = accumulate ? y[yo + j] + s : s;
  }
}
