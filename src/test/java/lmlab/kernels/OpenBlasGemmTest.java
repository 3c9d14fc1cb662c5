package lmlab.kernels;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/** The OpenBLAS backend against the shared GEMM contract, when the library is installed. */
class OpenBlasGemmTest extends GemmContractTest {
  private static OpenBlasGemm blas;

  @BeforeAll
  static void loadLibrary() {
    try {
      blas = OpenBlasGemm.load();
    } catch (IllegalStateException e) {
      String reason = "OpenBLAS tests skipped: " + e.getMessage();
      System.out.println(reason);
      Assumptions.abort(reason);
    }
  }

  @Override
  GemmBackend backend() {
    return blas;
  }
}
