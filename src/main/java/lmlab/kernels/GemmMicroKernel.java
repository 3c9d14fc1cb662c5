package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
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
   * {@code a[ai + i*lda + p]}. 512-bit tile only (the AVX2 tile always takes packed A).
   */
  static void kernelRows(
      int kc, float[] a, int ai, int lda, float[] bp, int bi,
      float[] c, int ci, int ldc, boolean add) {
    wideKernelRows(kc, a, ai, lda, bp, bi, c, ci, ldc, add);
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
   * As {@link #wideKernelStrided} but A is six rows of a row-major matrix used in place: element (i, p) at
   * {@code a[ai + i*lda + p]}. No packing is needed for A: each row is read sequentially and the
   * six rows (6·kc floats) stay in L1 while the kernel sweeps across the B panels.
   */
  private static void wideKernelRows(
      int kc, float[] a, int ai, int lda, float[] bp, int bi,
      float[] c, int ci, int ldc, boolean add) {
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
}
