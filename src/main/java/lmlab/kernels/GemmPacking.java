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
      // op(B)[p][j] = b[j*ldb + p]: a transpose. With 16-lane vectors, 16×16 blocks (Transpose16): 16 stored
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
          Transpose16.transposeBlock(b, src, ldb, bp, d, NR);
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


  /** Values of p transposed together by {@link #packBPanel}: one cache line of a stored row. */
  private static final int T_BLOCK = 16;
}
