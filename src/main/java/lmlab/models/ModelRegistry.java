package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The model types lmlab builds, keyed by config.json's {@code model_type}: the Transformer (no
 * model_type, or gpt2, llama, qwen2, mistral), lstm-lm, rnn-lm, and the linear-time mixer models
 * gla, regla and mamba2 (a state-spaces/mamba config.json, with {@code ssm_cfg} and no
 * model_type, is mamba2). Adding a model type is new files plus one line in {@link #TYPES} (see
 * {@link ModelType}).
 */
public final class ModelRegistry {
  /** Every model type the engine builds, in the order presets are listed. */
  public static final List<ModelType<?>> TYPES = List.of(TransformerType.INSTANCE, RecurrentLmType.LSTM,
      RecurrentLmType.RNN, GlaLmType.GLA, GlaLmType.REGLA, Mamba2LmType.INSTANCE);

  private ModelRegistry() {}

  /** The entry reading model_type (null: the lmlab Transformer). */
  public static ModelType<?> forModelType(String modelType) {
    if (modelType == null) return TransformerType.INSTANCE;
    for (ModelType<?> t : TYPES) if (t.modelTypes().contains(modelType)) return t;
    throw new IllegalArgumentException("config: model_type \"" + modelType + "\" is not known; known: "
        + String.join(", ", knownModelTypes()) + " (or none for an lmlab Transformer)");
  }

  /** Every model_type value a config.json may have. */
  public static List<String> knownModelTypes() {
    List<String> all = new ArrayList<>();
    for (ModelType<?> t : TYPES) all.addAll(t.modelTypes());
    // Hugging Face's first, as the analyser lists them
    List<String> hf = new ArrayList<>(HfConfigs.MODEL_TYPES);
    for (String s : all) if (!hf.contains(s)) hf.add(s);
    return hf;
  }

  /** The entry a config.json object selects; a model_type that is not a string is an error naming it. */
  public static ModelType<?> forConfig(JsonNode config) {
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (config == null ? "nothing" : config.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    JsonNode t = config.get("model_type");
    if (Mamba2LmType.isSsmFormat(config)) return Mamba2LmType.INSTANCE;
    if (t == null || t.isNull()) return TransformerType.INSTANCE;
    if (!t.isTextual()) {
      throw new IllegalArgumentException("config: model_type=" + t + " must be a string ("
          + String.join(", ", knownModelTypes()) + ", or none for an lmlab Transformer)");
    }
    return forModelType(t.asText());
  }

  /** The entry providing a preset, or null. */
  public static ModelType<?> forPreset(String name) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (ModelType<?> t : TYPES) if (t.presets().contains(p)) return t;
    return null;
  }

  /** Every preset name, type by type. */
  public static List<String> presets() {
    List<String> all = new ArrayList<>();
    for (ModelType<?> t : TYPES) all.addAll(t.presets());
    return List.copyOf(all);
  }
}
