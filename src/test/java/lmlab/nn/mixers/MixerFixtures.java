package lmlab.nn.mixers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import lmlab.io.SafetensorsFile;
import lmlab.testing.ModuleFixtures;

/** Mixer layers built from a fixture's {@code config} metadata, with the fixture's parameters loaded. */
final class MixerFixtures {
  private MixerFixtures() {}

  static JsonNode config(SafetensorsFile f) {
    try {
      return new ObjectMapper().readTree(f.metadata().get("config"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static LinearAttentionMixer.Config attentionConfig(JsonNode c) {
    return new LinearAttentionMixer.Config(c.get("hidden_size").asInt(), c.get("num_heads").asInt(),
        c.get("expand_k").asDouble(), c.get("expand_v").asDouble(), c.get("norm_eps").asDouble());
  }

  static LinearAttentionMixer linearAttention(SafetensorsFile f) {
    JsonNode c = config(f);
    LinearAttentionMixer m = c.get("mixer").asText().equals("gla")
        ? new GlaMixer(attentionConfig(c), null)
        : new ReglaMixer(attentionConfig(c), null);
    ModuleFixtures.loadParams(m, f);
    return m;
  }

  static Mamba2Mixer.Config mamba2Config(JsonNode c) {
    return new Mamba2Mixer.Config(c.get("hidden_size").asInt(), c.get("state_size").asInt(), c.get("expand").asInt(),
        c.get("head_dim").asInt(), c.get("num_heads").asInt(), c.get("n_groups").asInt(), c.get("conv_kernel").asInt(),
        c.get("use_bias").asBoolean(), c.get("use_conv_bias").asBoolean(), c.get("layer_norm_epsilon").asDouble(),
        0, Double.POSITIVE_INFINITY);
  }

  static Mamba2Mixer mamba2(SafetensorsFile f) {
    Mamba2Mixer m = new Mamba2Mixer(mamba2Config(config(f)), 1, null);
    ModuleFixtures.loadParams(m, f);
    return m;
  }
}
