package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;

/**
 * The one reader of config.json files for the engine and the analyser: one reader per
 * model_type. The Transformer families (none, gpt2, llama, qwen2, mistral) are
 * {@link TransformerConfigReader}'s, lstm-lm and rnn-lm {@link RecurrentLmConfig}'s, mamba2
 * (Hugging Face or state-spaces/mamba) {@link Mamba2Config}'s and gla {@link GlaConfig}'s. Every
 * reader accepts and lists the keys that change nothing here and rejects, naming it, any key that
 * would change the computation in a way lmlab does not implement.
 */
public final class HfConfigs {
  /** The Hugging Face model_type values lmlab reads. */
  public static final List<String> MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2", "mamba2", "gla");

  /** Families the analyser reads but the engine cannot build yet (issue #16). */
  public static final List<String> ANALYSER_ONLY = List.of("mamba2", "gla");

  private HfConfigs() {}

  /** Any config.json object: the typed configuration and the keys accepted without effect. */
  public static ConfigRead<? extends ModelConfig> read(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (json == null ? "nothing" : json.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    JsonNode mt = json.get("model_type");
    if ((mt == null || mt.isNull()) && json.has("ssm_cfg")) return Mamba2Config.readSsm(json);
    if (mt != null && mt.isTextual()) {
      switch (mt.asText()) {
        case "mamba2" -> {
          return Mamba2Config.readHf(json);
        }
        case "gla" -> {
          return GlaConfig.read(json);
        }
        default -> {
          // the engine's model types below
        }
      }
    }
    return ModelRegistry.forConfig(json).read(json);
  }
}
