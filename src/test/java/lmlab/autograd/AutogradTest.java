package lmlab.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AutogradTest {
  @Test
  void gradientsAccumulateInLeavesAcrossBackwardCalls() {
    Tensor x = Tensor.vector(1, 2, 3).requiresGrad(true);
    x.add(x).sum().backward(); // d/dx sum(2x) = 2
    assertThat(x.grad().toArray()).containsExactly(2, 2, 2);
    x.sum().backward();
    assertThat(x.grad().toArray()).containsExactly(3, 3, 3);
    float[] before = x.grad().storage();
    x.zeroGrad();
    assertThat(x.grad().toArray()).containsExactly(0, 0, 0);
    x.sum().backward();
    assertThat(x.grad().storage()).as("zeroGrad keeps the buffer").isSameAs(before);
    assertThat(x.grad().toArray()).containsExactly(1, 1, 1);
  }

  @Test
  void broadcastGradientsAreSummedToTheInputShape() {
    Tensor a = Tensor.zeros(2, 3).requiresGrad(true);
    Tensor b = Tensor.zeros(3).requiresGrad(true);
    Tensor c = Tensor.zeros(2, 1).requiresGrad(true);
    a.add(b).add(c).sum().backward();
    assertThat(a.grad().toArray()).containsOnly(1f);
    assertThat(b.grad().toArray()).containsExactly(2, 2, 2);
    assertThat(c.grad().shape()).containsExactly(2, 1);
    assertThat(c.grad().toArray()).containsExactly(3, 3);
  }

  @Test
  void upstreamGradientFlowsThroughViews() {
    Tensor x = Tensor.arange(6).reshape(2, 3).requiresGrad(true);
    Tensor y = x.t().narrow(0, 1, 2).unsqueeze(0); // (1, 2, 2): rows 1..2 of xᵀ
    y.backward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 2, 2));
    // y[0, i, j] = x[j, i + 1]
    assertThat(x.grad().toArray()).containsExactly(0, 1, 3, 0, 2, 4);
  }

  @Test
  void expandGradientSumsOverTheExpandedDims() {
    Tensor x = Tensor.vector(1, 2).reshape(2, 1).requiresGrad(true);
    x.expand(3, 2, 4).sum().backward();
    assertThat(x.grad().toArray()).containsExactly(12, 12);
  }

  @Test
  void noGradRecordsNothingAndDetachCutsTheGraph() {
    Tensor x = Tensor.ones(2).requiresGrad(true);
    Tensor y;
    try (var g = Autograd.noGrad()) {
      y = x.add(x);
      assertThat(Autograd.isRecording()).isFalse();
    }
    assertThat(Autograd.isRecording()).isTrue();
    assertThat(y.requiresGrad()).isFalse();
    assertThat(x.add(x).detach().requiresGrad()).isFalse();
    assertThatThrownBy(y::backward).hasMessageContaining("scalar");
    assertThatThrownBy(() -> y.sum().backward()).hasMessageContaining("does not require grad");
  }

  @Test
  void graphIsReleasedAfterBackward() {
    Tensor x = Tensor.ones(3).requiresGrad(true);
    Tensor loss = x.add(x).sum();
    loss.backward();
    assertThatThrownBy(loss::backward).hasMessageContaining("a second time");
  }

  @Test
  void backwardChecksTheUpstreamShape() {
    Tensor x = Tensor.ones(2, 2).requiresGrad(true);
    Tensor y = x.add(x);
    assertThatThrownBy(() -> y.backward(Tensor.ones(4))).hasMessageContaining("(4,)").hasMessageContaining("(2, 2)");
  }

  @Test
  void deepChainsDoNotOverflowTheStack() {
    Tensor x = Tensor.ones(1).requiresGrad(true);
    Tensor y = x;
    for (int i = 0; i < 20_000; i++) y = y.add(x);
    y.sum().backward();
    assertThat(x.grad().item()).isEqualTo(20_001f);
  }

  @Test
  void gradCheckPassesForViewsAndFailsForAWrongRule() {
    Tensor a = Tensor.randn(new Rng(3), 3, 4).requiresGrad(true);
    GradCheck.Result ok = GradCheck.check(in -> in[0].t().narrow(0, 1, 2).add(in[0].sum()), a);
    assertThat(ok.ok()).as(ok.where()).isTrue();
    // A deliberately wrong backward rule (gradient doubled) must be caught.
    GradCheck.Result bad = GradCheck.check(
        in -> Autograd.record("wrong", in[0].detach().add(Tensor.zeros(3, 4)), g -> new Tensor[] {g.add(g)}, in[0]), a);
    assertThat(bad.ok()).isFalse();
  }
}
