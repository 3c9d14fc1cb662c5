package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.nn.MultiHeadAttention;
import org.junit.jupiter.api.Test;

/** The per-layer {@code mixers} key: list, one string, or a first/middle/last schedule; unknown names are errors. */
class MixersConfigTest {
  private static final String BASE = """
      "vocab_size": 11, "hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 4,
      "position": "sinusoidal", "norm": "layernorm", "hidden_act": "gelu\"""";

  private static TransformerConfig parse(String extra) {
    return TransformerConfig.fromJson("{" + BASE + (extra.isEmpty() ? "" : ", " + extra) + "}");
  }

  @Test
  void defaultsToAttentionEverywhereAndAcceptsTheThreeForms() {
    assertThat(parse("").mixers()).containsExactly("attention", "attention", "attention");
    assertThat(parse("\"mixers\": \"attention\"").mixers()).containsOnly("attention").hasSize(3);
    assertThat(parse("\"mixers\": [\"attention\", \"attention\", \"attention\"]").mixers()).hasSize(3);
    assertThat(parse("\"mixers\": {\"first\": \"attention\", \"middle\": \"attention\", \"last\": \"attention\"}")
        .mixers()).containsOnly("attention");
    // the default is not written back, so existing config.json files stay key for key
    assertThat(parse("\"mixers\": \"attention\"").toJson().has("mixers")).isFalse();
  }

  @Test
  void unknownMixersAndBadShapesAreErrorsNamingTheEntry() {
    assertThatThrownBy(() -> parse("\"mixers\": {\"middle\": \"mamba9\"}"))
        .hasMessageContaining("mixers.middle").hasMessageContaining("mamba9").hasMessageContaining("attention");
    assertThatThrownBy(() -> parse("\"mixers\": [\"attention\"]")).hasMessageContaining("mixers")
        .hasMessageContaining("num_hidden_layers=3");
    assertThatThrownBy(() -> parse("\"mixers\": {\"7\": \"attention\"}")).hasMessageContaining("mixers.7");
  }

  @Test
  void theTransformerBuildsTheNamedMixerPerLayer() {
    Transformer t = new Transformer(parse("\"mixers\": \"attention\""), 1L);
    assertThat(t.layers()).allSatisfy(b -> assertThat(b.mixer()).isInstanceOf(MultiHeadAttention.class));
    assertThat(t.stateDict()).containsKey("model.layers.2.self_attn.q_proj.weight");
  }
}
