package lmlab.nn.mixers;

import static lmlab.testing.FixtureAssert.assertClose;
import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static lmlab.testing.ModuleFixtures.leaf;
import static org.assertj.core.api.Assertions.assertThat;

import lmlab.autograd.GradCheck;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The two core recurrences against fixtures, for several chunk lengths (0: token by token on autograd ops). */
class GatedLinearScanTest {
  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 4, 10, 64})
  void glaCoreMatchesFixture(int chunk) {
    SafetensorsFile f = fixture("gla_recurrent_state");
    Tensor q = leaf(f, "q"), k = leaf(f, "k"), v = leaf(f, "v"), gk = leaf(f, "gk"), h0 = leaf(f, "h0");
    float scale = Float.parseFloat(f.metadata().get("scale"));
    GatedLinearScan.Result r = chunk == 0
        ? GatedLinearScan.recurrent(q, k, v, gk, h0, scale)
        : GatedLinearScan.chunked(q, k, v, gk, h0, scale, chunk);
    assertMatchesFixture(f, "out", r.out());
    assertMatchesFixture(f, "h_n", r.state());
    r.out().mul(f.tensor("grad_out")).sum().add(r.state().mul(f.tensor("grad_h_n")).sum()).backward();
    for (String name : new String[] {"q", "k", "v", "gk", "h0"}) {
      Tensor x = switch (name) { case "q" -> q; case "k" -> k; case "v" -> v; case "gk" -> gk; default -> h0; };
      assertMatchesFixture(f, "grad." + name, x.grad());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3, 4, 10})
  void ssdCoreMatchesFixture(int chunk) {
    SafetensorsFile f = fixture("ssd_chunked_vs_recurrent");
    String[] names = {"x", "dt", "A", "B", "C", "D", "h0"};
    Tensor[] in = new Tensor[names.length];
    for (int i = 0; i < names.length; i++) in[i] = leaf(f, names[i]);
    Ssd.Result r = Ssd.apply(in[0], in[1], in[2], in[3], in[4], in[5], in[6], chunk);
    assertMatchesFixture(f, "out", r.y());
    assertMatchesFixture(f, "h_n", r.state());
    r.y().mul(f.tensor("grad_out")).sum().add(r.state().mul(f.tensor("grad_h_n")).sum()).backward();
    for (int i = 0; i < names.length; i++) assertMatchesFixture(f, "grad." + names[i], in[i].grad());
  }

  @Test
  void chunkedGradientsPassFiniteDifferences() {
    Rng rng = new Rng(7);
    Tensor q = Tensor.randn(rng, 1, 7, 2, 3).requiresGrad(true);
    Tensor k = Tensor.randn(rng, 1, 7, 2, 3).requiresGrad(true);
    Tensor v = Tensor.randn(rng, 1, 7, 2, 4).requiresGrad(true);
    Tensor g = Tensor.rand(rng, 1, 7, 2, 3).mul(-1f).detach().requiresGrad(true);
    Tensor h0 = Tensor.randn(rng, 1, 2, 3, 4).requiresGrad(true);
    var res = GradCheck.check(in -> {
      GatedLinearScan.Result r = GatedLinearScan.chunked(in[0], in[1], in[2], in[3], in[4], 0.7f, 3);
      return Tensor.cat(java.util.List.of(r.out().reshape(-1), r.state().reshape(-1)), 0);
    }, q, k, v, g, h0);
    assertThat(res.ok()).as(res.where()).isTrue();
  }

  @Test
  void strongDecayDoesNotOverflow() {
    // a chunk whose summed decay is far below e^-88: exp(-b_s) alone would be infinite
    Rng rng = new Rng(3);
    Tensor q = Tensor.randn(rng, 1, 40, 1, 4), k = Tensor.randn(rng, 1, 40, 1, 4), v = Tensor.randn(rng, 1, 40, 1, 2);
    Tensor g = Tensor.full(new int[] {1, 40, 1, 4}, -5f);
    GatedLinearScan.Result a = GatedLinearScan.chunked(q, k, v, g, null, 1f, 40);
    GatedLinearScan.Result b = GatedLinearScan.recurrent(q, k, v, g, null, 1f);
    assertClose("out", a.out(), b.out());
    assertClose("state", a.state(), b.state());
  }

  /** Long enough for several query sub-blocks per chunk: values and every gradient equal the recurrence's. */
  @ParameterizedTest
  @ValueSource(ints = {16, 33, 64, 70})
  void subBlocksMatchTheRecurrence(int chunk) {
    Rng rng = new Rng(11);
    int b = 2, s = 70, h = 2, dk = 5, dv = 3;
    Tensor q = Tensor.randn(rng, b, s, h, dk).requiresGrad(true), k = Tensor.randn(rng, b, s, h, dk).requiresGrad(true);
    Tensor v = Tensor.randn(rng, b, s, h, dv).requiresGrad(true);
    // decays from -0.01 to -3 per token: some chunks' total decay passes e^-88
    Tensor g = Tensor.rand(rng, b, s, h, dk).mul(-3f).sub(0.01f).detach().requiresGrad(true);
    Tensor h0 = Tensor.randn(rng, b, h, dk, dv).requiresGrad(true);
    Tensor up = Tensor.randn(rng, b, s, h, dv), upState = Tensor.randn(rng, b, h, dk, dv);
    Tensor[] in = {q, k, v, g, h0};
    GatedLinearScan.Result ref = GatedLinearScan.recurrent(q, k, v, g, h0, 0.4f);
    ref.out().mul(up).sum().add(ref.state().mul(upState).sum()).backward();
    Tensor[] refGrads = new Tensor[in.length];
    for (int i = 0; i < in.length; i++) {
      refGrads[i] = in[i].grad().copy();
      in[i].clearGrad();
    }
    GatedLinearScan.Result r = GatedLinearScan.chunked(q, k, v, g, h0, 0.4f, chunk);
    assertClose("out", r.out(), ref.out());
    assertClose("state", r.state(), ref.state());
    r.out().mul(up).sum().add(r.state().mul(upState).sum()).backward();
    for (int i = 0; i < in.length; i++) assertClose("grad of input " + i, in[i].grad(), refGrads[i]);
  }
}
