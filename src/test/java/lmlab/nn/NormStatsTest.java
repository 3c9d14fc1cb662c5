package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NormStatsTest {
  @Test
  void batchLayerAndInstanceStatisticsMatchTheFixture() {
    SafetensorsFile f = fixture("norm_stats");
    Tensor x = f.tensor("x");
    NormStats.Stats batch = NormStats.batch(x);
    assertMatchesFixture(f, "batch_mean", batch.mean());
    assertMatchesFixture(f, "batch_var", batch.var());
    NormStats.Stats layer = NormStats.layer(x);
    assertMatchesFixture(f, "layer_mean", layer.mean());
    assertMatchesFixture(f, "layer_var", layer.var());
    NormStats.Stats instance = NormStats.instance(x);
    assertMatchesFixture(f, "instance_mean", instance.mean());
    assertMatchesFixture(f, "instance_var", instance.var());
  }

  @Test
  void needsThreeDimensions() {
    assertThatThrownBy(() -> NormStats.batch(Tensor.zeros(4, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(N, C, F)")
        .hasMessageContaining("(4, 2)");
  }
}
