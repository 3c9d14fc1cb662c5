package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-tile micro-kernel of the packed SGEMM: a {@link #MR}×{@link #NR} block of C
 * (6 rows × 4 vectors of 16 floats) held in 24 vector registers while it runs over kc rank-1
 * updates, each one broadcast of A per row and four vector loads of B feeding 24 FMAs.
 *
 * <p>This is the BLIS/Goto micro-kernel (Van Zee &amp; van de Geijn, "BLIS: A Framework for
 * Rapidly Instantiating BLAS Functionality", 2015): 24 accumulators + 4 B vectors + 1 broadcast
 * fit the 32 zmm registers of AVX-512, and 24 independent FMAs per step hide the FMA latency
 * (4 cycles × 2 ports needs at least 8 chains). C2 compiles the loop to 4 loads, 6 memory
 * broadcasts and 24 vfmadd231ps with the bounds checks hoisted out.
 *
 * <p>B is always a packed panel stored k-major ({@code bp[p*NR + j]}, see {@link GemmPacking}).
 * A comes in two forms, one method each, because the strides must be compile-time constants
 * for C2 to hoist the bounds checks (a variable stride costs a third of the speed): six rows of
 * a row-major A used in place, or a block of a transposed A copied row by row
 * ({@code ap[p*A_STRIDE + i]}). The two bodies are identical apart from that index; they are
 * written out rather than shared because a helper taking the 24 accumulators would not be
 * inlined, and a call that is not inlined boxes every vector. There is deliberately no third
 * body for the short last panel of rows: it is copied into six zero-padded rows and runs
 * through the rows kernel (see {@link PackedGemm}), because a kernel called only for edges is
 * called too rarely to be compiled by C2 early, and until then each call runs many times slower
 * in C1's profiling code: on 512³ that slowed whole seconds of products after warm-up.
 *
 * <p>The 512-bit kernels store each row of the tile by the cache lines it spans: given how far
 * past a line C's rows start ({@code shift} floats, see {@link PackedGemm#lineShift}), the four
 * accumulators of a row are permuted into the three whole lines inside the row and the two
 * partial ones at its ends (masked stores). Stored as they lie, all four vectors of such a row
 * straddle two lines, and each straddling access costs two. There is one store sequence for
 * every shift, shift 0 included (its fifth line is empty), rather than a second epilogue beside
 * it: with both, C1 could not compile the kernels (out of virtual registers), so they ran
 * interpreted until C2 was done with them. The values stored are the same sums either way.
 */
final class GemmMicroKernel {
  static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
  /**
   * Whether this machine's vectors are 512 bits wide: then the 6×64 tile below runs; narrower
   * vectors (AVX2, NEON) use {@link NativeWidthKernel}'s 4 × two-vector tile, because the Vector
   * API emulates a 512-bit species on them at a small fraction of the speed.
   */
  static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
  /** Rows of the tile in use: 6 for the 512-bit tile, {@link NativeWidthKernel#MR} otherwise. */
  static final int MR = WIDE ? 6 : NativeWidthKernel.MR;
  /** Columns of the 512-bit tile: four vectors of 16 floats. */
  static final int WIDE_NR = 64;
  /** Columns of the tile in use; packed B panels are this wide. */
  static final int NR = WIDE ? WIDE_NR : NativeWidthKernel.NR;
  /** 0, 1, ..., 15: lane numbers, for the line-aligned store of a C tile. */
  private static final FloatVector IOTA =
      FloatVector.fromArray(S, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 0);
  /** Row stride, in floats, of a transposed-A block for {@link #kernelStrided}. */
  static final int A_STRIDE = 400;

  private GemmMicroKernel() {}

  /**
   * C[0..MR)[0..NR) (row stride ldc, from ci) = (add ? C : 0) + A·Bp over kc steps, with A a
   * packed MR×kc panel at ap[ai..] and B a packed kc×NR panel at bp[bi..]. AVX2 tile only (the
   * 512-bit tile never packs A into panels).
   */
  static void kernel(
      int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
    NativeWidthKernel.kernel(kc, ap, ai, bp, bi, c, ci, ldc, add);
  }

  /**
   * As {@link #kernel} with A a transposed-A block: (i, p) at {@code ap[ai + p*A_STRIDE + i]}.
   * 512-bit tile only (the AVX2 tile always takes packed A).
   */
  static void kernelStrided(
      int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
    wideKernelStrided(kc, ap, ai, bp, bi, c, ci, ldc, add);
  }

  /**
   * As {@link #kernel} with A six rows of a row-major A in place: (i, p) at
   * {@code a[ai + i*lda + p]}, and C's rows starting shift floats (0..15) past a cache line; c
   * must hold the lines around the tile, from ci - shift to ci - shift + 5·ldc + 80. 512-bit
   * tile only (the AVX2 tile always takes packed A). Adding to C and overwriting it are two
   * methods, so that neither is compiled with the other's branch made a trap (C2 compiles from
   * the calls it has seen; a kernel first compiled on products of one k block never saw add).
   */
  static void kernelRows(
      int kc, float[] a, int ai, int lda, float[] bp, int bi,
      float[] c, int ci, int ldc, boolean add, int shift) {
    if (add) {
      wideKernelRowsAdd(kc, a, ai, lda, bp, bi, c, ci, ldc, shift);
    } else {
      wideKernelRowsSet(kc, a, ai, lda, bp, bi, c, ci, ldc, shift);
    }
  }

  /**
   * C[0..6)[0..64) (row stride ldc, from ci) = (add ? C : 0) + A·Bp over kc steps, with B a
   * packed kc×NR panel at bp[bi..] and A a block of a transposed A copied row by row: element (i, p) at
   * {@code ap[ai + p*A_STRIDE + i]}. Copying whole rows is several times cheaper than
   * interleaving them into MR-wide panels, and the stride is a constant so that C2 can still
   * hoist the bounds checks. A_STRIDE is 25 cache lines, odd, so the kc rows a panel touches
   * spread over all L1 sets instead of piling into a few.
   */
  private static void wideKernelStrided(
      int kc, float[] ap, int ai, float[] bp, int bi, float[] c, int ci, int ldc, boolean add) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
    FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
    FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (int p = 0; p < kc; p++) {
      int b = bi + p * WIDE_NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, b);
      FloatVector b1 = FloatVector.fromArray(S, bp, b + 16);
      FloatVector b2 = FloatVector.fromArray(S, bp, b + 32);
      FloatVector b3 = FloatVector.fromArray(S, bp, b + 48);
      FloatVector av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      c03 = b3.fma(av, c03);
      av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE + 1]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      c13 = b3.fma(av, c13);
      av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE + 2]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      c23 = b3.fma(av, c23);
      av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE + 3]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      c33 = b3.fma(av, c33);
      av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE + 4]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      c43 = b3.fma(av, c43);
      av = FloatVector.broadcast(S, ap[ai + p * A_STRIDE + 5]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      c53 = b3.fma(av, c53);
    }
    // Written out by hand: a helper taking four vectors is not inlined by C2 past its node
    // budget, and a call that is not inlined boxes every vector (30x slower).
    if (add) {
      c00 = c00.add(FloatVector.fromArray(S, c, ci));
      c01 = c01.add(FloatVector.fromArray(S, c, ci + 16));
      c02 = c02.add(FloatVector.fromArray(S, c, ci + 32));
      c03 = c03.add(FloatVector.fromArray(S, c, ci + 48));
      c10 = c10.add(FloatVector.fromArray(S, c, ci + ldc));
      c11 = c11.add(FloatVector.fromArray(S, c, ci + ldc + 16));
      c12 = c12.add(FloatVector.fromArray(S, c, ci + ldc + 32));
      c13 = c13.add(FloatVector.fromArray(S, c, ci + ldc + 48));
      c20 = c20.add(FloatVector.fromArray(S, c, ci + 2 * ldc));
      c21 = c21.add(FloatVector.fromArray(S, c, ci + 2 * ldc + 16));
      c22 = c22.add(FloatVector.fromArray(S, c, ci + 2 * ldc + 32));
      c23 = c23.add(FloatVector.fromArray(S, c, ci + 2 * ldc + 48));
      c30 = c30.add(FloatVector.fromArray(S, c, ci + 3 * ldc));
      c31 = c31.add(FloatVector.fromArray(S, c, ci + 3 * ldc + 16));
      c32 = c32.add(FloatVector.fromArray(S, c, ci + 3 * ldc + 32));
      c33 = c33.add(FloatVector.fromArray(S, c, ci + 3 * ldc + 48));
      c40 = c40.add(FloatVector.fromArray(S, c, ci + 4 * ldc));
      c41 = c41.add(FloatVector.fromArray(S, c, ci + 4 * ldc + 16));
      c42 = c42.add(FloatVector.fromArray(S, c, ci + 4 * ldc + 32));
      c43 = c43.add(FloatVector.fromArray(S, c, ci + 4 * ldc + 48));
      c50 = c50.add(FloatVector.fromArray(S, c, ci + 5 * ldc));
      c51 = c51.add(FloatVector.fromArray(S, c, ci + 5 * ldc + 16));
      c52 = c52.add(FloatVector.fromArray(S, c, ci + 5 * ldc + 32));
      c53 = c53.add(FloatVector.fromArray(S, c, ci + 5 * ldc + 48));
    }
    c00.intoArray(c, ci);
    c01.intoArray(c, ci + 16);
    c02.intoArray(c, ci + 32);
    c03.intoArray(c, ci + 48);
    c10.intoArray(c, ci + ldc);
    c11.intoArray(c, ci + ldc + 16);
    c12.intoArray(c, ci + ldc + 32);
    c13.intoArray(c, ci + ldc + 48);
    c20.intoArray(c, ci + 2 * ldc);
    c21.intoArray(c, ci + 2 * ldc + 16);
    c22.intoArray(c, ci + 2 * ldc + 32);
    c23.intoArray(c, ci + 2 * ldc + 48);
    c30.intoArray(c, ci + 3 * ldc);
    c31.intoArray(c, ci + 3 * ldc + 16);
    c32.intoArray(c, ci + 3 * ldc + 32);
    c33.intoArray(c, ci + 3 * ldc + 48);
    c40.intoArray(c, ci + 4 * ldc);
    c41.intoArray(c, ci + 4 * ldc + 16);
    c42.intoArray(c, ci + 4 * ldc + 32);
    c43.intoArray(c, ci + 4 * ldc + 48);
    c50.intoArray(c, ci + 5 * ldc);
    c51.intoArray(c, ci + 5 * ldc + 16);
    c52.intoArray(c, ci + 5 * ldc + 32);
    c53.intoArray(c, ci + 5 * ldc + 48);
  }

  /**
   * C = A·Bp, C's old contents ignored; otherwise as {@link #wideKernelStrided} but A is six rows of a row-major matrix used in place: element (i, p) at
   * {@code a[ai + i*lda + p]}. No packing is needed for A: each row is read sequentially and the
   * six rows (6·kc floats) stay in L1 while the kernel sweeps across the B panels.
   */
  private static void wideKernelRowsSet(
      int kc, float[] a, int ai, int lda, float[] bp, int bi,
      float[] c, int ci, int ldc, int shift) {
    int a0 = ai, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
    FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
    FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (int p = 0; p < kc; p++) {
      int b = bi + p * WIDE_NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, b);
      FloatVector b1 = FloatVector.fromArray(S, bp, b + 16);
      FloatVector b2 = FloatVector.fromArray(S, bp, b + 32);
      FloatVector b3 = FloatVector.fromArray(S, bp, b + 48);
      FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      c03 = b3.fma(av, c03);
      av = FloatVector.broadcast(S, a[a1 + p]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      c13 = b3.fma(av, c13);
      av = FloatVector.broadcast(S, a[a2 + p]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      c23 = b3.fma(av, c23);
      av = FloatVector.broadcast(S, a[a3 + p]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      c33 = b3.fma(av, c33);
      av = FloatVector.broadcast(S, a[a4 + p]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      c43 = b3.fma(av, c43);
      av = FloatVector.broadcast(S, a[a5 + p]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      c53 = b3.fma(av, c53);
    }
    // No helper per row: a helper taking four vectors is not inlined by C2 past its node
    // budget, and a call that is not inlined boxes every vector (30x slower). Stored by whole
    // cache lines when C's rows start shift floats past one (see PackedGemm.lineShift): a row's
    // 64 floats then span five lines, the first from lane shift on and the last up to it; lane i
    // of w_j is column 16·j - shift + i, two accumulators' lanes joined by one permute. With
    // shift 0 the lines are the accumulators themselves and the fifth is empty.
    FloatVector to = IOTA.add((float) (16 - shift));
    VectorMask<Float> head = IOTA.compare(VectorOperators.GE, (float) shift), tail = head.not();
    for (int r = 0, q = ci - shift; r < 6; r++, q += ldc) {
      FloatVector w1 = to.selectFrom(c00, c01), w2 = to.selectFrom(c01, c02);
      FloatVector w3 = to.selectFrom(c02, c03), w4 = to.selectFrom(c03, c00);
      w4.intoArray(c, q, head);
      w1.intoArray(c, q + 16);
      w2.intoArray(c, q + 32);
      w3.intoArray(c, q + 48);
      w4.intoArray(c, q + 64, tail);
      // The next row's accumulators move up: one store sequence instead of six keeps the
      // method small enough for C1.
      c00 = c10; c01 = c11; c02 = c12; c03 = c13;
      c10 = c20; c11 = c21; c12 = c22; c13 = c23;
      c20 = c30; c21 = c31; c22 = c32; c23 = c33;
      c30 = c40; c31 = c41; c32 = c42; c33 = c43;
      c40 = c50; c41 = c51; c42 = c52; c43 = c53;
    }
  }

  /** C += A·Bp, otherwise as {@link #wideKernelRowsSet}. */
  private static void wideKernelRowsAdd(
      int kc, float[] a, int ai, int lda, float[] bp, int bi,
      float[] c, int ci, int ldc, int shift) {
    int a0 = ai, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
    FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
    FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
    for (int p = 0; p < kc; p++) {
      int b = bi + p * WIDE_NR;
      FloatVector b0 = FloatVector.fromArray(S, bp, b);
      FloatVector b1 = FloatVector.fromArray(S, bp, b + 16);
      FloatVector b2 = FloatVector.fromArray(S, bp, b + 32);
      FloatVector b3 = FloatVector.fromArray(S, bp, b + 48);
      FloatVector av = FloatVector.broadcast(S, a[a0 + p]);
      c00 = b0.fma(av, c00);
      c01 = b1.fma(av, c01);
      c02 = b2.fma(av, c02);
      c03 = b3.fma(av, c03);
      av = FloatVector.broadcast(S, a[a1 + p]);
      c10 = b0.fma(av, c10);
      c11 = b1.fma(av, c11);
      c12 = b2.fma(av, c12);
      c13 = b3.fma(av, c13);
      av = FloatVector.broadcast(S, a[a2 + p]);
      c20 = b0.fma(av, c20);
      c21 = b1.fma(av, c21);
      c22 = b2.fma(av, c22);
      c23 = b3.fma(av, c23);
      av = FloatVector.broadcast(S, a[a3 + p]);
      c30 = b0.fma(av, c30);
      c31 = b1.fma(av, c31);
      c32 = b2.fma(av, c32);
      c33 = b3.fma(av, c33);
      av = FloatVector.broadcast(S, a[a4 + p]);
      c40 = b0.fma(av, c40);
      c41 = b1.fma(av, c41);
      c42 = b2.fma(av, c42);
      c43 = b3.fma(av, c43);
      av = FloatVector.broadcast(S, a[a5 + p]);
      c50 = b0.fma(av, c50);
      c51 = b1.fma(av, c51);
      c52 = b2.fma(av, c52);
      c53 = b3.fma(av, c53);
    }
    // Stored by whole lines as in wideKernelRowsSet, each line added to C's first; the loop
    // above is that method's (a helper sharing it would box its 24 accumulators, see there).
    FloatVector to = IOTA.add((float) (16 - shift));
    VectorMask<Float> head = IOTA.compare(VectorOperators.GE, (float) shift), tail = head.not();
    for (int r = 0, q = ci - shift; r < 6; r++, q += ldc) {
      FloatVector w1 = to.selectFrom(c00, c01), w2 = to.selectFrom(c01, c02);
      FloatVector w3 = to.selectFrom(c02, c03), w4 = to.selectFrom(c03, c00);
      w1 = w1.add(FloatVector.fromArray(S, c, q + 16));
      w2 = w2.add(FloatVector.fromArray(S, c, q + 32));
      w3 = w3.add(FloatVector.fromArray(S, c, q + 48));
      w4 = w4.add(FloatVector.fromArray(S, c, q + 64).blend(FloatVector.fromArray(S, c, q), head));
      w4.intoArray(c, q, head);
      w1.intoArray(c, q + 16);
      w2.intoArray(c, q + 32);
      w3.intoArray(c, q + 48);
      w4.intoArray(c, q + 64, tail);
      // The next row's accumulators move up: one store sequence instead of six keeps the
      // method small enough for C1.
      c00 = c10; c01 = c11; c02 = c12; c03 = c13;
      c10 = c20; c11 = c21; c12 = c22; c13 = c23;
      c20 = c30; c21 = c31; c22 = c32; c23 = c33;
      c30 = c40; c31 = c41; c32 = c42; c33 = c43;
      c40 = c50; c41 = c51; c42 = c52; c43 = c53;
    }
  }
}
