package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * The one reader of config.json files for the engine and the analyser: one reader per
 * model_type, the {@link ModelRegistry}'s. The Transformer families (none, gpt2, llama, qwen2,
 * mistral) are {@link TransformerConfigReader}'s, lstm-lm and rnn-lm {@link RecurrentLmConfig}'s,
 * mamba2 (Hugging Face or state-spaces/mamba) {@link Mamba2Config}'s and gla / regla
 * {@link GlaConfig}'s. Every reader accepts and lists the keys that change nothing here and
 * rejects, naming it, any key that would change the computation in a way lmlab does not implement.
 */
public final class HfConfigs {
  /** The Hugging Face model_type values lmlab reads. */
  public static final List<String> MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2", "mamba2", "gla");

  private HfConfigs() {}

  /** Any config.json object: the typed configuration and the keys accepted without effect. */
  public static ConfigRead<? extends ModelConfig> read(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (json == null ? "nothing" : json.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return ModelRegistry.forConfig(json).read(json);
  }
}
