package lmlab.nn;

import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import lmlab.tensor.Rng;
import org.junit.jupiter.api.Test;

class FeedForwardTest {
  @Test
  void geluMlpWithBiasesMatchesTheFixture() {
    Mlp mlp = Mlp.withMultiplier(8, 4, Activation.GELU, true, new Rng(1));
    assertThat(mlp.stateDict().keySet())
        .containsExactly("up_proj.weight", "up_proj.bias", "down_proj.weight", "down_proj.bias");
    assertThat(mlp.hiddenDim()).isEqualTo(32);
    LayerFixtures.check(fixture("mlp_gelu"), mlp);
  }

  @Test
  void geluTanhMlpWithoutBiasesMatchesTheFixture() {
    Mlp mlp = new Mlp(8, 32, Activation.fromName("gelu_tanh"), false, new Rng(1));
    assertThat(mlp.stateDict().keySet()).containsExactly("up_proj.weight", "down_proj.weight");
    LayerFixtures.check(fixture("mlp_gelu_tanh"), mlp);
  }

  @Test
  void swigluMatchesTheFixture() {
    SwiGlu mlp = new SwiGlu(8, 12, false, new Rng(1));
    assertThat(mlp.stateDict().keySet()).containsExactly("gate_proj.weight", "up_proj.weight", "down_proj.weight");
    assertThat(mlp.dim()).isEqualTo(8);
    assertThat(mlp.hiddenDim()).isEqualTo(12);
    LayerFixtures.check(fixture("mlp_swiglu"), mlp);
  }

  @Test
  void parameterCountsFollowTheClosedForms() {
    int d = 16;
    assertThat(Mlp.withMultiplier(d, 4, Activation.GELU, true, new Rng(1)).numParameters())
        .isEqualTo(2L * 4 * d * d + 4 * d + d);
    assertThat(Mlp.withMultiplier(d, 4, Activation.GELU, false, new Rng(1)).numParameters()).isEqualTo(8L * d * d);
    assertThat(new SwiGlu(d, 24, false, new Rng(1)).numParameters()).isEqualTo(3L * d * 24);
  }
}
