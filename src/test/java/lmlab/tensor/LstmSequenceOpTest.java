package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import lmlab.autograd.GradCheck;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.Test;

class LstmSequenceOpTest {
  /** The per-step composition the fused op replaces: a_t = X_t + h W_hᵀ, then the fused cell. */
  private static Tensor reference(Tensor x, Tensor wH, Tensor h0, Tensor c0) {
    int steps = x.size(1), d = wH.size(1);
    Tensor h = h0, c = c0;
    List<Tensor> outs = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      Tensor hc = Tensor.lstmCell(x.select(1, t).add(h.linear(wH, null)), c);
      h = hc.narrow(1, 0, d);
      c = hc.narrow(1, d, d);
      outs.add(hc);
    }
    return Tensor.stack(outs, 1);
  }

  @Test
  void forwardAndGradientsEqualThePerStepOps() {
    for (int d : new int[] {3, 16, 37}) { // below, at and past one 16-lane vector (masked tails)
      int batch = 5, steps = 4;
      Tensor x = Tensor.randn(new Rng(d), batch, steps, 4 * d).detach().requiresGrad(true);
      Tensor w = Tensor.randn(new Rng(d + 1), 4 * d, d).mul(0.4f).detach().requiresGrad(true);
      Tensor h0 = Tensor.randn(new Rng(d + 2), batch, d).detach().requiresGrad(true);
      Tensor c0 = Tensor.randn(new Rng(d + 3), batch, d).detach().requiresGrad(true);
      Tensor up = Tensor.randn(new Rng(d + 4), batch, steps, 2 * d); // a random upstream gradient
      Tensor fused = Tensor.lstmSequence(x, w, h0, c0);
      fused.mul(up).sum().backward();
      float[][] grads = {x.grad().toArray(), w.grad().toArray(), h0.grad().toArray(), c0.grad().toArray()};
      for (Tensor t : new Tensor[] {x, w, h0, c0}) t.zeroGrad();
      Tensor ref = reference(x, w, h0, c0);
      ref.mul(up).sum().backward();
      assertClose(fused.toArray(), ref.toArray(), 1e-5f);
      Tensor[] inputs = {x, w, h0, c0};
      for (int i = 0; i < 4; i++) assertClose(grads[i], inputs[i].grad().toArray(), 1e-5f);
    }
  }

  @Test
  void finiteDifferencesWithZeroStatesThatNeedNoGradient() {
    GradCheck.Result r = GradCheck.check(
        in -> Tensor.lstmSequence(in[0], in[1], Tensor.zeros(2, 3), Tensor.zeros(2, 3)).mul(in[2]).sum(),
        Tensor.randn(new Rng(1), 2, 3, 12).requiresGrad(true),
        Tensor.randn(new Rng(2), 12, 3).requiresGrad(true),
        Tensor.randn(new Rng(3), 2, 3, 6));
    assertThat(r.ok()).as("max error %.3g at %s", r.maxError(), r.where()).isTrue();
  }

  @Test
  void sameBitsForOneAndTwoThreads() {
    Tensor x = Tensor.randn(new Rng(4), 300, 3, 4 * 40).detach().requiresGrad(true);
    Tensor w = Tensor.randn(new Rng(5), 160, 40).mul(0.2f).detach().requiresGrad(true);
    Tensor h0 = Tensor.randn(new Rng(6), 300, 40);
    Tensor c0 = Tensor.randn(new Rng(7), 300, 40);
    int before = Parallel.threads();
    try {
      Parallel.setThreads(1);
      Tensor y1 = Tensor.lstmSequence(x, w, h0, c0);
      y1.sum().backward();
      float[] oneW = w.grad().toArray(), oneX = x.grad().toArray();
      x.zeroGrad();
      w.zeroGrad();
      Parallel.setThreads(2);
      Tensor y2 = Tensor.lstmSequence(x, w, h0, c0);
      y2.sum().backward();
      assertThat(y2.toArray()).containsExactly(y1.toArray());
      assertThat(w.grad().toArray()).containsExactly(oneW);
      assertThat(x.grad().toArray()).containsExactly(oneX);
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void shapeErrorsNameTheArgumentAndBothShapes() {
    assertThatThrownBy(() -> Tensor.lstmSequence(Tensor.zeros(2, 6), Tensor.zeros(8, 2), Tensor.zeros(2, 2), Tensor.zeros(2, 2)))
        .hasMessageContaining("(B, S, 4d)").hasMessageContaining("(2, 6)");
    assertThatThrownBy(() -> Tensor.lstmSequence(Tensor.zeros(2, 1, 8), Tensor.zeros(8, 3), Tensor.zeros(2, 2), Tensor.zeros(2, 2)))
        .hasMessageContaining("recurrent weight").hasMessageContaining("(8, 2)").hasMessageContaining("(8, 3)");
    assertThatThrownBy(() -> Tensor.lstmSequence(Tensor.zeros(2, 1, 8), Tensor.zeros(8, 2), Tensor.zeros(3, 2), Tensor.zeros(2, 2)))
        .hasMessageContaining("h0").hasMessageContaining("(2, 2)").hasMessageContaining("(3, 2)");
  }

  private static void assertClose(float[] a, float[] b, float tol) {
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.length; i++) {
      assertThat(Math.abs(a[i] - b[i])).as("element %d: %s vs %s", i, a[i], b[i])
          .isLessThanOrEqualTo(tol * (1 + Math.abs(b[i])));
    }
  }
}
