package lmlab.kernels;

/**
 * Argument checks shared by the GEMM backends. The Java backend would fail on a bad index anyway,
 * but a native BLAS would silently read or write outside the array, so every call is checked
 * up front (O(1) per matrix).
 */
final class GemmArgs {
  private GemmArgs() {}

  static void check(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k);
    }
    if (m == 0 || n == 0) return;
    checkMatrix("C", c, cOff, ldc, m, n);
    if (k == 0) return;
    // Stored shape of A is m×k, or k×m when transposed; likewise B.
    checkMatrix("A", a, aOff, lda, transA ? k : m, transA ? m : k);
    checkMatrix("B", b, bOff, ldb, transB ? n : k, transB ? k : n);
  }

  static void checkBatch(int[] aOffs, int[] bOffs, int[] cOffs) {
    if (aOffs.length != cOffs.length || bOffs.length != cOffs.length) {
      throw new IllegalArgumentException(
          "sgemmBatched: offset arrays differ in length: A " + aOffs.length + ", B "
              + bOffs.length + ", C " + cOffs.length);
    }
  }

  /** A rows×cols matrix at off with row stride ld must lie inside the array. */
  static void checkMatrix(String name, float[] x, int off, int ld, int rows, int cols) {
    if (rows > 1 && ld < cols) {
      throw new IllegalArgumentException(
          "sgemm: ld" + name.toLowerCase(java.util.Locale.ROOT) + "=" + ld + " is less than the "
              + cols + " columns of " + name);
    }
    long last = (long) off + (long) (rows - 1) * ld + cols; // one past the last element
    if (off < 0 || last > x.length) {
      throw new IndexOutOfBoundsException(
          "sgemm: " + name + " (" + rows + "x" + cols + ", offset " + off + ", ld " + ld
              + ") does not fit its array of " + x.length + " floats");
    }
  }
}
