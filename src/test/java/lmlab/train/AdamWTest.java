package lmlab.train;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdamWTest {
  @ParameterizedTest
  @ValueSource(strings = {"adamw_default", "adamw_betas_095"})
  void followsPyTorchForThreeSteps(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    Map<String, String> meta = f.metadata();
    Map<String, Tensor> params = new LinkedHashMap<>();
    for (String p : meta.get("params").split(",")) params.put(p, f.tensor("param." + p).requiresGrad(true));
    AdamW opt = new AdamW(params, Double.parseDouble(meta.get("lr")), Double.parseDouble(meta.get("beta1")),
        Double.parseDouble(meta.get("beta2")), Double.parseDouble(meta.get("eps")),
        Double.parseDouble(meta.get("weight_decay")));
    for (int t = 1; t <= 3; t++) {
      for (var e : params.entrySet()) {
        e.getValue().clearGrad();
        e.getValue().accumulateGrad(f.tensor("step" + t + ".grad." + e.getKey()));
      }
      opt.step();
      for (var e : params.entrySet()) {
        String p = e.getKey();
        int[] shape = e.getValue().shape();
        assertMatchesFixture(f, "step" + t + ".param." + p, e.getValue());
        assertMatchesFixture(f, "step" + t + ".exp_avg." + p, Tensor.of(opt.expAvg(p), shape));
        assertMatchesFixture(f, "step" + t + ".exp_avg_sq." + p, Tensor.of(opt.expAvgSq(p), shape));
      }
    }
    assertThat(opt.steps()).isEqualTo(3);
  }

  @Test
  void largeTensorsTakeTheVectorAndParallelPathsAlike() {
    // 200_003 elements: several parallel chunks and a scalar tail; compare with a scalar reference.
    int n = 200_003;
    Rng rng = new Rng(3);
    Tensor w = Tensor.randn(rng, n).requiresGrad(true);
    float[] p = w.toArray();
    float[] m = new float[n];
    float[] v = new float[n];
    AdamW opt = new AdamW(Map.of("w", w), 1e-2, 0.9, 0.99, 1e-8, 0.5);
    for (int t = 1; t <= 2; t++) {
      Tensor g = Tensor.randn(rng, n);
      w.clearGrad();
      w.accumulateGrad(g);
      opt.step();
      float[] gd = g.toArray();
      double bc1 = 1 - Math.pow(0.9, t), bc2 = 1 - Math.pow(0.99, t);
      for (int i = 0; i < n; i++) {
        p[i] *= (float) (1 - 1e-2 * 0.5);
        m[i] = 0.9f * m[i] + 0.1f * gd[i];
        v[i] = 0.99f * v[i] + (float) (1 - 0.99) * gd[i] * gd[i];
        p[i] -= (float) (1e-2 / bc1) * m[i] / ((float) Math.sqrt(v[i]) * (float) (1 / Math.sqrt(bc2)) + 1e-8f);
      }
    }
    float[] got = w.toArray();
    for (int i = 0; i < n; i++) assertThat(got[i]).as("element %d", i).isCloseTo(p[i], org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void parametersWithoutGradientAreLeftAlone() {
    Tensor a = Tensor.ones(3).requiresGrad(true);
    Tensor b = Tensor.ones(2).requiresGrad(true);
    AdamW opt = new AdamW(new LinkedHashMap<>(Map.of("a", a, "b", b)), 0.1, 1.0);
    a.accumulateGrad(Tensor.vector(1, 1, 1));
    opt.step();
    assertThat(b.toArray()).containsExactly(1f, 1f);
    assertThat(a.toArray()[0]).isLessThan(1f);
  }

  @Test
  void stateRoundTripsThroughSafetensors(@TempDir Path dir) throws IOException {
    Rng rng = new Rng(1);
    Tensor w = Tensor.randn(rng, 5, 3).requiresGrad(true);
    AdamW a = new AdamW(Map.of("layer.weight", w), 1e-3, 1.0);
    w.accumulateGrad(Tensor.randn(rng, 5, 3));
    a.step();
    a.save(dir.resolve("opt.safetensors"));
    Tensor w2 = w.copy().requiresGrad(true);
    AdamW b = new AdamW(Map.of("layer.weight", w2), 1e-3, 1.0);
    b.load(dir.resolve("opt.safetensors"));
    assertThat(b.steps()).isEqualTo(1);
    assertThat(b.expAvg("layer.weight")).containsExactly(a.expAvg("layer.weight"));
    assertThat(b.expAvgSq("layer.weight")).containsExactly(a.expAvgSq("layer.weight"));
    // a second step from the restored state equals the original's second step
    Tensor g = Tensor.randn(rng, 5, 3);
    w.zeroGrad();
    w.accumulateGrad(g);
    w2.accumulateGrad(g);
    a.step();
    b.step();
    assertThat(w2.toArray()).containsExactly(w.toArray());
  }

  @Test
  void loadingAnotherOptimizersStateIsAnErrorNamingIt(@TempDir Path dir) throws IOException {
    Tensor w = Tensor.ones(2).requiresGrad(true);
    new Sgd(Map.of("w", w), 0.1, 0.9, 0).save(dir.resolve("o.safetensors"));
    assertThatThrownBy(() -> new AdamW(Map.of("w", w), 1e-3, 0).load(dir.resolve("o.safetensors")))
        .hasMessageContaining("written by 'sgd', not 'adamw'");
    new AdamW(Map.of("w", w), 1e-3, 0).save(dir.resolve("a.safetensors"));
    Tensor other = Tensor.ones(3).requiresGrad(true);
    assertThatThrownBy(() -> new AdamW(Map.of("w", other), 1e-3, 0).load(dir.resolve("a.safetensors")))
        .hasMessageContaining("exp_avg.w").hasMessageContaining("(2,)");
  }
}
