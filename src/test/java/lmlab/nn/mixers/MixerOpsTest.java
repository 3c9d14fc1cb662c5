package lmlab.nn.mixers;

import static lmlab.testing.FixtureAssert.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import lmlab.autograd.GradCheck;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Gradient checks of the mixers' primitives, and their values where a closed form is at hand. */
class MixerOpsTest {
  private static void ok(GradCheck.Result r) {
    assertThat(r.ok()).as(r.where()).isTrue();
  }

  @Test
  void softplusAndLogSigmoid() {
    Tensor x = Tensor.vector(-100f, -3f, -0.5f, 0f, 0.5f, 3f, 100f);
    float[] sp = x.softplus().toArray();
    float[] ls = x.logSigmoid().toArray();
    float[] xs = x.toArray();
    for (int i = 0; i < xs.length; i++) {
      double v = xs[i];
      double ref = v > 30 ? v : Math.log1p(Math.exp(v));
      assertThat((double) sp[i]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(ref))));
      assertThat((double) ls[i]).isCloseTo(-(v < -30 ? -v : Math.log1p(Math.exp(-v))), org.assertj.core.data.Offset.offset(1e-5));
    }
    Tensor y = Tensor.randn(new Rng(1), 3, 5).mul(3f).detach().requiresGrad(true);
    ok(GradCheck.check(in -> in[0].softplus(), y));
    ok(GradCheck.check(in -> in[0].logSigmoid(), y));
  }

  @Test
  void causalConvGradientsAndState() {
    Rng rng = new Rng(2);
    Tensor x = Tensor.randn(rng, 2, 5, 3).requiresGrad(true);
    Tensor w = Tensor.randn(rng, 3, 1, 4).requiresGrad(true);
    Tensor b = Tensor.randn(rng, 3).requiresGrad(true);
    Tensor s = Tensor.randn(rng, 2, 3, 4).requiresGrad(true);
    ok(GradCheck.check(in -> CausalConv1d.apply(in[0], in[1], in[2], in[3]).out(), x, w, b, s));
    // the definition, element by element, with the state's last K - 1 columns before the first token
    Tensor out = CausalConv1d.apply(x, w, b, s).out();
    for (int bi = 0; bi < 2; bi++) {
      for (int t = 0; t < 5; t++) {
        for (int c = 0; c < 3; c++) {
          double ref = b.get(c);
          for (int j = 0; j < 4; j++) {
            int tau = t - 3 + j;
            double xv = tau >= 0 ? x.get(bi, tau, c) : s.get(bi, c, 4 + tau);
            ref += w.get(c, 0, j) * xv;
          }
          assertThat((double) out.get(bi, t, c)).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
    // with silu fused: the same as silu after the convolution, and its gradients
    ok(GradCheck.check(in -> CausalConv1d.applySilu(in[0], in[1], in[2], in[3]).out(), x, w, b, s));
    assertClose("conv then silu", CausalConv1d.applySilu(x, w, b, s).out(), out.silu());
    assertClose("conv then silu, no bias and no state", CausalConv1d.applySilu(x, w, null, null).out(),
        CausalConv1d.apply(x, w, null, null).out().silu());
    // the state after two tokens: two old columns then the two inputs
    Tensor st = CausalConv1d.apply(x.narrow(1, 0, 2), w, b, s).state();
    assertClose("conv state", st.narrow(2, 0, 2), s.narrow(2, 2, 2));
    assertClose("conv state inputs", st.narrow(2, 2, 2), x.narrow(1, 0, 2).transpose(1, 2));
  }

  @Test
  void runningMaxGradients() {
    Rng rng = new Rng(4);
    Tensor m = Tensor.randn(rng, 2, 6, 3).requiresGrad(true);
    Tensor m0 = Tensor.randn(rng, 2, 3).requiresGrad(true);
    ok(GradCheck.check(in -> ReglaMixer.runningMax(in[0], in[1]), m, m0));
  }

  @Test
  void ssdChunkedGradientsPassFiniteDifferences() {
    Rng rng = new Rng(5);
    Tensor x = Tensor.randn(rng, 1, 6, 2, 3).requiresGrad(true);
    Tensor dt = Tensor.rand(rng, 1, 6, 2).add(0.1f).detach().requiresGrad(true);
    Tensor a = Tensor.vector(-0.5f, -1.5f).requiresGrad(true);
    Tensor bm = Tensor.randn(rng, 1, 6, 1, 4).requiresGrad(true);
    Tensor cm = Tensor.randn(rng, 1, 6, 1, 4).requiresGrad(true);
    Tensor d = Tensor.vector(1f, 0.5f).requiresGrad(true);
    ok(GradCheck.check(in -> {
      Ssd.Result r = Ssd.apply(in[0], in[1], in[2], in[3], in[4], in[5], null, 4);
      return Tensor.cat(List.of(r.y().reshape(-1), r.state().reshape(-1)), 0);
    }, x, dt, a, bm, cm, d));
  }

  @Test
  void gatedRmsNormGradientsPassFiniteDifferences() {
    Rng rng = new Rng(6);
    Tensor y = Tensor.randn(rng, 2, 3, 6).requiresGrad(true);
    Tensor zw = Tensor.randn(rng, 2, 3, 9).requiresGrad(true); // z is a slice of a wider row, as in Mamba-2
    Tensor w = Tensor.randn(rng, 6).requiresGrad(true);
    ok(GradCheck.check(in -> GatedRmsNorm.apply(in[0], in[1].narrow(-1, 2, 6), in[2], 2, 1e-5f), y, zw, w));
    // the definition: RMSNorm per group of 3 channels of y ⊙ silu(z), times the weight
    Tensor z = zw.narrow(-1, 2, 6);
    Tensor ref = y.mul(z.silu()).reshape(2, 3, 2, 3).rmsNorm(Tensor.ones(3), 1e-5f).reshape(2, 3, 6).mul(w);
    assertClose("gated norm", GatedRmsNorm.apply(y, z, w, 2, 1e-5f), ref);
  }
}
