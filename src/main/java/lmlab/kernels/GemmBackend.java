package lmlab.kernels;

/**
 * An implementation of single-precision GEMM. {@link Gemm} forwards every call to the selected
 * backend; the pure-Java {@link JavaGemm} is the default and always available, {@link
 * OpenBlasGemm} calls a system OpenBLAS when asked for.
 *
 * <p>Both methods have exactly the semantics documented on {@link Gemm#sgemm} and {@link
 * Gemm#sgemmBatched}; arguments arrive already checked by {@link GemmArgs}.
 */
public interface GemmBackend {
  /** Short name used by {@code --blas} and {@code LMLAB_BLAS}: "java" or "openblas". */
  String name();

  void sgemm(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc,
      boolean accumulate);

  void sgemmBatched(
      boolean transA, boolean transB, int m, int n, int k,
      float[] a, int[] aOffs, int lda,
      float[] b, int[] bOffs, int ldb,
      float[] c, int[] cOffs, int ldc,
      boolean accumulate);

  /**
   * The backend called {@code name} (case-insensitive): "java", or "openblas" which loads the
   * library now and throws {@link IllegalStateException} naming the paths tried when it is not
   * installed.
   */
  static GemmBackend named(String name) {
    return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "java" -> JavaGemm.INSTANCE;
      case "openblas" -> OpenBlasGemm.load();
      default ->
          throw new IllegalArgumentException(
              "unknown BLAS backend '" + name + "' (expected java or openblas)");
    };
  }
}
