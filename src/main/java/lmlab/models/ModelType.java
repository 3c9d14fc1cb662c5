package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import lmlab.io.WeightMapper;
import lmlab.tensor.Rng;

/**
 * One entry of the {@link ModelRegistry}: a model type with its typed configuration record,
 * keyed by the {@code model_type} values of config.json it reads. It turns JSON into the record
 * (and {@link ModelConfig#toJson()} back), builds the model, describes it in one line, names its
 * presets and holds the {@link WeightMapper} for its checkpoints.
 *
 * <p>To add a model type: write its config record (implementing {@link ModelConfig}), its model
 * (a {@link LanguageModel}) and an implementation of this interface, then add that one instance
 * to {@link ModelRegistry#TYPES}.
 *
 * @param <C> the configuration record
 */
public interface ModelType<C extends ModelConfig> {
  /** The name shown to users: "Transformer", "lstm-lm", "rnn-lm". */
  String label();

  /** The config.json model_type values this type reads (the Transformer also reads none). */
  List<String> modelTypes();

  /** The configuration record's class. */
  Class<C> configClass();

  /**
   * Validates a config.json object of this type; every problem is an IllegalArgumentException whose
   * message starts with "config: " and names the key. Keys accepted but without effect are listed.
   */
  ConfigRead<C> read(JsonNode json);

  /** {@link #read} without the list of ignored keys. */
  default C parse(JsonNode json) {
    return read(json).config();
  }

  /** The preset names this type provides (JSON resources lmlab/presets/NAME.json). */
  List<String> presets();

  /**
   * A preset with overrides applied in order (key → value as text: JSON when it parses as JSON,
   * else a string); errors name the key.
   */
  C preset(String name, Map<String, String> overrides);

  /** A freshly initialised model and the generator its dropout masks draw from. */
  Seeded build(C config, long seed);

  /** The model with zero weights (norms at one): to load a checkpoint into, or to count. */
  LanguageModel uninitialised(C config);

  /** One line: the family and the switches that shape it. */
  String describe(C config);

  /**
   * How this type's checkpoint tensors map onto its parameters (load's {@link WeightMapper}: rename,
   * transpose, split), applied while reading the memory-mapped weights. lmlab's own names: identity.
   */
  default WeightMapper weightMapper() {
    return WeightMapper.IDENTITY;
  }

  /** The mapper for a checkpoint of this config (GPT-2's depends on whether the head is tied). */
  default WeightMapper weightMapper(C config) {
    return weightMapper();
  }

  /** A new model with its dropout generator (the trainer keeps both, to checkpoint the generator). */
  record Seeded(LanguageModel model, Rng dropout) {}
}
