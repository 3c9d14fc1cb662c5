package lmlab.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.nn.ModuleCheckpoint;
import lmlab.nn.ParameterTable;
import lmlab.nn.WeightFormats;

/**
 * The model factory over the {@link ModelRegistry}: a {@link ModelSpec} from a checkpoint
 * directory (dispatching on {@code model_type} in config.json), from a config.json object, or from
 * a preset name with {@code key=value} overrides (the CLI's {@code --preset NAME --set key=value}).
 *
 * <p>Presets: {@code gpt}, {@code chargpt}, {@code gpt2}, {@code llama}, {@code qwen2},
 * {@code qwen2-variant} (Transformer) and {@code lstm-lm}, {@code rnn-lm} (the defaults of
 * models.md, L 2, d_e = d_h = 128, bias on, with vocab_size {@value #RECURRENT_PRESET_VOCAB}, the
 * character vocabulary of chargpt, since models.md gives none); each is a JSON resource
 * lmlab/presets/NAME.json.
 */
public final class Models {
  /** Recurrent model_type values (also preset names). */
  public static final List<String> RECURRENT_MODEL_TYPES = List.of(RecurrentLmConfig.LSTM_LM, RecurrentLmConfig.RNN_LM);

  /** The vocabulary of the lstm-lm and rnn-lm presets (chargpt's character vocabulary). */
  public static final int RECURRENT_PRESET_VOCAB = 65;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Models() {}

  /** Every preset name. */
  public static List<String> presets() {
    return ModelRegistry.presets();
  }

  // ------------------------------------------------------------------------------- configs

  /** Validates a config.json object of any registered type (errors start with "config: " and name the key). */
  public static ModelSpec parseConfig(JsonNode config) {
    return read(config).spec();
  }

  /** A spec with the keys its config.json carried without effect (to list them). */
  public record Read(ModelSpec spec, List<String> ignoredKeys) {}

  /** {@link #parseConfig} keeping the list of ignored keys. */
  public static Read read(JsonNode config) {
    ModelType<?> t = ModelRegistry.forConfig(config);
    ConfigRead<?> r = t.read(config);
    return new Read(new ModelSpec(t, r.config()), r.ignoredKeys());
  }

  /** Reads and validates dir/config.json; errors name the file. Weights are not read. */
  public static ModelSpec readConfig(Path dir) throws IOException {
    ObjectNode json = Checkpoint.readConfig(dir);
    return parseConfig(dir, json);
  }

  private static ModelSpec parseConfig(Path dir, ObjectNode json) throws CheckpointException {
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
  public static ModelSpec preset(String name, Map<String, String> overrides) {
    ModelType<?> t = ModelRegistry.forPreset(name);
    if (t == null) {
      throw new IllegalArgumentException("unknown preset '" + name + "'; valid presets: " + String.join(", ", presets()));
    }
    return new ModelSpec(t, t.preset(name, overrides));
  }

  /** A preset without overrides. */
  public static ModelSpec preset(String name) {
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

  /** A freshly initialised model of a config.json object (any registered type). */
  public static LanguageModel fromConfig(JsonNode config, long seed) {
    return parseConfig(config).newModel(seed);
  }

  /** A freshly initialised preset model with overrides. */
  public static LanguageModel fromPreset(String name, Map<String, String> overrides, long seed) {
    return preset(name, overrides).newModel(seed);
  }

  /**
   * Loads a checkpoint directory (config.json + model.safetensors) of any registered type. Every
   * parameter must be present with its shape and nothing else; errors name the directory or file
   * and the first config key or tensor at fault. The model is returned in training mode, as
   * constructed; call {@code eval()} for inference.
   */
  public static LanguageModel load(Path dir) throws IOException {
    return load(dir, WeightFormats.F32);
  }

  /**
   * {@link #load(Path)} with the weights in the given format: float32 (exact), or bf16 for
   * decoding (Transformers only: every weight matrix and the token embedding stay bfloat16, viewed
   * straight from the mapped file when it stores them so).
   */
  public static LanguageModel load(Path dir, WeightFormats format) throws IOException {
    ModelSpec spec = readConfig(dir);
    if (format == WeightFormats.BF16 && spec.type() != TransformerType.INSTANCE) {
      throw new CheckpointException(dir + ": bf16 weights are implemented for Transformers (model_type "
          + String.join(", ", TransformerType.INSTANCE.modelTypes()) + " or an lmlab Transformer), not "
          + spec.type().label() + "; use --weights f32");
    }
    LanguageModel model = spec.uninitialisedModel();
    if (lmlab.nn.Quantization.isQuantized(dir)) { // codes and constants (lmlab quantize)
      if (format != WeightFormats.F32) {
        throw new CheckpointException(dir + ": holds quantised weights (lmlab quantize), which decode as they are; "
            + "--weights " + format.label() + " needs a float32 or bf16 checkpoint");
      }
      lmlab.nn.Quantization.loadInto(dir, model);
      return model;
    }
    // straight from the memory-mapped weights into the model: one copy on the heap
    format.load(dir, model, spec.weightMapper());
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

  /** The table of spec's model, built with zero weights (fast for GPT-2 sizes; large models: lmlab.analysis). */
  public static ParameterCount parameterCount(ModelSpec spec) {
    return parameterCount(spec.uninitialisedModel());
  }
}
