package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GradClipTest {
  @Test
  void scalesToTheMaxNormAndReturnsTheNormBefore() {
    Tensor a = Tensor.vector(0, 0).requiresGrad(true);
    Tensor b = Tensor.vector(0).requiresGrad(true);
    a.accumulateGrad(Tensor.vector(3, 0));
    b.accumulateGrad(Tensor.vector(4));
    double norm = GradClip.clip(List.of(a, b), 1.0);
    assertThat(norm).isCloseTo(5.0, within(1e-12));
    // scaled by 1 / (5 + 1e-6)
    assertThat(a.grad().toArray()[0]).isCloseTo((float) (3 / (5 + 1e-6)), within(1e-7f));
    assertThat(b.grad().toArray()[0]).isCloseTo((float) (4 / (5 + 1e-6)), within(1e-7f));
    assertThat(GradClip.gradNorm(List.of(a, b))).isCloseTo(1.0, within(1e-6));
  }

  @Test
  void belowTheMaxNormNothingChanges() {
    Tensor a = Tensor.vector(0, 0).requiresGrad(true);
    a.accumulateGrad(Tensor.vector(0.3f, 0.4f));
    assertThat(GradClip.clip(List.of(a), 1.0)).isCloseTo(0.5, within(1e-7));
    assertThat(a.grad().toArray()).containsExactly(0.3f, 0.4f);
  }

  @Test
  void parametersWithoutGradientCountAsZeroAndParameterNorm() {
    Tensor a = Tensor.vector(1, 2, 2).requiresGrad(true);
    assertThat(GradClip.gradNorm(List.of(a))).isZero();
    assertThat(GradClip.norm(List.of(a, Tensor.vector(4)))).isCloseTo(5.0, within(1e-12));
  }
}
