package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import lmlab.autograd.GradCheck;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.Test;

class LstmCellOpTest {
  /** The ten unfused ops the fused cell replaces: [h | c]. */
  private static Tensor reference(Tensor pre, Tensor c) {
    int d = pre.size(1) / 4;
    Tensor i = pre.narrow(1, 0, d).sigmoid();
    Tensor f = pre.narrow(1, d, d).sigmoid();
    Tensor g = pre.narrow(1, 2 * d, d).tanh();
    Tensor o = pre.narrow(1, 3 * d, d).sigmoid();
    Tensor cNext = f.mul(c).add(i.mul(g));
    return Tensor.cat(List.of(o.mul(cNext.tanh()), cNext), 1);
  }

  @Test
  void forwardAndGradientsEqualTheUnfusedOps() {
    for (int d : new int[] {3, 16, 37}) { // below, at and past one 16-lane vector (masked tails)
      Tensor pre = Tensor.randn(new Rng(d), 5, 4 * d).mul(2f).detach().requiresGrad(true);
      Tensor c = Tensor.randn(new Rng(d + 1), 5, d).detach().requiresGrad(true);
      Tensor w = Tensor.randn(new Rng(d + 2), 5, 2 * d); // a random upstream gradient
      Tensor fused = Tensor.lstmCell(pre, c);
      fused.mul(w).sum().backward();
      float[] gPre = pre.grad().toArray(), gC = c.grad().toArray();
      pre.zeroGrad();
      c.zeroGrad();
      Tensor ref = reference(pre, c);
      ref.mul(w).sum().backward();
      assertClose(fused.toArray(), ref.toArray(), 2e-6f);
      assertClose(gPre, pre.grad().toArray(), 2e-6f);
      assertClose(gC, c.grad().toArray(), 2e-6f);
    }
  }

  @Test
  void finiteDifferencesOnANarrowedState() {
    GradCheck.Result r = GradCheck.check(
        in -> Tensor.lstmCell(in[0], in[1].narrow(1, 2, 5)).mul(in[2]).sum(),
        Tensor.randn(new Rng(1), 3, 20).requiresGrad(true),
        Tensor.randn(new Rng(2), 3, 9).requiresGrad(true),
        Tensor.randn(new Rng(3), 3, 10));
    assertThat(r.ok()).as("max error %.3g at %s", r.maxError(), r.where()).isTrue();
  }

  @Test
  void sameBitsForOneAndTwoThreads() {
    Tensor pre = Tensor.randn(new Rng(4), 300, 4 * 40);
    Tensor c = Tensor.randn(new Rng(5), 300, 40);
    int before = Parallel.threads();
    try {
      Parallel.setThreads(1);
      float[] one = Tensor.lstmCell(pre, c).toArray();
      Parallel.setThreads(2);
      assertThat(Tensor.lstmCell(pre, c).toArray()).containsExactly(one);
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void aStateReadInPlaceGivesTheSameBitsAsItsCopy() {
    int d = 37; // a masked tail too
    Tensor pre = Tensor.randn(new Rng(6), 9, 4 * d).detach();
    Tensor hc = Tensor.randn(new Rng(7), 9, 2 * d).detach().requiresGrad(true);
    Tensor w = Tensor.randn(new Rng(8), 9, 2 * d);
    Tensor inPlace = Tensor.lstmCell(pre, hc.narrow(1, d, d)); // c_{t-1} as the cell passes it
    inPlace.mul(w).sum().backward();
    float[] gView = hc.grad().toArray();
    hc.zeroGrad();
    Tensor copied = Tensor.lstmCell(pre, hc.narrow(1, d, d).contiguous());
    copied.mul(w).sum().backward();
    assertThat(inPlace.toArray()).containsExactly(copied.toArray());
    assertThat(gView).containsExactly(hc.grad().toArray());
  }

  @Test
  void shapeErrorsNameBothShapes() {
    assertThatThrownBy(() -> Tensor.lstmCell(Tensor.zeros(2, 6), Tensor.zeros(2, 1)))
        .hasMessageContaining("(B, 4d)").hasMessageContaining("(2, 6)");
    assertThatThrownBy(() -> Tensor.lstmCell(Tensor.zeros(2, 8), Tensor.zeros(3, 2)))
        .hasMessageContaining("(2, 2)").hasMessageContaining("(3, 2)");
  }

  private static void assertClose(float[] a, float[] b, float tol) {
    assertThat(a).hasSameSizeAs(b);
    for (int i = 0; i < a.length; i++) {
      assertThat(Math.abs(a[i] - b[i])).as("element %d: %s vs %s", i, a[i], b[i])
          .isLessThanOrEqualTo(tol * (1 + Math.abs(b[i])));
    }
  }
}
