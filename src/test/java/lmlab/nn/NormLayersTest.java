package lmlab.nn;

import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jdk.incubator.vector.FloatVector;
import lmlab.io.SafetensorsFile;
import lmlab.kernels.Lanes;
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

  /**
   * The decoding step of LayerNorm gives the bits of its scalar twin, lanes summed in
   * {@link Lanes#sum}'s tree order, in every JIT tier: run often enough for C2 to compile it, so a
   * reduction whose order depends on the tier ({@code reduceLanes}) fails here, not as a rare
   * last-bit mismatch between a split and an unsplit step.
   */
  @Test
  void layerNormStepHasTheSameBitsInEveryTier() {
    int l = FloatVector.SPECIES_PREFERRED.length();
    Rng rng = new Rng(11);
    for (int d : new int[] {l * 3, l * 4 + 3, 5}) {
      LayerNorm ln = new LayerNorm(d);
      ln.weight().copy_(Tensor.randn(rng, d));
      ln.bias().copy_(Tensor.randn(rng, d));
      float[] x = Tensor.randn(rng, 4, d).mul(3f).add(1.5f).toArray();
      float[] expected = new float[x.length];
      for (int r = 0; r < 4; r++) layerNormRow(x, r * d, d, ln.weight().toArray(), ln.bias().toArray(), l, expected);
      float[] y = new float[x.length];
      for (int round = 0; round < 20_000; round++) {
        ln.step(x, y, 4, false, new Workspace());
        if (round % 1000 == 0 || round == 19_999) assertThat(y).as("d=%d, round %d", d, round).containsExactly(expected);
      }
    }
  }

  private static void layerNormRow(float[] x, int o, int d, float[] w, float[] b, int l, float[] y) {
    int dv = d - d % l;
    float[] s = new float[l];
    for (int i = 0; i < dv; i++) s[i % l] += x[o + i];
    double sum = Lanes.treeSum(s);
    for (int i = dv; i < d; i++) sum += x[o + i];
    float mean = (float) (sum / d);
    float[] q = new float[l];
    for (int i = 0; i < dv; i++) q[i % l] = Math.fma(x[o + i] - mean, x[o + i] - mean, q[i % l]);
    double var = Lanes.treeSum(q);
    for (int i = dv; i < d; i++) var += (double) (x[o + i] - mean) * (x[o + i] - mean);
    float inv = (float) (1 / Math.sqrt(var / d + 1e-5f));
    for (int i = 0; i < d; i++) y[o + i] = (x[o + i] - mean) * inv * w[i] + b[i];
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
