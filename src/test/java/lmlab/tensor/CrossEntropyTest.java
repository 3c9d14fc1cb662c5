package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertAllClose;
import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class CrossEntropyTest {
  /** Per-row −log_softmax(x)[t] in double (0 for ignored rows), rows of the flattened logits. */
  static double[] rowLosses(Tensor logits, int[] targets, int ignore) {
    int c = logits.size(-1);
    Tensor x = logits.detach().reshape(-1, c);
    double[] out = new double[targets.length];
    for (int r = 0; r < targets.length; r++) {
      if (targets[r] == ignore) continue;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < c; i++) max = Math.max(max, x.get(r, i));
      double s = 0;
      for (int i = 0; i < c; i++) s += Math.exp(x.get(r, i) - max);
      out[r] = max + Math.log(s) - x.get(r, targets[r]);
    }
    return out;
  }

  @Test
  void matchesTheFixtureLossAndGradient() {
    SafetensorsFile f = FixtureAssert.fixture("op_cross_entropy");
    Tensor logits = f.tensor("logits").requiresGrad(true);
    Tensor loss = logits.crossEntropy(f.ints("targets"));
    FixtureAssert.assertMatchesFixture(f, "loss", loss);
    loss.backward();
    FixtureAssert.assertMatchesFixture(f, "grad.logits", logits.grad());
  }

  @Test
  void everyReductionWithAnIgnoredTargetMatchesTheReference() {
    Tensor logits = param(1, 2, 3, 5);
    int[] t = {4, -100, 0, 2, -100, 1};
    IntTensor targets = IntTensor.of(t, 2, 3);
    double[] rows = rowLosses(logits, t, -100);
    double sum = 0;
    for (double v : rows) sum += v;
    Tensor none = logits.crossEntropy(targets, -100, Reduction.NONE);
    assertThat(none.shape()).containsExactly(2, 3);
    float[] nv = none.toArray();
    for (int i = 0; i < t.length; i++) assertThat((double) nv[i]).isCloseTo(rows[i], org.assertj.core.data.Offset.offset(1e-5));
    assertThat((double) logits.crossEntropy(targets, -100, Reduction.SUM).item()).isCloseTo(sum, org.assertj.core.data.Offset.offset(1e-5));
    assertThat((double) Tensor.crossEntropy(logits, targets, -100, Reduction.MEAN).item())
        .as("mean over the 4 targets that are not ignored").isCloseTo(sum / 4, org.assertj.core.data.Offset.offset(1e-5));
  }

  @Test
  void wideRowsUseTheVectorAndParallelPaths() {
    Tensor logits = param(2, 40, 1001);
    int[] t = new int[40];
    for (int i = 0; i < t.length; i++) t[i] = (i * 97) % 1001;
    t[3] = 7;
    double[] rows = rowLosses(logits, t, 7);
    double sum = 0;
    for (double v : rows) sum += v;
    Tensor loss = logits.crossEntropy(IntTensor.vector(t), 7, Reduction.MEAN);
    assertThat((double) loss.item()).isCloseTo(sum / 39, org.assertj.core.data.Offset.offset(1e-4));
    loss.backward();
    Tensor expected = logits.detach().softmax(-1);
    for (int r = 0; r < 40; r++) {
      for (int i = 0; i < 1001; i++) {
        float e = r == 3 ? 0 : (expected.get(r, i) - (i == t[r] ? 1 : 0)) / 39f;
        expected.set(e, r, i);
      }
    }
    assertAllClose(logits.grad(), expected, 1e-6);
  }

  @Test
  void gradientsForEachReductionWithIgnoreIndex() {
    IntTensor t2 = IntTensor.vector(2, 0, -1, 4);
    assertGradients(t -> t[0].crossEntropy(t2, -1, Reduction.MEAN), param(10, 4, 5));
    assertGradients(t -> t[0].crossEntropy(t2, -1, Reduction.SUM), param(11, 4, 5));
    assertGradients(t -> t[0].crossEntropy(t2, -1, Reduction.NONE), param(12, 4, 5));
    IntTensor t3 = IntTensor.of(new int[] {1, 3, 3, 0, 2, 0}, 2, 3);
    assertGradients(t -> t[0].crossEntropy(t3, 0, Reduction.MEAN), param(13, 2, 3, 4));
    assertGradients(t -> t[0].transpose(0, 1).crossEntropy(t3, -100, Reduction.NONE), param(14, 3, 2, 4));
  }

  @Test
  void aTargetOutOfRangeIsNamedWithTheClassCount() {
    Tensor logits = Tensor.zeros(3, 7);
    assertThatThrownBy(() -> logits.crossEntropy(IntTensor.vector(1, 9, 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("crossEntropy")
        .hasMessageContaining("target 9")
        .hasMessageContaining("position 1")
        .hasMessageContaining("7 classes");
    assertThatThrownBy(() -> logits.crossEntropy(IntTensor.vector(1, -5, 2))).hasMessageContaining("target -5");
    assertThatThrownBy(() -> logits.crossEntropy(IntTensor.vector(1, 2)))
        .hasMessageContaining("(3, 7)")
        .hasMessageContaining("(2,)");
    assertThatThrownBy(() -> logits.crossEntropy(IntTensor.vector(-100, -100, -100)))
        .hasMessageContaining("ignore index");
  }
}
