package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SplitKGemmTest {
  @Test
  void onlyTallKProductsAreSplitAndThePartCountDependsOnTheShapeAlone() {
    // weight gradients of the arithmetic GPT (3072 tokens) and chargpt (8192 tokens)
    assertThat(SplitKGemm.parts(128, 512, 3072)).isEqualTo(4);
    assertThat(SplitKGemm.parts(128, 128, 3072)).isEqualTo(4);
    assertThat(SplitKGemm.parts(576, 192, 8192)).isEqualTo(8);
    // square and wide products keep the tiled path
    assertThat(SplitKGemm.parts(1024, 1024, 1024)).isEqualTo(1);
    assertThat(SplitKGemm.parts(3072, 128, 128)).isEqualTo(1);
    assertThat(SplitKGemm.parts(512, 512, 512)).isEqualTo(1);
    assertThat(SplitKGemm.parts(768, 768, 8192)).isEqualTo(1); // C larger than 512×512
  }
}
