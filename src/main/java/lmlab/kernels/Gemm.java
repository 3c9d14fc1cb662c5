package lmlab.kernels;

/**
 * Single-precision matrix multiply, row-major, BLAS-style: C = op(A)·op(B) (+ C when accumulate).
 *
 * <p>op(A) is m×k: when transA is false A is stored m×k with row stride lda, when true it is
 * stored k×m (so A^T is used without materialising it). Likewise op(B) is k×n. C is m×n with row
 * stride ldc.
 *
 * <p>This is the entry point every layer uses; the backend behind it is chosen here.
 */
public final class Gemm {
  private Gemm() {}

  public static void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    if (m == 0 || n == 0) return;
    Parallel.forRange(m, Math.max(1, 4096 / Math.max(1, n * Math.max(1, k) / 64 + 1)), (from, to) -> {
      for (int i = from; i < to; i++) {
        int crow = cOff + i * ldc;
        if (!accumulate) java.util.Arrays.fill(c, crow, crow + n, 0f);
        for (int p = 0; p < k; p++) {
          float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          if (av == 0f) continue;
          if (!transB) {
            int brow = bOff + p * ldb;
            for (int j = 0; j < n; j++) c[crow + j] += av * b[brow + j];
          } else {
            for (int j = 0; j < n; j++) c[crow + j] += av * b[bOff + j * ldb + p];
          }
        }
      }
    });
  }

  /**
   * A batch of independent multiplies sharing m, n, k and layouts; matrix i of A starts at
   * aOffs[i], and so on (offsets may repeat, which is how broadcast batch dims are expressed).
   */
  public static void sgemmBatched(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb,
      float[] c, int[] cOffs, int ldc,
      boolean accumulate) {
    for (int i = 0; i < cOffs.length; i++) {
      sgemm(transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb, c, cOffs[i], ldc, accumulate);
    }
  }
}
