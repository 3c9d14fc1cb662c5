package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SgdTest {
  private static void grad(Tensor p, float... g) {
    p.clearGrad();
    p.accumulateGrad(Tensor.vector(g));
  }

  @Test
  void momentumByHand() {
    // p0 = [1, -2], lr 0.1, μ 0.9, λ 0.01
    Tensor p = Tensor.vector(1f, -2f).requiresGrad(true);
    Sgd sgd = new Sgd(Map.of("p", p), 0.1, 0.9, 0.01);
    // step 1: d = g + λp = [0.5 + 0.01, 1 - 0.02] = [0.51, 0.98]; b = d; p = p - 0.1 b = [0.949, -2.098]
    grad(p, 0.5f, 1f);
    sgd.step();
    assertThat(p.toArray()[0]).isCloseTo(0.949f, within(1e-6f));
    assertThat(p.toArray()[1]).isCloseTo(-2.098f, within(1e-6f));
    assertThat(sgd.momentumBuffer("p")[0]).isCloseTo(0.51f, within(1e-7f));
    // step 2: g = [-1, 0]; d = [-1 + 0.00949, -0.02098] = [-0.99051, -0.02098]
    // b = 0.9 [0.51, 0.98] + d = [-0.53151, 0.86102]; p = [0.949 + 0.053151, -2.098 - 0.086102]
    grad(p, -1f, 0f);
    sgd.step();
    assertThat(sgd.momentumBuffer("p")[0]).isCloseTo(-0.53151f, within(1e-6f));
    assertThat(sgd.momentumBuffer("p")[1]).isCloseTo(0.86102f, within(1e-6f));
    assertThat(p.toArray()[0]).isCloseTo(1.002151f, within(1e-6f));
    assertThat(p.toArray()[1]).isCloseTo(-2.184102f, within(1e-6f));
  }

  @Test
  void plainSgdWithoutMomentumKeepsNoBuffer() {
    Tensor p = Tensor.vector(2f).requiresGrad(true);
    Sgd sgd = new Sgd(Map.of("p", p), 0.5, 0, 0);
    grad(p, 1f);
    sgd.step();
    grad(p, 1f);
    sgd.step();
    assertThat(p.toArray()[0]).isEqualTo(1f);
    assertThat(sgd.momentumBuffer("p")).isNull();
    assertThat(sgd.stateTensors()).isEmpty();
  }

  @Test
  void vectorPathMatchesScalarFormula() {
    int n = 1000;
    float[] init = new float[n];
    float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      init[i] = (float) Math.sin(i);
      g[i] = (float) Math.cos(3 * i);
    }
    Tensor p = Tensor.of(init, n).requiresGrad(true);
    Sgd sgd = new Sgd(Map.of("p", p), 0.05, 0.8, 0.1);
    float[] ref = init.clone();
    float[] buf = new float[n];
    for (int t = 1; t <= 3; t++) {
      grad(p, g);
      sgd.step();
      for (int i = 0; i < n; i++) {
        float d = g[i] + 0.1f * ref[i];
        buf[i] = t == 1 ? d : 0.8f * buf[i] + d;
        ref[i] -= 0.05f * buf[i];
      }
    }
    float[] got = p.toArray();
    for (int i = 0; i < n; i++) assertThat(got[i]).isCloseTo(ref[i], within(1e-6f));
  }
}
