package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gla / regla / mamba2 config.json readers (mixers.md): fla's and Hugging Face's defaults,
 * time_step_limit with Hugging Face's bare Infinity, the round trip through toJson, and the bad
 * configs of issue #16 acceptance 6 as errors naming the key.
 */
class MixerConfigTest {
  static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void defaultsAndRoundTrip() throws Exception {
    ModelSpec gla = Models.parseConfig(json("{\"model_type\": \"gla\", \"vocab_size\": 10, \"hidden_size\": 64,"
        + " \"num_hidden_layers\": 2}"));
    GlaConfig g = gla.configAs(GlaConfig.class);
    assertThat(g.numHeads()).isEqualTo(4);
    assertThat(g.keyDim()).isEqualTo(32);
    assertThat(g.valueDim()).isEqualTo(64);
    assertThat(g.intermediateSize()).as("fla's 256·ceil(floor(64·4·2/3)/256)").isEqualTo(256);
    assertThat(g.normEps()).isEqualTo(1e-6);
    assertThat(g.tieWordEmbeddings()).isFalse();
    assertThat(Models.parseConfig(gla.toJson()).config()).isEqualTo(g);

    ModelSpec m = Models.parseConfig(json("{\"model_type\": \"mamba2\", \"vocab_size\": 17, \"hidden_size\": 16,"
        + " \"num_hidden_layers\": 2, \"head_dim\": 8, \"state_size\": 8, \"num_heads\": 4,"
        + " \"time_step_limit\": [0.0, Infinity], \"architectures\": [\"Mamba2ForCausalLM\"]}"));
    Mamba2Config c = m.configAs(Mamba2Config.class);
    assertThat(c.timeStepMax()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(c.layer().clampsTimeStep()).isFalse();
    assertThat(c.layerNormEpsilon()).isEqualTo(1e-5);
    assertThat(c.paddedVocabSize()).as("Mamba2ForCausalLM: as written").isEqualTo(17);
    assertThat(Models.parseConfig(m.toJson()).config()).isEqualTo(c);
    Mamba2Config clamped = Models.parseConfig(json("{\"model_type\": \"mamba2\", \"vocab_size\": 17, \"hidden_size\": 16,"
        + " \"num_hidden_layers\": 2, \"head_dim\": 8, \"state_size\": 8, \"time_step_limit\": [0.001, 0.1],"
        + " \"use_bias\": true}")).configAs(Mamba2Config.class);
    assertThat(clamped.layer().clampsTimeStep()).isTrue();
    assertThat(Models.parseConfig(clamped.toJson()).config()).isEqualTo(clamped);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // heads not dividing the widths
      "{\"model_type\": \"gla\", \"hidden_size\": 64, \"num_heads\": 5}|num_heads = 5 does not divide the key width hidden_size·expand_k = 32",
      "{\"model_type\": \"regla\", \"hidden_size\": 64, \"num_heads\": 3, \"expand_k\": 0.75}|num_heads = 3 does not divide the value width hidden_size·expand_v = 64",
      // num_heads · head_dim ≠ expand · hidden_size
      "{\"model_type\": \"mamba2\", \"hidden_size\": 64, \"head_dim\": 16, \"num_heads\": 4}|num_heads = 4 contradicts expand·hidden_size / head_dim = 2·64 / 16 = 8",
      "{\"model_type\": \"mamba2\", \"hidden_size\": 64, \"head_dim\": 48}|head_dim = 48 does not divide expand·hidden_size = 128",
      // n_groups not dividing num_heads
      "{\"model_type\": \"mamba2\", \"hidden_size\": 64, \"head_dim\": 16, \"n_groups\": 3}|n_groups = 3 does not divide num_heads = 8",
      // refused fla keys
      "{\"model_type\": \"gla\", \"use_short_conv\": true}|use_short_conv = true is not supported",
      "{\"model_type\": \"gla\", \"feature_map\": \"relu\"}|feature_map = \"relu\" is not supported",
      "{\"model_type\": \"gla\", \"num_kv_heads\": 2}|num_kv_heads = 2 is not supported",
      "{\"model_type\": \"gla\", \"use_output_gate\": false}|use_output_gate = false is not supported",
      "{\"model_type\": \"gla\", \"clamp_min\": 0.5}|clamp_min = 0.5 is not supported",
      "{\"model_type\": \"gla\", \"hidden_act\": \"gelu\"}|hidden_act = \"gelu\" is not supported",
      "{\"model_type\": \"gla\", \"rope_theta\": 10000}|key 'rope_theta' is not supported for model_type gla",
      // refused Hugging Face Mamba2Config values
      "{\"model_type\": \"mamba2\", \"rms_norm\": false}|rms_norm = false is not supported",
      "{\"model_type\": \"mamba2\", \"hidden_act\": \"gelu\"}|hidden_act = \"gelu\" is not supported",
      "{\"model_type\": \"mamba2\", \"time_step_limit\": [0.1]}|time_step_limit' must be [min, max]",
  })
  void badConfigsAreErrorsNamingTheKey(String config, String message) throws Exception {
    JsonNode j = json(config);
    assertThatThrownBy(() -> Models.parseConfig(j)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("config: ").hasMessageContaining(message);
  }

  @Test
  void keysThatChangeNothingAreListed() throws Exception {
    Models.Read r = Models.read(json("{\"model_type\": \"gla\", \"attn_mode\": \"chunk\", \"fuse_norm\": true,"
        + " \"num_kv_heads\": null, \"use_l2warp\": false, \"torch_dtype\": \"bfloat16\"}"));
    assertThat(r.ignoredKeys()).containsExactly("attn_mode", "fuse_norm", "torch_dtype", "use_l2warp");
  }
}
