package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import lmlab.io.SafetensorsFile;
import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every attention fixture: out, attn_weights, grad.x and every parameter gradient under both
 * tolerance rules, in training mode (the fused kernel where it applies) and through the dense path.
 */
class AttentionFixtureTest {
  @ParameterizedTest
  @ValueSource(strings = {"attn_mha_causal", "attn_gqa_kv2", "attn_mqa_kv1", "attn_rope_half", "attn_rope_interleaved",
      "attn_rope_gqa_theta1e6", "attn_sliding_w4", "attn_dilated_8_2", "attn_block_local4_S14", "attn_block_local4_S16",
      "attn_relu_causal", "attn_relu_dilated_8_2", "attn_relu_gqa_block_local", "attn_score_dot",
      "attn_score_multiplicative", "attn_score_concat", "attn_score_additive"})
  void matchesTheFixture(String name) {
    check(name, false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"attn_mha_causal", "attn_gqa_kv2", "attn_mqa_kv1", "attn_rope_gqa_theta1e6", "attn_sliding_w4",
      "attn_dilated_8_2", "attn_block_local4_S14", "attn_relu_dilated_8_2", "attn_relu_gqa_block_local",
      "attn_score_multiplicative"})
  void denseReferencePathMatchesTheFixture(String name) {
    check(name, true);
  }

  private static void check(String name, boolean dense) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    AttentionConfig cfg = AttentionFixtures.config(f);
    MultiHeadAttention attn = new MultiHeadAttention(cfg, null);
    ModuleFixtures.loadParams(attn, f);
    assertThat(attn.namedParameters().keySet()).containsExactlyInAnyOrder(f.metadata().get("params").split(","));
    Tensor x = ModuleFixtures.leaf(f, "x");

    MultiHeadAttention.Output o = dense ? attn.forwardDense(x, true) : attn.forward(x, true);
    FixtureAssert.assertMatchesFixture(f, "out", o.out());
    FixtureAssert.assertMatchesFixture(f, "attn_weights", o.weights());

    o.out().mul(f.tensor("grad_out")).sum().backward();
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
    ModuleFixtures.assertParamGrads(attn, f);
  }
}
