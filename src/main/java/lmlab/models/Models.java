package lmlab.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.io.WeightMapper;
import lmlab.nn.ModuleCheckpoint;
import lmlab.nn.ParameterTable;
import lmlab.tensor.Rng;

/**
 * The model factory: builds a {@link LanguageModel} from a checkpoint directory (dispatching on
 * {@code model_type} in config.json), from a config.json object, or from a preset name with
 * {@code key=value} overrides (the CLI's {@code --preset NAME --set key=value}).
 *
 * <p>{@code model_type} selects the family: {@code "lstm-lm"} and {@code "rnn-lm"} are the
 * recurrent language models ({@link RecurrentLmConfig}); absent, {@code "gpt2"}, {@code "llama"},
 * {@code "qwen2"} or {@code "mistral"} is the one {@link Transformer} ({@link TransformerConfig};
 * llama, qwen2 and mistral select Hugging Face's bias and sliding-window defaults, {@code gpt2}
 * none). Anything else is an error naming the value and the file.
 *
 * <p>Presets: {@code gpt}, {@code chargpt}, {@code gpt2}, {@code llama}, {@code qwen2},
 * {@code qwen2-variant} (Transformer, {@link TransformerConfig#preset})
 * and {@code lstm-lm}, {@code rnn-lm} (the defaults of models.md, L 2, d_e = d_h = 128, bias on,
 * with vocab_size {@value #RECURRENT_PRESET_VOCAB}, the character vocabulary of chargpt, since
 * models.md gives none).
 */
public final class Models {
  /** model_type values that build a Transformer (besides an absent model_type). */
  public static final List<String> TRANSFORMER_MODEL_TYPES = List.of("gpt2", "llama", "qwen2", "mistral");

  /** Recurrent model_type values (also preset names). */
  public static final List<String> RECURRENT_MODEL_TYPES = List.of(RecurrentLmConfig.LSTM_LM, RecurrentLmConfig.RNN_LM);

  /** The vocabulary of the lstm-lm and rnn-lm presets (chargpt's character vocabulary). */
  public static final int RECURRENT_PRESET_VOCAB = 65;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Models() {}

  /** Every preset name. */
  public static List<String> presets() {
    List<String> all = new ArrayList<>(TransformerConfig.PRESETS);
    all.addAll(RECURRENT_MODEL_TYPES);
    return Collections.unmodifiableList(all);
  }

  /** The model families. */
  public enum Family {
    TRANSFORMER("Transformer"),
    LSTM_LM("lstm-lm"),
    RNN_LM("rnn-lm");

    private final String label;

    Family(String label) {
      this.label = label;
    }

    /** "Transformer", "lstm-lm" or "rnn-lm". */
    public String label() {
      return label;
    }

    public boolean recurrent() {
      return this != TRANSFORMER;
    }
  }

  /**
   * A validated model configuration of either family: exactly one of transformer / recurrent is
   * set.
   */
  public record Spec(Family family, TransformerConfig transformer, RecurrentLmConfig recurrent) {
    public Spec {
      if ((transformer == null) == (recurrent == null)) {
        throw new IllegalArgumentException("Spec: exactly one of transformer and recurrent config");
      }
    }

    static Spec of(TransformerConfig c) {
      return new Spec(Family.TRANSFORMER, c, null);
    }

    static Spec of(RecurrentLmConfig c) {
      return new Spec(c.modelType().equals(RecurrentLmConfig.LSTM_LM) ? Family.LSTM_LM : Family.RNN_LM, null, c);
    }

    /** A freshly initialised model drawing its weights from seed. */
    public LanguageModel newModel(long seed) {
      return transformer != null ? new Transformer(transformer, seed) : recurrent.newModel(new Rng(seed));
    }

    /** The model with zero weights: to load a checkpoint into, or to count. */
    public LanguageModel uninitialisedModel() {
      // recurrent models are small, and their dropout needs a generator: built as usual
      return transformer != null ? Transformer.uninitialised(transformer) : recurrent.newModel(new Rng(0));
    }

    /** The closed-form parameter count, without building the model. */
    public long numParameters() {
      return transformer != null ? transformer.numParameters() : recurrent.expectedParameters();
    }

    /** The configuration as config.json holds it. */
    public ObjectNode toJson() {
      return transformer != null ? transformer.toJson() : recurrent.toJson();
    }

    public int vocabSize() {
      return transformer != null ? transformer.vocabSize() : recurrent.vocabSize();
    }
  }

  // ------------------------------------------------------------------------------- configs

