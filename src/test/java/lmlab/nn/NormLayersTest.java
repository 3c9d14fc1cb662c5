package lmlab.nn;

import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class NormLayersTest {
  @Test
  void layerNormMatchesTheFixture() {
    SafetensorsFile f = fixture("layernorm");
    LayerNorm ln = new LayerNorm(8);
    assertThat(ln.eps()).isEqualTo(1e-5f);
    assertThat(ln.stateDict().keySet()).containsExactly("weight", "bias");
    LayerFixtures.check(f, ln);
  }

  @Test
  void rmsNormMatchesTheFixture() {
    SafetensorsFile f = fixture("rmsnorm");
    RMSNorm n = new RMSNorm(8);
    assertThat(n.eps()).isEqualTo(1e-6f);
    assertThat(n.stateDict().keySet()).containsExactly("weight");
    LayerFixtures.check(f, n);
  }

  @Test
  void dytMatchesTheFixture() {
    SafetensorsFile f = fixture("dyt");
    DyT n = new DyT(8);
    assertThat(n.stateDict().keySet()).containsExactly("weight", "bias", "alpha");
    assertThat(n.alpha().shape()).containsExactly(1);
    LayerFixtures.check(f, n);
  }

  @Test
  void initialValuesFollowTheSpec() {
    DyT dyt = new DyT(4);
    assertThat(dyt.alpha().item()).isEqualTo(0.5f);
    assertThat(dyt.weight().toArray()).containsOnly(1f);
    assertThat(dyt.bias().toArray()).containsOnly(0f);
    assertThat(new DyT(4, 0.7, false).stateDict().keySet()).containsExactly("weight", "alpha");
    LayerNorm ln = new LayerNorm(4, 1e-5, false);
    assertThat(ln.stateDict().keySet()).containsExactly("weight");
    assertThat(ln.weight().toArray()).containsOnly(1f);
    assertThat(new LayerNorm(4).bias().toArray()).containsOnly(0f);
    assertThat(new RMSNorm(4).weight().toArray()).containsOnly(1f);
  }

  @Test
  void layerNormWithoutBiasIsTheNormalisedInputTimesWeight() {
    Tensor x = Tensor.randn(new Rng(3), 2, 5, 6);
    LayerNorm ln = new LayerNorm(6, 1e-5, false);
    Tensor mean = x.mean(-1, true);
    Tensor expected = x.sub(mean).div(x.var(new int[] {-1}, true).add(1e-5f).sqrt());
    FixtureAssert.assertClose("layernorm without bias", ln.forward(x), expected);
  }

  @Test
  void normFactoryBuildsEachKindAndRejectsUnknownOnes() {
    assertThat(Norm.create("layernorm", 4, 1e-5, true, 0.5)).isInstanceOf(LayerNorm.class);
    assertThat(Norm.create("rmsnorm", 4, 1e-6, false, 0.5)).isInstanceOf(RMSNorm.class);
    Norm dyt = Norm.create("dyt", 4, 0, true, 0.25);
    assertThat(dyt).isInstanceOf(DyT.class);
    assertThat(((DyT) dyt).alpha().item()).isEqualTo(0.25f);
    assertThat(Norm.defaultEps("layernorm")).isEqualTo(1e-5);
    assertThat(Norm.defaultEps("rmsnorm")).isEqualTo(1e-6);
    assertThatThrownBy(() -> Norm.create("batch", 4, 1e-5, true, 0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'batch'")
        .hasMessageContaining("layernorm, rmsnorm, dyt");
    assertThatThrownBy(() -> Norm.create("rmsnorm", 4, 1e-6, true, 0.5)).hasMessageContaining("no bias");
  }

  @Test
  void wrongWidthIsAClearError() {
    Tensor x = Tensor.zeros(2, 5);
    assertThatThrownBy(() -> new LayerNorm(4).forward(x)).hasMessageContaining("LayerNorm(4)").hasMessageContaining("(2, 5)");
    assertThatThrownBy(() -> new RMSNorm(4).forward(x)).hasMessageContaining("RMSNorm(4)");
    assertThatThrownBy(() -> new DyT(4).forward(x)).hasMessageContaining("DyT(4)");
  }
}
