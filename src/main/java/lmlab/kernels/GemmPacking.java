package lmlab.kernels;

import static lmlab.kernels.GemmMicroKernel.MR;
import static lmlab.kernels.GemmMicroKernel.NR;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packs blocks of op(A) and op(B) into the contiguous panel layout the micro-kernel streams
 * through (Goto &amp; van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS
 * 2008, section 5). Packing is also where the transposes are handled, so none is ever
 * materialised: B reaches the kernel as the same k-major panels whatever its layout, and A is
 * either read in place (row-major) or copied row by row (transposed).
 *
 * <p>Short panels at the edges are zero-padded to the full MR or NR width, so the kernel always
 * computes a whole tile; the caller drops the padded rows and columns when it writes C.
 */
final class GemmPacking {
  /** The micro-kernel's species: B panels are copied and transposed a vector at a time. */
  private static final VectorSpecies<Float> S =
      GemmMicroKernel.WIDE ? FloatVector.SPECIES_512 : NativeWidthKernel.S;
  /** Floats per vector. */
  private static final int L = S.length();

  private GemmPacking() {}

  /**
   * Packs rows [i0, i0+rows) and columns [p0, p0+kc) of a row-major A into ceil(rows/MR)
   * panels of MR×kc, each stored k-major: {@code ap[panel*MR*kc + p*MR + i]}. The 512-bit tile
   * needs this only for the short last panel of a tile (it reads full panels in place); the
   * AVX2 tile packs every panel.
   */
  static void packA(
      float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, float[] ap) {
    int o = 0;
    for (int ir = 0; ir < rows; ir += MR, o += MR * kc) {
      int mr = Math.min(MR, rows - ir);
      if (mr == MR) {
        // op(A)[i][p] = a[i*lda + p]: interleave the MR row streams, writing sequentially.
        int r0 = aOff + (i0 + ir) * lda + p0;
        for (int p = 0, d = o; p < kc; p++, d += MR) {
          for (int i = 0; i < MR; i++) ap[d + i] = a[r0 + i * lda + p];
        }
      } else {
        Arrays.fill(ap, o, o + MR * kc, 0f);
        for (int i = 0; i < mr; i++) {
          int src = aOff + (i0 + ir + i) * lda + p0;
          for (int p = 0; p < kc; p++) ap[o + p * MR + i] = a[src + p];
        }
      }
    }
  }

  /**
   * Copies rows [i0, i0+rows) and columns [p0, p0+kc) of a row-major A as they are, rows <= mr,
   * into mr rows of stride kc: ap[i*kc + p], rows past the edge zero. A short last panel, run
   * through the same rows kernel as every full panel.
   */
  static void copyRows(
      float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, int mr, float[] ap) {
    for (int i = 0; i < rows; i++) System.arraycopy(a, aOff + (i0 + i) * lda + p0, ap, i * kc, kc);
    Arrays.fill(ap, rows * kc, mr * kc, 0f);
  }

  /**
   * As {@link #packA} for a transposed A (op(A)[i][p] = a[p*lda + i]): each stored row p gives
   * MR contiguous floats to every panel. The rows are taken in blocks of {@link #ROW_BLOCK}: a
   * block's span of A stays in L1 while it is copied panel by panel, so each panel is written
   * sequentially and no large stride of A (a row of 8192 floats is 32 KiB) thrashes one cache
   * set. The short last panel is zero-padded.
   */
  static void packATransposed(
      float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, float[] ap) {
    int full = rows / MR;
    int tail = rows - full * MR;
    int panelSize = MR * kc;
    if (tail > 0) Arrays.fill(ap, full * panelSize, (full + 1) * panelSize, 0f);
    for (int pb = 0; pb < kc; pb += ROW_BLOCK) {
      int pe = Math.min(kc, pb + ROW_BLOCK);
      for (int q = 0; q <= full; q++) {
        int cols = q < full ? MR : tail;
        int src = aOff + (p0 + pb) * lda + i0 + q * MR;
        int d = q * panelSize + pb * MR;
        if (cols == 4 && MR == 4) {
          for (int p = pb; p < pe; p++, src += lda, d += MR) {
            FloatVector.fromArray(S4, a, src).intoArray(ap, d);
          }
        } else {
          for (int p = pb; p < pe; p++, src += lda, d += MR) {
            for (int i = 0; i < cols; i++) ap[d + i] = a[src + i];
          }
        }
      }
    }
  }