  /** The family config selects by its model_type; an unknown or non-string model_type is an error naming it. */
  public static Family family(JsonNode config) {
    if (config == null || !config.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (config == null ? "nothing" : config.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    JsonNode t = config.get("model_type");
    if (t == null || t.isNull()) return Family.TRANSFORMER;
    if (!t.isTextual()) {
      throw new IllegalArgumentException("config: model_type=" + t + " must be a string (" + knownModelTypes() + ")");
    }
    String type = t.asText();
    if (type.equals(RecurrentLmConfig.LSTM_LM)) return Family.LSTM_LM;
    if (type.equals(RecurrentLmConfig.RNN_LM)) return Family.RNN_LM;
    if (TRANSFORMER_MODEL_TYPES.contains(type)) return Family.TRANSFORMER;
    throw new IllegalArgumentException("config: unknown model_type \"" + type + "\"; known: " + knownModelTypes());
  }

  private static String knownModelTypes() {
    List<String> all = new ArrayList<>(RECURRENT_MODEL_TYPES);
    all.addAll(TRANSFORMER_MODEL_TYPES);
    return String.join(", ", all) + ", or none for an lmlab Transformer";
  }

  /** Validates a config.json object of either family (errors start with "config: " and name the key). */
  public static Spec parseConfig(JsonNode config) {
    Family f = family(config);
    if (f.recurrent()) return Spec.of(RecurrentLmConfig.parse(config));
    ObjectNode json = (ObjectNode) config;
    if ("gpt2".equals(json.path("model_type").asText(null))) {
      // GPT-2 has no bias quirks of its own: the lmlab defaults apply (TransformerConfig knows qwen2, llama).
      json = json.deepCopy();
      json.remove("model_type");
    }
    return Spec.of(TransformerConfig.fromJson(json));
  }

  /** Reads and validates dir/config.json; errors name the file. Weights are not read. */
  public static Spec readConfig(Path dir) throws IOException {
    ObjectNode json = Checkpoint.readConfig(dir);
    return parseConfig(dir, json);
  }

  private static Spec parseConfig(Path dir, ObjectNode json) throws CheckpointException {
    try {
      return parseConfig(json);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(dir.resolve(Checkpoint.CONFIG) + ": " + e.getMessage(), e);
    }
  }

  /**
   * A preset with overrides applied in order (key → value as text: JSON when it parses as JSON,
   * else a string). Errors: an unknown preset lists the valid ones; an unknown key or a bad value
   * names the key.
   */
  public static Spec preset(String name, Map<String, String> overrides) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (RECURRENT_MODEL_TYPES.contains(p)) {
      RecurrentLmConfig base = p.equals(RecurrentLmConfig.LSTM_LM)
          ? RecurrentLmConfig.lstmLm(RECURRENT_PRESET_VOCAB)
          : RecurrentLmConfig.rnnLm(RECURRENT_PRESET_VOCAB);
      ObjectNode json = base.toJson();
      for (var e : overrides.entrySet()) {
        if (e.getKey().equals("model_type")) {
          throw new IllegalArgumentException("config: model_type is fixed by the preset (" + p + ")");
        }
        json.set(e.getKey(), value(e.getValue()));
      }
      return Spec.of(RecurrentLmConfig.parse(json));
    }
    TransformerConfig.Builder b;
    try {
      b = TransformerConfig.builder(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown preset '" + name + "'; valid presets: "
          + String.join(", ", presets()), e);
    }
    for (var e : overrides.entrySet()) b.set(e.getKey(), e.getValue());
    return Spec.of(b.build());
  }

  /** A preset without overrides. */
  public static Spec preset(String name) {
    return preset(name, Map.of());
  }

  /** A value given as text: JSON when it parses as JSON (64, 0.1, true), else a string (layernorm). */
  static JsonNode value(String text) {
    if (text == null) return TextNode.valueOf("");
    try {
      JsonNode v = JSON.readTree(text);
      if (v != null && !v.isMissingNode()) return v;
    } catch (JsonProcessingException e) {
      // not JSON: a plain string
    }
    return TextNode.valueOf(text.trim());
  }

  // ------------------------------------------------------------------------------- models

  /** A freshly initialised model of a config.json object (either family). */
  public static LanguageModel fromConfig(JsonNode config, long seed) {
    return parseConfig(config).newModel(seed);
  }

  /** A freshly initialised preset model with overrides. */
  public static LanguageModel fromPreset(String name, Map<String, String> overrides, long seed) {
    return preset(name, overrides).newModel(seed);
  }

  /**
   * Loads a checkpoint directory (config.json + model.safetensors) of either family. Every
   * parameter must be present with its shape and nothing else; errors name the directory or file
   * and the first config key or tensor at fault. The model is returned in training mode, as
   * constructed; call {@code eval()} for inference.
   */
  public static LanguageModel load(Path dir) throws IOException {
    Spec spec = readConfig(dir);
    LanguageModel model = spec.uninitialisedModel();
    // straight from the memory-mapped weights into the model: one copy on the heap
    ModuleCheckpoint.loadWeights(dir, model, WeightMapper.IDENTITY, true);
    return model;
  }

  // ------------------------------------------------------------------------ parameter counts

  /**
   * Parameter counts by module: the rows of {@link ParameterTable} (depth first, root ""), the
   * total (tied tensors once) and the embedding parameters.
   */
  public record ParameterCount(List<ParameterTable.Row> rows, long total, long embeddings) {
    public long excludingEmbeddings() {
      return total - embeddings;
    }
  }

  /** The table of a built model. */
  public static ParameterCount parameterCount(LanguageModel model) {
    ParameterTable t = ParameterTable.of(model);
    return new ParameterCount(t.rows(), t.total(), t.embeddings());
  }

  /** The table of spec's model, built with zero weights (fast even for GPT-2 sizes). */
  public static ParameterCount parameterCount(Spec spec) {
    return parameterCount(spec.uninitialisedModel());
  }
}
