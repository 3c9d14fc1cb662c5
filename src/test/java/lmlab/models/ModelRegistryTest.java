package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The registry keyed by model_type, the preset resources, and the per-layer mixers key. */
class ModelRegistryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void modelTypesSelectTheirEntries() throws Exception {
    assertThat(ModelRegistry.forModelType(null)).isSameAs(TransformerType.INSTANCE);
    for (String t : new String[] {"gpt2", "llama", "qwen2", "mistral"}) {
      assertThat(ModelRegistry.forModelType(t)).isSameAs(TransformerType.INSTANCE);
    }
    assertThat(ModelRegistry.forModelType("lstm-lm")).isSameAs(RecurrentLmType.LSTM);
    assertThat(ModelRegistry.forModelType("rnn-lm")).isSameAs(RecurrentLmType.RNN);
    // issue #16: the linear-time mixer models are engine models now (they were "no engine model yet")
    assertThat(ModelRegistry.forModelType("mamba2")).isSameAs(Mamba2LmType.INSTANCE);
    assertThat(ModelRegistry.forModelType("gla")).isSameAs(GlaLmType.GLA);
    assertThat(ModelRegistry.forModelType("regla")).isSameAs(GlaLmType.REGLA);
    assertThat(ModelRegistry.forConfig(JSON.readTree("{\"d_model\": 64, \"n_layer\": 2, \"vocab_size\": 10,"
        + " \"ssm_cfg\": {\"layer\": \"Mamba2\"}}"))).as("a state-spaces/mamba config").isSameAs(Mamba2LmType.INSTANCE);
    assertThatThrownBy(() -> ModelRegistry.forModelType("bert")).hasMessageContaining("model_type \"bert\" is not known")
        .hasMessageContaining("lstm-lm");
    assertThat(ModelRegistry.presets()).containsExactly("gpt", "chargpt", "gpt2", "llama", "qwen2", "qwen2-variant",
        "lstm-lm", "rnn-lm", "gla", "gla-mini", "regla", "regla-mini", "mamba2", "mamba2-mini", "mamba2-lab");
  }

  @Test
  void everyPresetIsAResourceThatRoundTrips() {
    for (String p : ModelRegistry.presets()) {
      ModelSpec s = Models.preset(p);
      assertThat(s.type().presets()).contains(p);
      ModelSpec back = Models.parseConfig(s.toJson());
      assertThat(back.config()).as(p).isEqualTo(s.config());
      assertThat(back.type()).isSameAs(s.type());
      assertThat(s.describe()).startsWith(s.type().label());
      // the published mixer sizes (0.5 to 1.5 GB each in float32) are counted by the closed form instead (analysis.MixerPresetsTest)
      if (p.equals("gla") || p.equals("regla") || p.equals("mamba2")) continue;
      assertThat(s.newModel(1).numParameters()).isEqualTo(s.numParameters());
    }
  }

  @Test
  void mixersAreAPerLayerScheduleLikeMasks() throws Exception {
    TransformerConfig c = TransformerConfig.preset("qwen2", Map.of("num_hidden_layers", "3"));
    assertThat(c.mixers()).containsExactly("attention", "attention", "attention");
    assertThat(c.toJson().has("mixers")).as("the default is not written").isFalse();
    TransformerConfig s = TransformerConfig.builder("qwen2").set("num_hidden_layers", "3")
        .set("mixers", "{\"first\": \"attention\", \"middle\": \"attention\", \"last\": \"attention\"}").build();
    assertThat(s).isEqualTo(c);
    assertThatThrownBy(() -> TransformerConfig.builder("qwen2").set("mixers", "[\"attention\", \"mamba2\"]").build())
        .hasMessageContaining("mixers").hasMessageContaining("num_hidden_layers=6");
    // gla, regla and mamba2 are mixers too since issue #16 (hybrids); a name that is none is an error listing them
    assertThat(TransformerConfig.builder("qwen2").set("num_hidden_layers", "3").set("mixers", "{\"last\": \"gla\"}")
        .build().mixers()).containsExactly("attention", "attention", "gla");
    assertThatThrownBy(() -> TransformerConfig.builder("qwen2").set("mixers", "{\"last\": \"lstm\"}").build())
        .hasMessageContaining("mixers.last=\"lstm\" is not a mixer").hasMessageContaining("attention");
  }
}