  /** Rows of a transposed A copied together by {@link #packATransposed}. */
  private static final int ROW_BLOCK = 16;
  /** Four floats: one row of a four-row panel. */
  private static final VectorSpecies<Float> S4 = FloatVector.SPECIES_128;

  /**
   * Copies rows [i0, i0+rows) and columns [p0, p0+kc) of op(A) for a transposed A, i.e. stored
   * rows p0.. of A, as they are: ap[p*A_STRIDE + i] (rows <= A_STRIDE - MR). The MR-rounded tail
   * of each row is zeroed. See {@link GemmMicroKernel#kernelStrided}.
   */
  static void copyTransposedA(
      float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, float[] ap) {
    int padded = (rows + MR - 1) / MR * MR;
    for (int p = 0; p < kc; p++) {
      int d = p * GemmMicroKernel.A_STRIDE;
      System.arraycopy(a, aOff + (p0 + p) * lda + i0, ap, d, rows);
      if (padded > rows) Arrays.fill(ap, d + rows, d + padded, 0f);
    }
  }

  /**
   * Packs rows [p0, p0+kc) and columns [j0, j0+cols) of op(B), cols <= NR, as one kc×NR panel
   * stored k-major at bp[o..]: {@code bp[o + p*NR + j]}.
   */
  static void packBPanel(
      boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int cols,
      float[] bp, int o) {
    if (!transB) {
      // op(B)[p][j] = b[p*ldb + j]: each p gives up to NR contiguous floats.
      int src = bOff + p0 * ldb + j0;
      if (cols == NR) {
        for (int p = 0; p < kc; p++, src += ldb, o += NR) {
          for (int v = 0; v < NR; v += L) FloatVector.fromArray(S, b, src + v).intoArray(bp, o + v);
        }
      } else {
        for (int p = 0; p < kc; p++, src += ldb, o += NR) {
          System.arraycopy(b, src, bp, o, cols);
          Arrays.fill(bp, o + cols, o + NR, 0f);
        }
      }
    } else {
      // op(B)[p][j] = b[j*ldb + p]: a transpose. With 16-lane vectors, 16×16 blocks: 16 stored
      // rows loaded as vectors, then four rounds of zipping pairs (row i with row i+8, two-vector
      // selectFrom = vpermi2ps) leave the transposed block in 16 registers. It replaced a
      // vgatherdps per panel row, which was slower per float and whose index bounds check C2
      // sometimes left as scalar code, so that packing took longer than the multiply (NT
      // products at a third of NN's speed). Edges take the scalar loop, in blocks of T_BLOCK
      // values of p: each stored row read a cache line at a time. Narrower vectors (AVX2)
      // keep the gather, not measured against a transpose on such a machine.
      if (cols < NR) Arrays.fill(bp, o, o + NR * kc, 0f);
      if (L != 16) {
        gatherTransposed(b, bOff, ldb, p0, kc, j0, cols, bp, o);
        return;
      }
      int groups = cols / 16;
      int pv = kc / 16 * 16;
      for (int g = 0; g < groups * 16; g += 16) {
        for (int pb = 0; pb < pv; pb += 16) {
          int src = bOff + (j0 + g) * ldb + p0 + pb;
          int d = o + pb * NR + g;
          transpose16(b, src, ldb, bp, d);
        }
      }
      for (int pb = 0; pb < kc; pb += T_BLOCK) {
        int pe = Math.min(kc, pb + T_BLOCK);
        // Columns the 16×16 blocks covered for these p are skipped.
        int jFrom = pb + T_BLOCK <= pv ? groups * 16 : 0;
        for (int j = jFrom; j < cols; j++) {
          int src = bOff + (j0 + j) * ldb + p0;
          for (int p = pb; p < pe; p++) bp[o + p * NR + j] = b[src + p];
        }
      }
    }
  }

