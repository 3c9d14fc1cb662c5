package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.autograd.Autograd;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RhsLossTest {
  @ParameterizedTest
  @ValueSource(strings = {"mean", "sum", "none"})
  void matchesTheArithmeticLossFixture(String reduction) {
    SafetensorsFile f = FixtureAssert.fixture("arith_loss_" + reduction);
    assertThat(f.metadata().get("reduction")).isEqualTo(reduction);
    // the fixture's vocabulary is the lab's: p = q = 31, PAD last
    ArithmeticConfig c = ArithmeticConfig.builder().p(Integer.parseInt(f.metadata().get("p")))
        .q(Integer.parseInt(f.metadata().get("q"))).operator(f.metadata().get("operator")).build();
    ArithmeticVocab vocab = ArithmeticVocab.of(c);
    assertThat(vocab.size()).isEqualTo(Integer.parseInt(f.metadata().get("vocab_size")));
    assertThat(vocab.pad()).isEqualTo(Integer.parseInt(f.metadata().get("pad_id")));

    Tensor logits = f.tensor("logits").detach().requiresGrad(true);
    Reduction red = Reduction.valueOf(reduction.toUpperCase(java.util.Locale.ROOT));
    RhsLoss.Result r = RhsLoss.rhs(logits, f.ints("targets"), f.ints("eq_position"), f.ints("mask"), red);
    FixtureAssert.assertMatchesFixture(f, "loss", r.loss());
    assertThat(r.accuracy().shape()).isEqualTo(f.shape("accuracy"));
    assertThat(r.accuracy().toArray()).containsExactly(f.tensor("accuracy").toArray());
    if (red == Reduction.NONE) {
      r.loss().backward(f.tensor("grad_loss"));
    } else {
      r.loss().backward();
    }
    FixtureAssert.assertMatchesFixture(f, "grad.logits", logits.grad());
  }

  @Test
  void meanAveragesRowsNotPositionsAndSumAddsThem() {
    // row 0: RHS = {4, 5} (eq 3); row 1: RHS = {4} only, because position 5 is masked
    Tensor logits = Tensor.zeros(2, 6, 4);
    logits.set(2f, 0, 4, 1); // row 0, j 4: target 1 right
    logits.set(2f, 1, 4, 0); // row 1, j 4: target 2 wrong
    IntTensor y = IntTensor.of(new int[] {0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 2, 3}, 2, 6);
    IntTensor eq = IntTensor.vector(3, 3);
    IntTensor mask = IntTensor.of(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, 2, 6);
    RhsLoss.Result none = RhsLoss.rhs(logits, y, eq, mask, Reduction.NONE);
    double lse2 = Math.log(Math.exp(2) + 3); // row with one logit at 2
    double l0 = ((lse2 - 2) + Math.log(4)) / 2; // j 4 right, j 5 uniform
    double l1 = lse2 - 0; // target 2 has logit 0
    assertThat(none.loss().toArray()).containsExactly(new float[] {(float) l0, (float) l1}, org.assertj.core.data.Offset.offset(1e-6f));
    // row 0: argmax at j 5 is index 0 (all equal: the first), target 3 -> wrong
    assertThat(none.accuracy().toArray()).containsExactly(0f, 0f);
    RhsLoss.Result mean = RhsLoss.rhs(logits, y, eq, mask, Reduction.MEAN);
    assertThat((double) mean.loss().item()).isCloseTo((l0 + l1) / 2, org.assertj.core.data.Offset.offset(1e-6));
    RhsLoss.Result sum = RhsLoss.rhs(logits, y, eq, mask, Reduction.SUM);
    assertThat((double) sum.loss().item()).isCloseTo(l0 + l1, org.assertj.core.data.Offset.offset(1e-6));
    // positions before '=' never count: changing them changes nothing
    Tensor other = logits.copy();
    other.set(50f, 0, 1, 3);
    assertThat(RhsLoss.rhs(other, y, eq, mask, Reduction.NONE).loss().toArray()).containsExactly(none.loss().toArray());
  }

  @Test
  void accuracyNeedsEveryRhsPositionRight() {
    Tensor logits = Tensor.zeros(2, 6, 4);
    IntTensor y = IntTensor.of(new int[] {0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 1, 3}, 2, 6);
    logits.set(5f, 0, 4, 1);
    logits.set(5f, 0, 5, 3);
    logits.set(5f, 1, 4, 1);
    logits.set(5f, 1, 5, 2);
    logits.set(9f, 1, 0, 2); // a wrong prediction before '=' does not matter
    RhsLoss.Result r = RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(2, 6), Reduction.NONE);
    assertThat(r.accuracy().toArray()).containsExactly(1f, 0f);
    assertThat(RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(2, 6), Reduction.MEAN).accuracy().item()).isEqualTo(0.5f);
    assertThat(RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(2, 6), Reduction.SUM).accuracy().item()).isEqualTo(1f);
  }

  @Test
  void agreesWithTheEngineCrossEntropyAndItsGradients() {
    // RHS loss = weighted per-row cross-entropy; compare value and gradient with a reference
    // built from Tensor.crossEntropy(NONE) over the (B*S) rows.
    Rng rng = new Rng(3);
    int b = 7;
    int s = 8;
    int v = 11;
    Tensor x = Tensor.randn(rng, b, s, v).mul(2f);
    int[] y = new int[b * s];
    int[] m = new int[b * s];
    int[] eq = new int[b];
    for (int i = 0; i < b; i++) {
      eq[i] = i % 2 == 0 ? 3 : 5;
      for (int j = 0; j < s; j++) {
        y[i * s + j] = rng.nextInt(v);
        m[i * s + j] = (i % 2 == 0 && j >= 6) ? 0 : 1;
      }
    }
    for (Reduction red : Reduction.values()) {
      for (LossSpan span : LossSpan.values()) {
        Tensor a = x.detach().requiresGrad(true);
        Tensor ref = x.detach().requiresGrad(true);
        RhsLoss.Result got = RhsLoss.compute(span, a, IntTensor.of(y, b, s), IntTensor.of(eq, b), IntTensor.of(m, b, s), red);
        float[] w = new float[b * s];
        int[] tIgnore = y.clone();
        for (int i = 0; i < b; i++) {
          int n = 0;
          for (int j = 0; j < s; j++) if (selected(span, eq[i], m[i * s + j], j)) n++;
          for (int j = 0; j < s; j++) {
            if (selected(span, eq[i], m[i * s + j], j)) w[i * s + j] = 1f / n;
            else tIgnore[i * s + j] = -100;
          }
        }
        Tensor ce = ref.reshape(b * s, v).crossEntropy(IntTensor.of(tIgnore, b * s), -100, Reduction.NONE);
        Tensor rows = ce.mul(Tensor.of(w, b * s)).reshape(b, s).sum(1, false);
        Tensor expect = switch (red) {
          case MEAN -> rows.mean();
          case SUM -> rows.sum();
          case NONE -> rows;
        };
        FixtureAssert.assertClose(red + " " + span, got.loss(), expect, 1e-6, 1e-5);
        Tensor up = red == Reduction.NONE ? Tensor.randn(new Rng(9), b) : Tensor.scalar(1.7f);
        got.loss().backward(up);
        expect.backward(up);
        FixtureAssert.assertClose(red + " " + span + " grad", a.grad(), ref.grad(), 1e-6, 1e-5);
      }
    }
  }

  @Test
  void sequenceVariantCountsEveryUnmaskedPosition() {
    Tensor logits = Tensor.zeros(1, 4, 3);
    IntTensor y = IntTensor.of(new int[] {0, 1, 2, 2}, 1, 4);
    IntTensor mask = IntTensor.of(new int[] {1, 1, 1, 0}, 1, 4);
    RhsLoss.Result r = RhsLoss.sequence(logits, y, mask, Reduction.MEAN);
    assertThat((double) r.loss().item()).isCloseTo(Math.log(3), org.assertj.core.data.Offset.offset(1e-6));
    // uniform logits: argmax 0 is right only at j 0
    assertThat(r.accuracy().item()).isEqualTo(0f);
  }

  @Test
  void handlesNonContiguousLogitsAndRecordsNothingUnderNoGrad() {
    Rng rng = new Rng(5);
    Tensor base = Tensor.randn(rng, 6, 3, 5).requiresGrad(true); // (S, B, V) -> (B, S, V) view
    Tensor logits = base.transpose(0, 1);
    IntTensor y = IntTensor.of(new int[] {1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3}, 3, 6);
    IntTensor eq = IntTensor.vector(3, 2, 4);
    RhsLoss.Result r = RhsLoss.rhs(logits, y, eq, ones(3, 6), Reduction.MEAN);
    RhsLoss.Result c = RhsLoss.rhs(logits.copy(), y, eq, ones(3, 6), Reduction.MEAN);
    assertThat(r.loss().item()).isEqualTo(c.loss().item());
    r.loss().backward();
    assertThat(base.grad()).isNotNull();
    try (var g = Autograd.noGrad()) {
      assertThat(RhsLoss.rhs(logits, y, eq, ones(3, 6), Reduction.MEAN).loss().requiresGrad()).isFalse();
    }
  }

  @Test
  void rejectsRowsWithoutRhsAndBadShapes() {
    Tensor logits = Tensor.zeros(1, 6, 4);
    IntTensor y = IntTensor.of(new int[] {0, 0, 0, 0, 1, 3}, 1, 6);
    IntTensor mask = IntTensor.of(new int[] {1, 1, 1, 1, 0, 0}, 1, 6);
    assertThatThrownBy(() -> RhsLoss.rhs(logits, y, IntTensor.vector(3), mask, Reduction.MEAN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0").hasMessageContaining("0/0");
    assertThatThrownBy(() -> RhsLoss.rhs(Tensor.zeros(6, 4), y, IntTensor.vector(3), mask, Reduction.MEAN))
        .hasMessageContaining("(B, S, V)");
    assertThatThrownBy(() -> RhsLoss.rhs(logits, IntTensor.of(new int[5], 1, 5), IntTensor.vector(3), mask,
        Reduction.MEAN)).hasMessageContaining("targets");
    assertThatThrownBy(() -> RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(1, 6), Reduction.MEAN))
        .hasMessageContaining("eq_position");
    IntTensor bad = IntTensor.of(new int[] {0, 0, 0, 0, 9, 3}, 1, 6);
    assertThatThrownBy(() -> RhsLoss.rhs(logits, bad, IntTensor.vector(3), ones(1, 6), Reduction.MEAN))
        .hasMessageContaining("target 9").hasMessageContaining("4 classes");
  }

  @Test
  void nanLogitsGiveANanLossNotAnError() {
    Tensor logits = Tensor.zeros(2, 6, 4);
    logits.set(Float.NaN, 1, 5, 2);
    IntTensor y = IntTensor.of(new int[] {0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 1, 3}, 2, 6);
    RhsLoss.Result r = RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(2, 6), Reduction.NONE);
    assertThat(r.loss().get(0)).isCloseTo((float) Math.log(4), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(r.loss().get(1)).isNaN();
    assertThat(RhsLoss.rhs(logits, y, IntTensor.vector(3, 3), ones(2, 6), Reduction.MEAN).loss().item()).isNaN();
  }

  private static boolean selected(LossSpan span, int eq, int mask, int j) {
    return mask != 0 && (span == LossSpan.SEQUENCE || j > eq);
  }

  private static IntTensor ones(int b, int s) {
    int[] a = new int[b * s];
    java.util.Arrays.fill(a, 1);
    return IntTensor.of(a, b, s);
  }
}
