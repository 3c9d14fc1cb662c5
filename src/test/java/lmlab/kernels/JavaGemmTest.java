package lmlab.kernels;

/** The pure-Java backend against the shared GEMM contract. */
class JavaGemmTest extends GemmContractTest {
  @Override
  GemmBackend backend() {
    return JavaGemm.INSTANCE;
  }
}
