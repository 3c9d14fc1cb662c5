package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertAllClose;
import static lmlab.tensor.OpAsserts.assertFixture;
import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class SoftmaxTest {
  /** softmax (or log_softmax) over the last dim of a 2-d view, in double. */
  static Tensor reference(Tensor x, boolean log) {
    int rows = x.size(0), n = x.size(1);
    Tensor out = Tensor.zeros(rows, n);
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) max = Math.max(max, x.get(r, i));
      double s = 0;
      for (int i = 0; i < n; i++) s += Math.exp(x.get(r, i) - max);
      for (int i = 0; i < n; i++) {
        double v = x.get(r, i) - max - Math.log(s);
        out.set((float) (log ? v : Math.exp(v)), r, i);
      }
    }
    return out;
  }

  @Test
  void matchesTheSoftmaxFixtures() {
    for (String name : new String[] {"op_softmax", "op_softmax_masked"}) {
      SafetensorsFile f = FixtureAssert.fixture(name);
      Tensor x = f.tensor("x").requiresGrad(true);
      assertFixture(f, x.softmax(-1), Map.of("x", x));
    }
  }

  @Test
  void matchesTheLogSoftmaxFixture() {
    SafetensorsFile f = FixtureAssert.fixture("op_log_softmax");
    Tensor x = f.tensor("x").requiresGrad(true);
    assertFixture(f, x.logSoftmax(2), Map.of("x", x));
  }

  @Test
  void everyDimMatchesTheReference() {
    Tensor x = param(1, 3, 4, 5);
    for (int d = 0; d < 3; d++) {
      Tensor moved = x.detach().transpose(d, 2).contiguous().reshape(-1, x.size(d));
      for (boolean log : new boolean[] {false, true}) {
        Tensor y = log ? x.logSoftmax(d) : x.softmax(d);
        Tensor back = y.transpose(d, 2).contiguous().reshape(-1, x.size(d));
        assertAllClose(back, reference(moved, log), 1e-5);
      }
    }
  }

  @Test
  void longRowsUseTheVectorAndParallelPathsAndStayStable() {
    Tensor x = param(2, 64, 1003);
    x.set(1e4f, 3, 7);
    x.set(-1e4f, 5, 9);
    assertAllClose(x.softmax(-1), reference(x, false), 1e-5);
    assertAllClose(x.logSoftmax(-1), reference(x, true), 1e-4);
    Tensor tail = param(3, 2, 7); // shorter than one vector
    assertAllClose(tail.softmax(1), reference(tail, false), 1e-6);
  }

  @Test
  void maskedEntriesGetZeroProbabilityAndZeroGradient() {
    float ninf = Float.NEGATIVE_INFINITY;
    Tensor x = Tensor.of(new float[] {1, ninf, 2, 0, ninf, ninf, 3, 1}, 2, 4).requiresGrad(true);
    Tensor y = x.softmax(-1);
    assertThat(y.get(0, 1)).isZero();
    assertThat(y.get(1, 0)).isZero();
    assertThat(y.get(1, 1)).isZero();
    y.backward(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 4));
    assertThat(x.grad().get(0, 1)).isZero();
    assertThat(x.grad().get(1, 0)).isZero();
    Tensor ls = x.detach().logSoftmax(-1);
    assertThat(ls.get(0, 1)).isEqualTo(ninf);
    assertThat(ls.get(1, 3)).isCloseTo((float) (1 - 3 - Math.log(1 + Math.exp(-2))), org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void anEntirelyMaskedRowIsAnError() {
    float ninf = Float.NEGATIVE_INFINITY;
    Tensor x = Tensor.of(new float[] {0, 1, ninf, ninf}, 2, 2);
    assertThatThrownBy(() -> x.softmax(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("softmax")
        .hasMessageContaining("row 1")
        .hasMessageContaining("-inf");
    assertThatThrownBy(() -> x.logSoftmax(-1)).hasMessageContaining("logSoftmax");
    assertThatThrownBy(() -> x.t().softmax(0)).hasMessageContaining("softmax");
  }

  @Test
  void gradientsOverSeveralDims() {
    assertGradients(t -> t[0].softmax(-1), param(10, 3, 5));
    assertGradients(t -> t[0].softmax(0), param(11, 3, 5));
    assertGradients(t -> t[0].softmax(1), param(12, 2, 3, 4));
    assertGradients(t -> t[0].logSoftmax(-1), param(13, 3, 5));
    assertGradients(t -> t[0].logSoftmax(0), param(14, 4, 3));
    assertGradients(t -> t[0].t().softmax(-1), param(15, 4, 3));
    assertGradients(t -> t[0].softmax(-1), param(16, 2, 21));
  }
}
