package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.tensor.Rng;

/** The registry entries of the recurrent language models: {@code lstm-lm} ({@link LstmLm}) and {@code rnn-lm} ({@link RnnLm}). */
public final class RecurrentLmType implements ModelType<RecurrentLmConfig> {
  public static final RecurrentLmType LSTM = new RecurrentLmType(RecurrentLmConfig.LSTM_LM);
  public static final RecurrentLmType RNN = new RecurrentLmType(RecurrentLmConfig.RNN_LM);

  private final String modelType;

  private RecurrentLmType(String modelType) {
    this.modelType = modelType;
  }

  @Override
  public String label() {
    return modelType;
  }

  @Override
  public List<String> modelTypes() {
    return List.of(modelType);
  }

  @Override
  public Class<RecurrentLmConfig> configClass() {
    return RecurrentLmConfig.class;
  }

  @Override
  public ConfigRead<RecurrentLmConfig> read(JsonNode json) {
    RecurrentLmConfig c = RecurrentLmConfig.parse(json);
    if (!c.modelType().equals(modelType)) {
      throw new IllegalArgumentException("config: model_type \"" + c.modelType() + "\" is not " + modelType);
    }
    return new ConfigRead<>(c, List.of());
  }

  /** The preset has the model type's name: the defaults of models.md with chargpt's 65-character vocabulary. */
  @Override
  public List<String> presets() {
    return List.of(modelType);
  }

  @Override
  public RecurrentLmConfig preset(String name, Map<String, String> overrides) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (!p.equals(modelType)) throw new IllegalArgumentException("unknown preset '" + name + "'; available: " + modelType);
    ObjectNode json = Presets.load(p);
    for (var e : overrides.entrySet()) {
      if (e.getKey().equals("model_type")) {
        throw new IllegalArgumentException("config: model_type is fixed by the preset (" + p + ")");
      }
      json.set(e.getKey(), Models.value(e.getValue()));
    }
    return RecurrentLmConfig.parse(json);
  }

  @Override
  public Seeded build(RecurrentLmConfig config, long seed) {
    Rng r = new Rng(seed); // initialises the weights, then draws the dropout masks
    return new Seeded(config.newModel(r), r);
  }

  /** Recurrent models are small, and their dropout needs a generator: built as usual. */
  @Override
  public LanguageModel uninitialised(RecurrentLmConfig config) {
    return config.newModel(new Rng(0));
  }

  @Override
  public String describe(RecurrentLmConfig c) {
    return modelType + ": d_e " + c.embeddingSize() + ", d_h " + c.hiddenSize() + ", " + c.numHiddenLayers()
        + " layers, bias " + (c.bias() ? "on" : "off")
        + (c.activation() != null ? ", " + c.activation().configName() : "");
  }
}