  /**
   * Stored rows src, src+ldb, .. (16 of them, 16 floats each) into the panel rows d, d+NR, ..
   * transposed. A method of its own so that the packing loop around it stays small enough for C2
   * to compile with every vector operation intrinsified.
   */
  private static void transpose16(float[] b, int src, int ldb, float[] bp, int d) {
    FloatVector r0 = FloatVector.fromArray(S, b, src);
    FloatVector r1 = FloatVector.fromArray(S, b, src + 1 * ldb);
    FloatVector r2 = FloatVector.fromArray(S, b, src + 2 * ldb);
    FloatVector r3 = FloatVector.fromArray(S, b, src + 3 * ldb);
    FloatVector r4 = FloatVector.fromArray(S, b, src + 4 * ldb);
    FloatVector r5 = FloatVector.fromArray(S, b, src + 5 * ldb);
    FloatVector r6 = FloatVector.fromArray(S, b, src + 6 * ldb);
    FloatVector r7 = FloatVector.fromArray(S, b, src + 7 * ldb);
    FloatVector r8 = FloatVector.fromArray(S, b, src + 8 * ldb);
    FloatVector r9 = FloatVector.fromArray(S, b, src + 9 * ldb);
    FloatVector r10 = FloatVector.fromArray(S, b, src + 10 * ldb);
    FloatVector r11 = FloatVector.fromArray(S, b, src + 11 * ldb);
    FloatVector r12 = FloatVector.fromArray(S, b, src + 12 * ldb);
    FloatVector r13 = FloatVector.fromArray(S, b, src + 13 * ldb);
    FloatVector r14 = FloatVector.fromArray(S, b, src + 14 * ldb);
    FloatVector r15 = FloatVector.fromArray(S, b, src + 15 * ldb);
    FloatVector s0 = ZIP_LO.selectFrom(r0, r8), s1 = ZIP_HI.selectFrom(r0, r8);
    FloatVector s2 = ZIP_LO.selectFrom(r1, r9), s3 = ZIP_HI.selectFrom(r1, r9);
    FloatVector s4 = ZIP_LO.selectFrom(r2, r10), s5 = ZIP_HI.selectFrom(r2, r10);
    FloatVector s6 = ZIP_LO.selectFrom(r3, r11), s7 = ZIP_HI.selectFrom(r3, r11);
    FloatVector s8 = ZIP_LO.selectFrom(r4, r12), s9 = ZIP_HI.selectFrom(r4, r12);
    FloatVector s10 = ZIP_LO.selectFrom(r5, r13), s11 = ZIP_HI.selectFrom(r5, r13);
    FloatVector s12 = ZIP_LO.selectFrom(r6, r14), s13 = ZIP_HI.selectFrom(r6, r14);
    FloatVector s14 = ZIP_LO.selectFrom(r7, r15), s15 = ZIP_HI.selectFrom(r7, r15);
    FloatVector t0 = ZIP_LO.selectFrom(s0, s8), t1 = ZIP_HI.selectFrom(s0, s8);
    FloatVector t2 = ZIP_LO.selectFrom(s1, s9), t3 = ZIP_HI.selectFrom(s1, s9);
    FloatVector t4 = ZIP_LO.selectFrom(s2, s10), t5 = ZIP_HI.selectFrom(s2, s10);
    FloatVector t6 = ZIP_LO.selectFrom(s3, s11), t7 = ZIP_HI.selectFrom(s3, s11);
    FloatVector t8 = ZIP_LO.selectFrom(s4, s12), t9 = ZIP_HI.selectFrom(s4, s12);
    FloatVector t10 = ZIP_LO.selectFrom(s5, s13), t11 = ZIP_HI.selectFrom(s5, s13);
    FloatVector t12 = ZIP_LO.selectFrom(s6, s14), t13 = ZIP_HI.selectFrom(s6, s14);
    FloatVector t14 = ZIP_LO.selectFrom(s7, s15), t15 = ZIP_HI.selectFrom(s7, s15);
    FloatVector u0 = ZIP_LO.selectFrom(t0, t8), u1 = ZIP_HI.selectFrom(t0, t8);
    FloatVector u2 = ZIP_LO.selectFrom(t1, t9), u3 = ZIP_HI.selectFrom(t1, t9);
    FloatVector u4 = ZIP_LO.selectFrom(t2, t10), u5 = ZIP_HI.selectFrom(t2, t10);
    FloatVector u6 = ZIP_LO.selectFrom(t3, t11), u7 = ZIP_HI.selectFrom(t3, t11);
    FloatVector u8 = ZIP_LO.selectFrom(t4, t12), u9 = ZIP_HI.selectFrom(t4, t12);
    FloatVector u10 = ZIP_LO.selectFrom(t5, t13), u11 = ZIP_HI.selectFrom(t5, t13);
    FloatVector u12 = ZIP_LO.selectFrom(t6, t14), u13 = ZIP_HI.selectFrom(t6, t14);
    FloatVector u14 = ZIP_LO.selectFrom(t7, t15), u15 = ZIP_HI.selectFrom(t7, t15);
    FloatVector w0 = ZIP_LO.selectFrom(u0, u8), w1 = ZIP_HI.selectFrom(u0, u8);
    FloatVector w2 = ZIP_LO.selectFrom(u1, u9), w3 = ZIP_HI.selectFrom(u1, u9);
    FloatVector w4 = ZIP_LO.selectFrom(u2, u10), w5 = ZIP_HI.selectFrom(u2, u10);
    FloatVector w6 = ZIP_LO.selectFrom(u3, u11), w7 = ZIP_HI.selectFrom(u3, u11);
    FloatVector w8 = ZIP_LO.selectFrom(u4, u12), w9 = ZIP_HI.selectFrom(u4, u12);
    FloatVector w10 = ZIP_LO.selectFrom(u5, u13), w11 = ZIP_HI.selectFrom(u5, u13);
    FloatVector w12 = ZIP_LO.selectFrom(u6, u14), w13 = ZIP_HI.selectFrom(u6, u14);
    FloatVector w14 = ZIP_LO.selectFrom(u7, u15), w15 = ZIP_HI.selectFrom(u7, u15);
    w0.intoArray(bp, d + 0 * NR);
    w1.intoArray(bp, d + 1 * NR);
    w2.intoArray(bp, d + 2 * NR);
    w3.intoArray(bp, d + 3 * NR);
    w4.intoArray(bp, d + 4 * NR);
    w5.intoArray(bp, d + 5 * NR);
    w6.intoArray(bp, d + 6 * NR);
    w7.intoArray(bp, d + 7 * NR);
    w8.intoArray(bp, d + 8 * NR);
    w9.intoArray(bp, d + 9 * NR);
    w10.intoArray(bp, d + 10 * NR);
    w11.intoArray(bp, d + 11 * NR);
    w12.intoArray(bp, d + 12 * NR);
    w13.intoArray(bp, d + 13 * NR);
    w14.intoArray(bp, d + 14 * NR);
    w15.intoArray(bp, d + 15 * NR);
  }

