package lmlab.nn.mixers;

import static lmlab.testing.FixtureAssert.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import lmlab.autograd.GradCheck;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SSD's chunked kernel ({@link SsdChunks}) against the token-by-token recurrence: values, state and every gradient. */
class SsdChunksTest {
  /** Several chunks (the last one short), two groups of two heads, a start state, strong and weak decays. */
  @ParameterizedTest
  @ValueSource(ints = {1, 5, 16, 33, 64, 70})
  void chunksMatchTheRecurrence(int chunk) {
    Rng rng = new Rng(13);
    int b = 2, s = 70, h = 4, p = 3, g = 2, n = 5;
    Tensor x = Tensor.randn(rng, b, s, h, p).requiresGrad(true);
    // Δ from 0.01 to 2 with A down to -4: some chunks' total decay passes e^-88
    Tensor dt = Tensor.rand(rng, b, s, h).mul(2f).add(0.01f).detach().requiresGrad(true);
    Tensor a = Tensor.vector(-0.05f, -1f, -4f, -0.5f).requiresGrad(true);
    Tensor bm = Tensor.randn(rng, b, s, g, n).requiresGrad(true), cm = Tensor.randn(rng, b, s, g, n).requiresGrad(true);
    Tensor d = Tensor.vector(1f, 0.5f, -0.3f, 2f).requiresGrad(true);
    Tensor h0 = Tensor.randn(rng, b, h, p, n).requiresGrad(true);
    Tensor up = Tensor.randn(rng, b, s, h, p), upState = Tensor.randn(rng, b, h, p, n);
    Tensor[] in = {x, dt, a, bm, cm, d, h0};
    Ssd.Result ref = Ssd.apply(x, dt, a, bm, cm, d, h0, 0);
    ref.y().mul(up).sum().add(ref.state().mul(upState).sum()).backward();
    Tensor[] refGrads = new Tensor[in.length];
    for (int i = 0; i < in.length; i++) {
      refGrads[i] = in[i].grad().copy();
      in[i].clearGrad();
    }
    Ssd.Result r = Ssd.apply(x, dt, a, bm, cm, d, h0, chunk);
    assertClose("y", r.y(), ref.y());
    assertClose("state", r.state(), ref.state());
    r.y().mul(up).sum().add(r.state().mul(upState).sum()).backward();
    for (int i = 0; i < in.length; i++) assertClose("grad of input " + i, in[i].grad(), refGrads[i]);
  }

  /**
   * No start state, and a loss on y alone or on y and the final state: the kernel skips the
   * products with a state it knows is zero (h_prev of the first chunk, a dS no gradient reached),
   * which must not change any value or gradient. Short sequences as the arithmetic lab's (S 6).
   */
  @ParameterizedTest
  @CsvSource({"1, 70, false", "5, 70, false", "16, 70, true", "70, 70, true", "16, 6, false", "16, 6, true", "4, 6, false"})
  void zeroStartAndUnusedStateMatchTheRecurrence(int chunk, int s, boolean stateLoss) {
    Rng rng = new Rng(29);
    int b = 3, h = 4, p = 3, g = 2, n = 5;
    Tensor x = Tensor.randn(rng, b, s, h, p).requiresGrad(true);
    Tensor dt = Tensor.rand(rng, b, s, h).mul(2f).add(0.01f).detach().requiresGrad(true);
    Tensor a = Tensor.vector(-0.05f, -1f, -4f, -0.5f).requiresGrad(true);
    Tensor bm = Tensor.randn(rng, b, s, g, n).requiresGrad(true), cm = Tensor.randn(rng, b, s, g, n).requiresGrad(true);
    Tensor d = Tensor.vector(1f, 0.5f, -0.3f, 2f).requiresGrad(true);
    Tensor up = Tensor.randn(rng, b, s, h, p), upState = Tensor.randn(rng, b, h, p, n);
    Tensor[] in = {x, dt, a, bm, cm, d};
    Ssd.Result ref = Ssd.apply(x, dt, a, bm, cm, d, null, 0);
    Tensor refLoss = ref.y().mul(up).sum();
    (stateLoss ? refLoss.add(ref.state().mul(upState).sum()) : refLoss).backward();
    Tensor[] refGrads = new Tensor[in.length];
    for (int i = 0; i < in.length; i++) {
      refGrads[i] = in[i].grad().copy();
      in[i].clearGrad();
    }
    Ssd.Result r = Ssd.apply(x, dt, a, bm, cm, d, null, chunk);
    assertClose("y", r.y(), ref.y());
    assertClose("state", r.state(), ref.state());
    Tensor loss = r.y().mul(up).sum();
    (stateLoss ? loss.add(r.state().mul(upState).sum()) : loss).backward();
    for (int i = 0; i < in.length; i++) assertClose("grad of input " + i, in[i].grad(), refGrads[i]);
  }

  @Test
  void gradientsPassFiniteDifferencesWithGroupsAndAStartState() {
    Rng rng = new Rng(17);
    Tensor x = Tensor.randn(rng, 2, 7, 4, 2).requiresGrad(true);
    Tensor dt = Tensor.rand(rng, 2, 7, 4).add(0.1f).detach().requiresGrad(true);
    Tensor a = Tensor.vector(-0.5f, -1.5f, -0.2f, -1f).requiresGrad(true);
    Tensor bm = Tensor.randn(rng, 2, 7, 2, 3).requiresGrad(true);
    Tensor cm = Tensor.randn(rng, 2, 7, 2, 3).requiresGrad(true);
    Tensor d = Tensor.vector(1f, 0.5f, 0f, -1f).requiresGrad(true);
    Tensor h0 = Tensor.randn(rng, 2, 4, 2, 3).requiresGrad(true);
    GradCheck.Result res = GradCheck.check(in -> {
      Ssd.Result r = Ssd.apply(in[0], in[1], in[2], in[3], in[4], in[5], in[6], 3);
      return Tensor.cat(java.util.List.of(r.y().reshape(-1), r.state().reshape(-1)), 0);
    }, x, dt, a, bm, cm, d, h0);
    assertThat(res.ok()).as(res.where()).isTrue();
  }
}
