package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with a narrow C, 16 &lt; n ≤ 32 columns: attention with 32-wide heads (O = P·V,
 * dQ = dS·K, dK = dSᵀ·Q, dV = Pᵀ·dO all have n = d_h). The packed path's 6×64 tile would
 * compute half its columns for nothing; here a 12×32 register tile (24 accumulators, two B
 * vectors and one broadcast: 27 of AVX-512's 32 registers) keeps every FMA useful. Per step of k
 * it does 2 vector loads and 12 broadcasts for 24 FMAs, so the FMA ports, not the loads, bound it.
 *
 * <p>B is packed first as k×32 (two masked vector copies per row; a copy per k step shared by
 * every row panel), so the kernel's B reads have a constant stride and C2 hoists their bounds
 * checks. A row-major A is read in place, twelve rows at a time; a transposed A is packed per
 * panel, one masked vector copy per k step; the last rows of a row-major A are copied into
 * twelve zero-padded rows and go through the in-place kernel. Each element of C is summed over k in order, in registers, whatever the thread
 * count, so results do not depend on {@code --threads}.
 */
final class NarrowGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  static final int MR = 12;
  static final int NR = 32;

  private NarrowGemm() {}

  /**
   * Whether this product is one for this kernel: 16 &lt; n ≤ 32, enough rows to fill a tile, and B
   * stored k×n (a transposed B would be gathered column by column, which costs more than it saves).
   */
  static boolean fits(boolean transB, int m, int n, int k) {
    return !transB && n > 16 && n <= NR && m >= MR && k >= 8;
  }

  private static final class Workspace {
    float[] bp = new float[0];
    float[] ap = new float[0];
    final float[] edge = new float[MR * NR];

    float[] bp(int size) {
      if (bp.length < size) bp = new float[size];
      return bp;
    }

    float[] ap(int size) {
      if (ap.length < size) ap = new float[size];
      return ap;
    }
  }

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  /** C (+)= op(A)·B, with m, k ≥ 1 and {@link #fits}; row panels over the pool when parallel. */
  static void multiply(
      boolean transA, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate, boolean parallel) {
    float[] bp = WORKSPACE.get().bp(k * NR);
    packB(k, n, b, bOff, ldb, bp);
    int panels = (m + MR - 1) / MR;
    java.util.function.IntConsumer panel = q -> {
      int i0 = q * MR;
      int rows = Math.min(MR, m - i0);
      boolean full = rows == MR && n == NR;
      Workspace ws = WORKSPACE.get();
      // an edge block (fewer rows or columns) is computed whole into a scratch tile, then copied
      float[] dst = full ? c : ws.edge;
      int di = full ? cOff + i0 * ldc : 0;
      int ld = full ? ldc : NR;
      if (!transA && rows == MR) {
        kernelRows(k, a, aOff + i0 * lda, lda, bp, dst, di, ld, full && accumulate);
      } else if (!transA) {
        // The last rows, copied into MR zero-padded rows: through the same kernel as the full
        // panels, not one called only for edges (too rarely to be compiled by C2 early).
        float[] ap = ws.ap(k * MR);
        GemmPacking.copyRows(a, aOff, lda, i0, rows, 0, k, MR, ap);
        kernelRows(k, ap, 0, k, bp, dst, di, ld, full && accumulate);
      } else {
        float[] ap = ws.ap(k * MR);
        packTransposedA(i0, rows, k, a, aOff, lda, ap);
        kernelPacked(k, ap, bp, dst, di, ld, full && accumulate);
      }
      if (!full) PackedGemm.copyEdge(ws.edge, 0, NR, c, cOff + i0 * ldc, ldc, rows, n, accumulate);
    };
    PackedGemm.run(parallel && panels > 1 ? Parallel.threads() : 1, panels, panel);
  }

  /** B (k × n, row-major) into bp[p*32 + j], columns n..31 zero. */
  private static void packB(int k, int n, float[] b, int bOff, int ldb, float[] bp) {
    VectorMask<Float> m0 = S.indexInRange(0, n);
    VectorMask<Float> m1 = S.indexInRange(16, n);
    for (int p = 0; p < k; p++) {
      int src = bOff + p * ldb;
      FloatVector.fromArray(S, b, src, m0).intoArray(bp, p * NR);
      FloatVector.fromArray(S, b, src + 16, m1).intoArray(bp, p * NR + 16);
    }
  }

  /**
   * Rows i0..i0+rows of op(A) for a transposed A (op(A)[i][p] = a[p*lda + i]: row p of the
   * stored matrix holds this panel's 12 values) into ap[p*12 + r], rows past the edge zero.
   */
  private static void packTransposedA(int i0, int rows, int k, float[] a, int aOff, int lda, float[] ap) {
    if (rows < MR) java.util.Arrays.fill(ap, 0, k * MR, 0f);
    VectorMask<Float> take = S.indexInRange(0, rows);
    for (int p = 0; p < k; p++) {
      FloatVector.fromArray(S, a, aOff + p * lda + i0, take).intoArray(ap, p * MR, take);
    }
  }

  /**
   * A 12×32 block of C (from ci, row stride ldc) = (add ? C : 0) + Ap·Bp over k steps, A packed
   * as ap[p*12 + r]. Written out by hand: a helper taking the accumulators would not be inlined,
   * and a call that is not inlined boxes every vector. No masks or row counts in here: C1 must
   * be able to compile the method too (with them it ran out of registers, and the method was
   * left in slow tier-2 code), so edge blocks go through a scratch tile.
   */
  private static void kernelPacked(int k, float[] ap, float[] bp, float[] c, int ci, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00;
    FloatVector c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
    for (int p = 0; p < k; p++) {
      int bi = p * NR;
      int ai = p * MR;
      FloatVector b0 = FloatVector.fromArray(S, bp, bi);
      FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
      FloatVector av = FloatVector.broadcast(S, ap[ai]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(S, ap[ai + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(S, ap[ai + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(S, ap[ai + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      av = FloatVector.broadcast(S, ap[ai + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      av = FloatVector.broadcast(S, ap[ai + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      av = FloatVector.broadcast(S, ap[ai + 6]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      av = FloatVector.broadcast(S, ap[ai + 7]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
      av = FloatVector.broadcast(S, ap[ai + 8]);
      c80 = b0.fma(av, c80);
      c81 = b1.fma(av, c81);
      av = FloatVector.broadcast(S, ap[ai + 9]);
      c90 = b0.fma(av, c90);
      c91 = b1.fma(av, c91);
      av = FloatVector.broadcast(S, ap[ai + 10]);
      ca0 = b0.fma(av, ca0);
      ca1 = b1.fma(av, ca1);
      av = FloatVector.broadcast(S, ap[ai + 11]);
      cb0 = b0.fma(av, cb0);
      cb1 = b1.fma(av, cb1);
    }
    if (add) {
      c00 = c00.add(FloatVector.fromArray(S, c, ci));
      c01 = c01.add(FloatVector.fromArray(S, c, ci + 16));
      c10 = c10.add(FloatVector.fromArray(S, c, ci + ldc));
      c11 = c11.add(FloatVector.fromArray(S, c, ci + ldc + 16));
      c20 = c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc));
      c21 = c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + 16));
      c30 = c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc));
      c31 = c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + 16));
      c40 = c40.add(FloatVector.fromArray(S, c, ci + 4 * ldc));
      c41 = c41.add(FloatVector.fromArray(S, c, ci + 4 * ldc + 16));
      c50 = c50.add(FloatVector.fromArray(S, c, ci + 5 * ldc));
      c51 = c51.add(FloatVector.fromArray(S, c, ci + 5 * ldc + 16));
      c60 = c60.add(FloatVector.fromArray(S, c, ci + 6 * ldc));
      c61 = c61.add(FloatVector.fromArray(S, c, ci + 6 * ldc + 16));
      c70 = c70.add(FloatVector.fromArray(S, c, ci + 7 * ldc));
      c71 = c71.add(FloatVector.fromArray(S, c, ci + 7 * ldc + 16));
      c80 = c80.add(FloatVector.fromArray(S, c, ci + 8 * ldc));
      c81 = c81.add(FloatVector.fromArray(S, c, ci + 8 * ldc + 16));
      c90 = c90.add(FloatVector.fromArray(S, c, ci + 9 * ldc));
      c91 = c91.add(FloatVector.fromArray(S, c, ci + 9 * ldc + 16));
      ca0 = ca0.add(FloatVector.fromArray(S, c, ci + 10 * ldc));
      ca1 = ca1.add(FloatVector.fromArray(S, c, ci + 10 * ldc + 16));
      cb0 = cb0.add(FloatVector.fromArray(S, c, ci + 11 * ldc));
      cb1 = cb1.add(FloatVector.fromArray(S, c, ci + 11 * ldc + 16));
    }
    c00.intoArray(c, ci);
    c01.intoArray(c, ci + 16);
    c10.intoArray(c, ci + ldc);
    c11.intoArray(c, ci + ldc + 16);
    c20.intoArray(c, ci + 2 * ldc);
    c21.intoArray(c, ci + 2 * ldc + 16);
    c30.intoArray(c, ci + 3 * ldc);
    c31.intoArray(c, ci + 3 * ldc + 16);
    c40.intoArray(c, ci + 4 * ldc);
    c41.intoArray(c, ci + 4 * ldc + 16);
    c50.intoArray(c, ci + 5 * ldc);
    c51.intoArray(c, ci + 5 * ldc + 16);
    c60.intoArray(c, ci + 6 * ldc);
    c61.intoArray(c, ci + 6 * ldc + 16);
    c70.intoArray(c, ci + 7 * ldc);
    c71.intoArray(c, ci + 7 * ldc + 16);
    c80.intoArray(c, ci + 8 * ldc);
    c81.intoArray(c, ci + 8 * ldc + 16);
    c90.intoArray(c, ci + 9 * ldc);
    c91.intoArray(c, ci + 9 * ldc + 16);
    ca0.intoArray(c, ci + 10 * ldc);
    ca1.intoArray(c, ci + 10 * ldc + 16);
    cb0.intoArray(c, ci + 11 * ldc);
    cb1.intoArray(c, ci + 11 * ldc + 16);
  }

  /**
   * As {@link #kernelPacked}, but A is twelve rows of a row-major matrix used in place: element
   * (r, p) at {@code a[ai + r*lda + p]}, each row read sequentially (packing it would cost as
   * much as the multiply-adds).
   */
  private static void kernelRows(int k, float[] a, int ai, int lda, float[] bp, float[] c, int ci, int ldc,
      boolean add) {
    int a0 = ai, a1 = ai + lda, a2 = ai + 2 * lda, a3 = ai + 3 * lda, a4 = ai + 4 * lda, a5 = ai + 5 * lda;
    int a6 = ai + 6 * lda, a7 = ai + 7 * lda, a8 = ai + 8 * lda, a9 = ai + 9 * lda, aa = ai + 10 * lda, ab = ai + 11 * lda;
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00;
    FloatVector c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
    for (int p = 0; p < k; p++) {
      int bi = p * NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, bi);
      FloatVector b1 = FloatVector.fromArray(S, bp, bi + 16);
      FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      av = FloatVector.broadcast(S, a[a1 + p]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      av = FloatVector.broadcast(S, a[a2 + p]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      av = FloatVector.broadcast(S, a[a3 + p]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      av = FloatVector.broadcast(S, a[a4 + p]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      av = FloatVector.broadcast(S, a[a5 + p]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      av = FloatVector.broadcast(S, a[a6 + p]);
      c60 = b0.fma(av, c60);
      c61 = b1.fma(av, c61);
      av = FloatVector.broadcast(S, a[a7 + p]);
      c70 = b0.fma(av, c70);
      c71 = b1.fma(av, c71);
      av = FloatVector.broadcast(S, a[a8 + p]);
      c80 = b0.fma(av, c80);
      c81 = b1.fma(av, c81);
      av = FloatVector.broadcast(S, a[a9 + p]);
      c90 = b0.fma(av, c90);
      c91 = b1.fma(av, c91);
      av = FloatVector.broadcast(S, a[aa + p]);
      ca0 = b0.fma(av, ca0);
      ca1 = b1.fma(av, ca1);
      av = FloatVector.broadcast(S, a[ab + p]);
      cb0 = b0.fma(av, cb0);
      cb1 = b1.fma(av, cb1);
    }
    if (add) {
      c00 = c00.add(FloatVector.fromArray(S, c, ci));
      c01 = c01.add(FloatVector.fromArray(S, c, ci + 16));
      c10 = c10.add(FloatVector.fromArray(S, c, ci + ldc));
      c11 = c11.add(FloatVector.fromArray(S, c, ci + ldc + 16));
      c20 = c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc));
      c21 = c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + 16));
      c30 = c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc));
      c31 = c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + 16));
      c40 = c40.add(FloatVector.fromArray(S, c, ci + 4 * ldc));
      c41 = c41.add(FloatVector.fromArray(S, c, ci + 4 * ldc + 16));
      c50 = c50.add(FloatVector.fromArray(S, c, ci + 5 * ldc));
      c51 = c51.add(FloatVector.fromArray(S, c, ci + 5 * ldc + 16));
      c60 = c60.add(FloatVector.fromArray(S, c, ci + 6 * ldc));
      c61 = c61.add(FloatVector.fromArray(S, c, ci + 6 * ldc + 16));
      c70 = c70.add(FloatVector.fromArray(S, c, ci + 7 * ldc));
      c71 = c71.add(FloatVector.fromArray(S, c, ci + 7 * ldc + 16));
      c80 = c80.add(FloatVector.fromArray(S, c, ci + 8 * ldc));
      c81 = c81.add(FloatVector.fromArray(S, c, ci + 8 * ldc + 16));
      c90 = c90.add(FloatVector.fromArray(S, c, ci + 9 * ldc));
      c91 = c91.add(FloatVector.fromArray(S, c, ci + 9 * ldc + 16));
      ca0 = ca0.add(FloatVector.fromArray(S, c, ci + 10 * ldc));
      ca1 = ca1.add(FloatVector.fromArray(S, c, ci + 10 * ldc + 16));
      cb0 = cb0.add(FloatVector.fromArray(S, c, ci + 11 * ldc));
      cb1 = cb1.add(FloatVector.fromArray(S, c, ci + 11 * ldc + 16));
    }
    c00.intoArray(c, ci);
    c01.intoArray(c, ci + 16);
    c10.intoArray(c, ci + ldc);
    c11.intoArray(c, ci + ldc + 16);
    c20.intoArray(c, ci + 2 * ldc);
    c21.intoArray(c, ci + 2 * ldc + 16);
    c30.intoArray(c, ci + 3 * ldc);
    c31.intoArray(c, ci + 3 * ldc + 16);
    c40.intoArray(c, ci + 4 * ldc);
    c41.intoArray(c, ci + 4 * ldc + 16);
    c50.intoArray(c, ci + 5 * ldc);
    c51.intoArray(c, ci + 5 * ldc + 16);
    c60.intoArray(c, ci + 6 * ldc);
    c61.intoArray(c, ci + 6 * ldc + 16);
    c70.intoArray(c, ci + 7 * ldc);
    c71.intoArray(c, ci + 7 * ldc + 16);
    c80.intoArray(c, ci + 8 * ldc);
    c81.intoArray(c, ci + 8 * ldc + 16);
    c90.intoArray(c, ci + 9 * ldc);
    c91.intoArray(c, ci + 9 * ldc + 16);
    ca0.intoArray(c, ci + 10 * ldc);
    ca1.intoArray(c, ci + 10 * ldc + 16);
    cb0.intoArray(c, ci + 11 * ldc);
    cb1.intoArray(c, ci + 11 * ldc + 16);
  }
}
