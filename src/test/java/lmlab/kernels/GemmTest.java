package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The {@link Gemm} entry point: argument checks and backend selection. */
class GemmTest {
  @Test
  void defaultBackendIsJava() {
    if (System.getenv("LMLAB_BLAS") == null && System.getProperty("lmlab.blas") == null) {
      assertThat(Gemm.backend().name()).isEqualTo("java");
    }
  }

  @Test
  void multipliesThroughTheEntryPoint() {
    float[] a = {1, 2, 3, 4, 5, 6}; // 2×3
    float[] b = {7, 8, 9, 10, 11, 12}; // 3×2
    float[] c = new float[4];
    Gemm.sgemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false);
    assertThat(c).containsExactly(58, 64, 139, 154);
    Gemm.sgemm(true, true, 2, 2, 3, b, 0, 2, a, 0, 3, c, 0, 2, false); // (B^T A^T) = (AB)^T
    assertThat(c).containsExactly(58, 139, 64, 154);
  }

  @Test
  void rejectsMatricesOutsideTheirArrays() {
    float[] x = new float[6];
    assertThatThrownBy(() -> Gemm.sgemm(false, false, 2, 2, 3, x, 1, 3, x, 0, 2, new float[4], 0, 2, false))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("A (2x3, offset 1, ld 3)");
    assertThatThrownBy(() -> Gemm.sgemm(false, false, 2, 2, 3, x, 0, 2, x, 0, 2, new float[4], 0, 2, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lda=2");
    assertThatThrownBy(() -> Gemm.sgemm(false, false, -1, 2, 3, x, 0, 3, x, 0, 2, new float[4], 0, 2, false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Gemm.sgemmBatched(false, false, 1, 1, 1, x, new int[2], 1, x, new int[1], 1,
            x, new int[2], 1, false))
        .hasMessageContaining("differ in length");
  }

  @Test
  void unknownBackendNameIsAnError() {
    assertThatThrownBy(() -> GemmBackend.named("mkl"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'mkl'");
  }

  @Test
  void missingOpenBlasNamesThePathsTried() {
    if (OpenBlasGemm.isAvailable()) {
      assertThat(GemmBackend.named("openblas").name()).isEqualTo("openblas");
    } else {
      assertThatThrownBy(() -> GemmBackend.named("openblas"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("libopenblas.so.0");
    }
  }
}
