package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parameter counts against closed forms (models.md and the course tables). */
class TransformerParamCountTest {
  /**
   * A GPT decoder of L blocks, d wide, m = 4: per block attention 4d² (+ 4d with biases), two
   * LayerNorms 4d, MLP 8d² (+ 5d with biases); final LayerNorm 2d; token embeddings Vd, learned
   * positions P·d; lm_head Vd (+ V) unless tied.
   */
  static long gptClosedForm(long v, long d, long layers, long positions, boolean attnBias, boolean mlpBias,
      boolean tied, boolean headBias) {
    long block = 4 * d * d + (attnBias ? 4 * d : 0) + 4 * d + 8 * d * d + (mlpBias ? 5 * d : 0);
    return v * d + positions * d + layers * block + 2 * d + (tied ? 0 : v * d + (headBias ? v : 0));
  }

  @Test
  void gptPresetAtSeveralSizes() {
    for (int[] s : new int[][] {{16, 1, 2}, {32, 2, 4}, {64, 3, 8}, {128, 2, 4}}) {
      TransformerConfig c = TransformerConfig.builder("gpt").set("hidden_size", s[0]).set("num_hidden_layers", s[1])
          .set("num_attention_heads", s[2]).set("vocab_size", 11).build();
      long expected = gptClosedForm(11, s[0], s[1], 0, true, false, false, true);
      assertThat(c.numParameters()).isEqualTo(expected);
      assertThat(new Transformer(c, 0).numParameters()).isEqualTo(expected);
    }
  }

  @Test
  void chargptPresetAtSeveralSizes() {
    for (int[] s : new int[][] {{12, 2, 3}, {48, 1, 4}, {192, 6, 6}}) {
      TransformerConfig c = TransformerConfig.builder("chargpt").set("hidden_size", s[0])
          .set("num_hidden_layers", s[1]).set("num_attention_heads", s[2]).build();
      long expected = gptClosedForm(65, s[0], s[1], 128, true, true, false, false);
      assertThat(c.numParameters()).isEqualTo(expected);
      Transformer m = new Transformer(c, 0);
      assertThat(m.numParameters()).isEqualTo(expected);
      long embeddings = 65L * s[0] + 128L * s[0];
      assertThat(m.numParameters(false)).isEqualTo(c.numParameters(false)).isEqualTo(expected - embeddings);
    }
  }

  @Test
  void chargptDefaultIsMinGptGptMini() {
    // minGPT gpt-mini (6 layers, 6 heads, 192) on 65 characters, block size 128: 2.71M in minGPT's
    // count, which leaves out lm_head (65·192) and position embeddings; ours counts them
    TransformerConfig c = TransformerConfig.preset("chargpt");
    long blocks = 6 * (12L * 192 * 192 + 13 * 192);
    assertThat(c.numParameters()).isEqualTo(65L * 192 + 128 * 192 + blocks + 2 * 192 + 65L * 192);
  }

  @Test
  void gpt2SmallHas124439808ParametersWithTiedEmbeddings() {
    TransformerConfig c = TransformerConfig.preset("gpt2");
    assertThat(c.numParameters()).isEqualTo(124_439_808L);
    assertThat(gptClosedForm(50257, 768, 12, 1024, true, true, true, false)).isEqualTo(124_439_808L);
    // without embeddings (wte and wpe): 85,056,000 (the Kaplan et al. "non-embedding" count + final LN)
    assertThat(c.numParameters(false)).isEqualTo(124_439_808L - 50257L * 768 - 1024L * 768);
  }

  @Test
  void gpt2LayoutBuiltSmallMatchesItsClosedForm() {
    TransformerConfig c = TransformerConfig.builder("gpt2").set("hidden_size", 64).set("num_attention_heads", 4)
        .set("num_hidden_layers", 3).set("vocab_size", 100).set("max_position_embeddings", 32).build();
    long expected = gptClosedForm(100, 64, 3, 32, true, true, true, false);
    assertThat(new Transformer(c, 0).numParameters()).isEqualTo(expected).isEqualTo(c.numParameters());
  }

  @Test
  void otherNormsAndSwiGluCountAsTheConfigSays() {
    // rmsnorm (d each), swiglu 3·d·d_ff, no biases, tied, no positions
    TransformerConfig c = TransformerConfig.fromJson("""
        {"vocab_size": 17, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 24, "position": "none", "tie_word_embeddings": true}""");
    long d = 16;
    long expected = 17 * d + 2 * (4 * d * d + 3 * d * 24 + 2 * d) + d;
    assertThat(c.numParameters()).isEqualTo(expected);
    assertThat(new Transformer(c, 0).numParameters()).isEqualTo(expected);
    TransformerConfig dyt = TransformerConfig.builder().set("vocab_size", 17).set("hidden_size", 16)
        .set("num_hidden_layers", 2).set("num_attention_heads", 4).set("intermediate_size", 24)
        .set("position", "learned").set("max_position_embeddings", 20).set("norm", "dyt").build();
    long dytNorm = 2 * d + 1;
    long expectedDyt = 17 * d + 20 * d + 2 * (4 * d * d + 3 * d * 24 + 2 * dytNorm) + dytNorm + 17 * d;
    assertThat(dyt.numParameters()).isEqualTo(expectedDyt);
    assertThat(new Transformer(dyt, 0).numParameters()).isEqualTo(expectedDyt);
  }
}
