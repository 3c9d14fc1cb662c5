package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Unpacked SGEMM for products too small to amortise packing (a few thousand multiply-adds, or
 * n too narrow for a 64-wide tile): row-by-row AXPY for op(B) = B and dot products for op(B) =
 * B^T, vectorised along the contiguous dimension.
 */
final class SmallGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private SmallGemm() {}

  static void multiply(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int crow = cOff + i * ldc;
      // op(A)[i][p] lives at aRow + p*aStep.
      int aRow = transA ? aOff + i : aOff + i * lda;
      int aStep = transA ? lda : 1;
      if (transB) {
        dotRow(n, k, a, aRow, aStep, b, bOff, ldb, c, crow, accumulate);
      } else {
        axpyRow(n, k, a, aRow, aStep, b, bOff, ldb, c, crow, accumulate);
      }
    }
  }

  /** C[i][:] (+)= sum_p op(A)[i][p] · B[p][:], B row-major so each p is one contiguous AXPY. */
  private static void axpyRow(
      int n, int k, float[] a, int aRow, int aStep, float[] b, int bOff, int ldb,
      float[] c, int crow, boolean accumulate) {
    if (!accumulate) java.util.Arrays.fill(c, crow, crow + n, 0f);
    int nv = n - n % L;
    for (int p = 0; p < k; p++) {
      float av = a[aRow + p * aStep];
      int brow = bOff + p * ldb;
      FloatVector avv = FloatVector.broadcast(S, av);
      int j = 0;
      for (; j < nv; j += L) {
        FloatVector.fromArray(S, b, brow + j)
            .fma(avv, FloatVector.fromArray(S, c, crow + j))
            .intoArray(c, crow + j);
      }
      // the tail fuses too, as the vector lanes do: a column then sums the same way whichever band
      // of columns it falls in, so splitting C's columns over threads cannot change a bit
      for (; j < n; j++) c[crow + j] = Math.fma(av, b[brow + j], c[crow + j]);
    }
  }

  /** C[i][j] (+)= op(A)[i][:] · B[j][:] (op(B) = B^T, so row j of B is column j of op(B)). */
  private static void dotRow(
      int n, int k, float[] a, int aRow, int aStep, float[] b, int bOff, int ldb,
      float[] c, int crow, boolean accumulate) {
    int kv = aStep == 1 ? k - k % L : 0; // vectorise only when the A row is contiguous too
    for (int j = 0; j < n; j++) {
      int brow = bOff + j * ldb;
      float s = 0f;
      int p = 0;
      if (kv > 0) {
        FloatVector acc = FloatVector.zero(S);
        for (; p < kv; p += L) {
          acc = FloatVector.fromArray(S, a, aRow + p).fma(FloatVector.fromArray(S, b, brow + p), acc);
        }
        s = Lanes.sum(acc);
      }
      for (; p < k; p++) s += a[aRow + p * aStep] * b[brow + p];
      c[crow + j] = accumulate ? c[crow + j] + s : s;
    }
  }
}
