package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;

import lmlab.io.SafetensorsFile;
import lmlab.nn.attention.AttentionConfig;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.Normaliser;
import lmlab.nn.attention.Rope;
import lmlab.nn.attention.ScoreFunction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.api.Test;

class TransformerBlockTest {
  /** The gpt preset's block: LayerNorm, MHA with biases, GELU MLP m = 4 without bias. */
  static TransformerBlock gptBlock(int d, int heads, Rng rng) {
    return new TransformerBlock(new LayerNorm(d), new MultiHeadAttention(d, heads, true, rng), new LayerNorm(d),
        Mlp.withMultiplier(d, 4, Activation.GELU, false, rng), 0.0, null);
  }

  @Test
  void matchesTheGptBlockFixture() {
    SafetensorsFile f = FixtureAssert.fixture("block_gpt");
    TransformerBlock block = gptBlock(16, 4, new Rng(1));
    ModuleFixtures.loadParams(block, f);
    Tensor x = ModuleFixtures.leaf(f, "x");

    TransformerBlock.Output o = block.forward(x, true);
    FixtureAssert.assertMatchesFixture(f, "out", o.out());
    FixtureAssert.assertMatchesFixture(f, "attn_weights", o.attentionWeights());

    o.out().mul(f.tensor("grad_out")).sum().backward();
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
    ModuleFixtures.assertParamGrads(block, f);
  }

  @Test
  void matchesTheQwen2BlockFixture() {
    SafetensorsFile f = FixtureAssert.fixture("block_qwen2");
    // RMSNorm, GQA 4/2 with q/k/v bias and no o_proj bias, RoPE half base 1e6, SwiGLU d_ff 24
    AttentionConfig cfg = new AttentionConfig(16, 4, 2, 4, true, false, new Rope(1e6, Rope.Style.HALF, 4),
        ScoreFunction.SCALED_DOT, Normaliser.SOFTMAX, AttentionMask.causal(), 64, 0f);
    Rng rng = new Rng(1);
    TransformerBlock block = new TransformerBlock(new RMSNorm(16, 1e-6), new MultiHeadAttention(cfg, rng),
        new RMSNorm(16, 1e-6), new SwiGlu(16, 24, false, rng), 0.0, null);
    ModuleFixtures.loadParams(block, f);
    Tensor x = ModuleFixtures.leaf(f, "x");

    TransformerBlock.Output o = block.forward(x, true);
    FixtureAssert.assertMatchesFixture(f, "out", o.out());
    FixtureAssert.assertMatchesFixture(f, "attn_weights", o.attentionWeights());
    o.out().mul(f.tensor("grad_out")).sum().backward();
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
    ModuleFixtures.assertParamGrads(block, f);

    // fed one token at a time against a KV cache, the block gives the same outputs
    for (int b = 0; b < 2; b++) {
      var cache = block.selfAttn().newCache();
      Tensor xb = f.tensor("x").narrow(0, b, 1);
      for (int t = 0; t < 7; t++) {
        Tensor step = block.forwardIncremental(xb.narrow(1, t, 1), cache);
        FixtureAssert.assertClose("step " + t, step, f.tensor("out").narrow(0, b, 1).narrow(1, t, 1), 1e-5, 1e-4);
      }
    }
  }

  @Test
  void parameterNamesFollowTheConventions() {
    assertThat(gptBlock(8, 2, new Rng(0)).namedParameters().keySet()).containsExactly(
        "input_layernorm.weight", "input_layernorm.bias",
        "self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
        "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.o_proj.weight", "self_attn.o_proj.bias",
        "post_attention_layernorm.weight", "post_attention_layernorm.bias",
        "mlp.up_proj.weight", "mlp.down_proj.weight");
  }

  @Test
  void parameterCountIsTheClosedForm() {
    for (int d : new int[] {8, 16, 48}) {
      long dd = d;
      // attention 4d² + 4d, two LayerNorms 4d, MLP 8d² (no bias)
      assertThat(gptBlock(d, 4, new Rng(0)).numParameters()).isEqualTo(12 * dd * dd + 8 * dd);
    }
  }
}
