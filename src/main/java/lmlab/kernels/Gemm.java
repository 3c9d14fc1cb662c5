package lmlab.kernels;

/**
 * Single-precision matrix multiply, row-major, BLAS-style: C = op(A)·op(B) (+ C when accumulate).
 *
 * <p>op(A) is m×k: when transA is false A is stored m×k with row stride lda, when true it is
 * stored k×m (so A^T is used without materialising it). Likewise op(B) is k×n. C is m×n with row
 * stride ldc. When accumulate is false C is overwritten (its old contents, even NaN, are ignored).
 *
 * <p>This is the entry point every layer uses; the backend behind it is chosen here: the
 * pure-Java {@link JavaGemm} unless {@code LMLAB_BLAS} (or {@code -Dlmlab.blas}) names another,
 * or {@link #setBackend} / the CLI's {@code --blas} picks one.
 */
public final class Gemm {
  private static volatile GemmBackend backend;

  private Gemm() {}

  /**
   * The backend in use. The first call resolves {@code LMLAB_BLAS} / {@code lmlab.blas}
   * (default "java").
   *
   * @throws IllegalStateException when the configured backend cannot be loaded
   */
  public static GemmBackend backend() {
    GemmBackend b = backend;
    if (b != null) return b;
    synchronized (Gemm.class) {
      if (backend == null) backend = GemmBackend.named(configuredName());
      return backend;
    }
  }

  /** Uses {@code b} for every following call (not to be switched while kernels run). */
  public static void setBackend(GemmBackend b) {
    backend = java.util.Objects.requireNonNull(b, "backend");
  }

  /** Name from {@code LMLAB_BLAS}, then the system property {@code lmlab.blas}, else "java". */
  static String configuredName() {
    String env = System.getenv("LMLAB_BLAS");
    if (env != null && !env.isBlank()) return env;
    String prop = System.getProperty("lmlab.blas");
    return prop != null && !prop.isBlank() ? prop : "java";
  }

  public static void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate) {
    GemmArgs.check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    backend().sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  /**
   * A batch of independent multiplies sharing m, n, k and layouts; matrix i of A starts at
   * aOffs[i], and so on (offsets may repeat, which is how broadcast batch dims are expressed).
   * Repeated C offsets with accumulate sum the products into that C in batch order; distinct C
   * offsets must address disjoint matrices.
   */
  public static void sgemmBatched(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb,
      float[] c, int[] cOffs, int ldc,
      boolean accumulate) {
    GemmArgs.checkBatch(aOffs, bOffs, cOffs);
    for (int i = 0; i < cOffs.length; i++) {
      GemmArgs.check(transA, transB, m, n, k, a, aOffs[i], lda, b, bOffs[i], ldb, c, cOffs[i], ldc);
    }
    backend().sgemmBatched(
        transA, transB, m, n, k, a, aOffs, lda, b, bOffs, ldb, c, cOffs, ldc, accumulate);
  }
}
