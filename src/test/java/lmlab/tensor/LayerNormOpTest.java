package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertAllClose;
import static lmlab.tensor.OpAsserts.assertFixture;
import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class LayerNormOpTest {
  /**
   * Layer norm (centered) or RMS norm of x (rows, d) in double: {y, dx, dweight, dbias} for the
   * upstream gradient g, by the textbook formulas.
   */
  static Tensor[] reference(Tensor x, Tensor w, Tensor b, Tensor g, double eps, boolean centered) {
    int rows = x.size(0), d = x.size(1);
    Tensor y = Tensor.zeros(rows, d), dx = Tensor.zeros(rows, d), dw = Tensor.zeros(d), db = Tensor.zeros(d);
    double[] dwAcc = new double[d], dbAcc = new double[d];
    for (int r = 0; r < rows; r++) {
      double mu = 0;
      if (centered) {
        for (int i = 0; i < d; i++) mu += x.get(r, i);
        mu /= d;
      }
      double var = 0;
      for (int i = 0; i < d; i++) var += (x.get(r, i) - mu) * (x.get(r, i) - mu);
      double rs = 1 / Math.sqrt(var / d + eps);
      double[] xh = new double[d], gh = new double[d];
      double mg = 0, mgx = 0;
      for (int i = 0; i < d; i++) {
        xh[i] = (x.get(r, i) - mu) * rs;
        gh[i] = g.get(r, i) * (w == null ? 1 : w.get(i));
        mg += gh[i] / d;
        mgx += gh[i] * xh[i] / d;
        y.set((float) (xh[i] * (w == null ? 1 : w.get(i)) + (b == null ? 0 : b.get(i))), r, i);
        dwAcc[i] += g.get(r, i) * xh[i];
        dbAcc[i] += g.get(r, i);
      }
      for (int i = 0; i < d; i++) dx.set((float) (rs * (gh[i] - (centered ? mg : 0) - xh[i] * mgx)), r, i);
    }
    for (int i = 0; i < d; i++) {
      dw.set((float) dwAcc[i], i);
      db.set((float) dbAcc[i], i);
    }
    return new Tensor[] {y, dx, dw, db};
  }

  @Test
  void layerNormMatchesTheFixture() {
    SafetensorsFile f = FixtureAssert.fixture("layernorm");
    Tensor x = f.tensor("x").requiresGrad(true);
    Tensor w = f.tensor("weight").requiresGrad(true);
    Tensor b = f.tensor("bias").requiresGrad(true);
    float eps = Float.parseFloat(f.metadata().get("eps"));
    assertFixture(f, x.layerNorm(w, b, eps), Map.of("x", x, "weight", w, "bias", b));
  }

  @Test
  void rmsNormMatchesTheFixture() {
    SafetensorsFile f = FixtureAssert.fixture("rmsnorm");
    Tensor x = f.tensor("x").requiresGrad(true);
    Tensor w = f.tensor("weight").requiresGrad(true);
    float eps = Float.parseFloat(f.metadata().get("eps"));
    assertFixture(f, x.rmsNorm(w, eps), Map.of("x", x, "weight", w));
  }

  @Test
  void manyWideRowsMatchTheReferenceOnTheParallelPath() {
    for (boolean centered : new boolean[] {true, false}) {
      Tensor x = param(1, 200, 131);
      Tensor w = param(2, 131);
      Tensor b = centered ? param(3, 131) : null;
      Tensor g = Tensor.randn(new Rng(4), 200, 131);
      Tensor y = centered ? x.layerNorm(w, b, 1e-5f) : x.rmsNorm(w, 1e-6f);
      y.backward(g);
      Tensor[] ref = reference(x.detach(), w.detach(), b == null ? null : b.detach(), g, centered ? 1e-5 : 1e-6, centered);
      assertAllClose(y, ref[0], 1e-5);
      assertAllClose(x.grad(), ref[1], 1e-4);
      assertAllClose(w.grad(), ref[2], 1e-4);
      if (b != null) assertAllClose(b.grad(), ref[3], 1e-4);
    }
  }

  @Test
  void gradients() {
    assertGradients(t -> t[0].layerNorm(t[1], t[2], 1e-5f), param(10, 3, 6), param(11, 6), param(12, 6));
    assertGradients(t -> t[0].layerNorm(null, null, 1e-5f), param(13, 2, 2, 5));
    assertGradients(t -> t[0].layerNorm(t[1], null, 1e-5f), param(14, 2, 19), param(15, 19));
    assertGradients(t -> t[0].t().layerNorm(t[1], t[2], 1e-5f), param(16, 5, 3), param(17, 5), param(18, 5));
    assertGradients(t -> t[0].rmsNorm(t[1], 1e-6f), param(19, 3, 6), param(20, 6));
    assertGradients(t -> t[0].rmsNorm(null, 1e-6f), param(21, 2, 18));
  }

  @Test
  void parameterShapeMismatchNamesBothShapes() {
    assertThatThrownBy(() -> Tensor.zeros(2, 8).layerNorm(Tensor.ones(6), null, 1e-5f))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("layerNorm")
        .hasMessageContaining("(6,)")
        .hasMessageContaining("(2, 8)");
    assertThatThrownBy(() -> Tensor.zeros(2, 8).rmsNorm(Tensor.ones(2, 8), 1e-6f)).hasMessageContaining("rmsNorm");
  }
}