  /** The transpose with a vgatherdps per panel row: column p of L stored rows at once. */
  private static void gatherTransposed(
      float[] b, int bOff, int ldb, int p0, int kc, int j0, int cols, float[] bp, int o) {
    int groups = cols / L;
    int[] rows = rowOffsets(ldb);
    for (int g = 0; g < groups; g++) {
      int src = bOff + (j0 + g * L) * ldb + p0;
      int dst = o + g * L;
      for (int p = 0; p < kc; p++, dst += NR) {
        FloatVector.fromArray(S, b, src + p, rows, 0).intoArray(bp, dst);
      }
    }
    for (int j = groups * L; j < cols; j++) {
      int src = bOff + (j0 + j) * ldb + p0;
      int dst = o + j;
      for (int p = 0; p < kc; p++, dst += NR) bp[dst] = b[src + p];
    }
  }

  /** {0, ld, 2·ld, ...}: the gather index map, cached per thread for the last ld seen. */
  private static int[] rowOffsets(int ld) {
    int[] r = ROW_OFFSETS.get();
    if (r[1] != ld) {
      for (int i = 0; i < L; i++) r[i] = i * ld;
    }
    return r;
  }

  private static final ThreadLocal<int[]> ROW_OFFSETS = ThreadLocal.withInitial(() -> new int[L]);

  /** Zip index vectors: the low (ZIP_LO) or high (ZIP_HI) halves of a and b, interleaved. */
  private static final FloatVector ZIP_LO = zipIndex(0), ZIP_HI = zipIndex(L / 2);

  private static FloatVector zipIndex(int from) {
    float[] idx = new float[L];
    for (int i = 0; i < L; i++) idx[i] = i % 2 == 0 ? from + i / 2 : L + from + i / 2;
    return FloatVector.fromArray(S, idx, 0);
  }

  /** Values of p transposed together by {@link #packBPanel}: one cache line of a stored row. */
  private static final int T_BLOCK = 16;
}
