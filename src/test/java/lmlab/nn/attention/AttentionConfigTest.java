package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class AttentionConfigTest {
  @Test
  void badConfigsNameTheKeyAndTheValue() {
    AttentionConfig ok = AttentionConfig.of(24, 6);
    assertThatThrownBy(() -> ok.withKvHeads(4)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("num_attention_heads = 6 is not divisible by num_key_value_heads = 4");
    assertThatThrownBy(() -> ok.withKvHeads(0)).hasMessageContaining("num_key_value_heads = 0");
    assertThatThrownBy(() -> AttentionConfig.of(21, 3).withRope(null).withHeadDim(7).withRope(new Rope(1e4, Rope.Style.HALF, 7)))
        .hasMessageContaining("head_dim = 7");
    AttentionConfig odd = AttentionConfig.of(21, 3); // d_h = 7
    Rope rope8 = new Rope(1e4, Rope.Style.HALF, 8);
    assertThatThrownBy(() -> odd.withRope(rope8)).hasMessageContaining("head_dim = 7 is odd");
    assertThatThrownBy(() -> AttentionConfig.of(10, 3)).hasMessageContaining("hidden_size = 10 is not divisible");
    assertThatThrownBy(() -> ok.withDropout(1f)).hasMessageContaining("dropout = 1.0");
    assertThatThrownBy(() -> ok.withMask(null)).hasMessageContaining("mask");
    assertThatThrownBy(() -> ScoreFunction.parse("cosine")).hasMessageContaining("score")
        .hasMessageContaining("cosine");
    assertThatThrownBy(() -> Normaliser.parse("sigmoid")).hasMessageContaining("attention: expected softmax or relu");
  }

  @Test
  void groupedQueryAttentionHasNarrowKeyAndValueProjections() {
    AttentionConfig cfg = AttentionConfig.of(32, 8).withKvHeads(2).withBias(true, false);
    MultiHeadAttention attn = new MultiHeadAttention(cfg, new Rng(1));
    assertThat(attn.kProj().weight().shape()).containsExactly(8, 32);
    assertThat(attn.vProj().weight().shape()).containsExactly(8, 32);
    assertThat(attn.qProj().weight().shape()).containsExactly(32, 32);
    assertThat(attn.namedParameters().keySet()).containsExactly("q_proj.weight", "q_proj.bias", "k_proj.weight",
        "k_proj.bias", "v_proj.weight", "v_proj.bias", "o_proj.weight");
    assertThat(cfg.groupSize()).isEqualTo(4);
  }

  @Test
  void nullRngMeansZeros() {
    MultiHeadAttention attn = new MultiHeadAttention(AttentionConfig.of(8, 2).withScore(ScoreFunction.ADDITIVE), null);
    for (Tensor p : attn.parameters()) assertThat(p.abs().sum().item()).isZero();
    assertThat(attn.namedParameters()).containsKeys("score.W_s", "score.w_s");
  }
}
