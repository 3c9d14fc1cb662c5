package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.tensor.Rng;

/**
 * The registry entry of {@code mamba2} (mixers.md): {@link Mamba2Config} → {@link Mamba2Lm}, read
 * from a Hugging Face config.json or a state-spaces/mamba one (no model_type, {@code ssm_cfg}).
 * Checkpoints use Hugging Face's tensor names, which are the model's own.
 */
public final class Mamba2LmType implements ModelType<Mamba2Config> {
  public static final Mamba2LmType INSTANCE = new Mamba2LmType();
  private static final List<String> PRESETS = List.of("mamba2", "mamba2-mini", "mamba2-lab");

  private Mamba2LmType() {}

  @Override
  public String label() {
    return "mamba2";
  }

  @Override
  public List<String> modelTypes() {
    return List.of("mamba2");
  }

  @Override
  public Class<Mamba2Config> configClass() {
    return Mamba2Config.class;
  }

  /** Whether a config.json without model_type is a state-spaces/mamba one. */
  static boolean isSsmFormat(JsonNode json) {
    JsonNode mt = json.get("model_type");
    return (mt == null || mt.isNull()) && json.has("ssm_cfg");
  }

  @Override
  public ConfigRead<Mamba2Config> read(JsonNode json) {
    return isSsmFormat(json) ? Mamba2Config.readSsm(json) : Mamba2Config.readHf(json);
  }

  /**
   * {@code mamba2}: state-spaces/mamba2-130m; {@code mamba2-mini}: the lab size (d 192, 6 layers);
   * {@code mamba2-lab}: sized for the arithmetic lab, P within 20 % of the gpt preset's.
   */
  @Override
  public List<String> presets() {
    return PRESETS;
  }

  @Override
  public Mamba2Config preset(String name, Map<String, String> overrides) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (!PRESETS.contains(p)) throw new IllegalArgumentException("unknown preset '" + name + "'; available: " + String.join(", ", PRESETS));
    ObjectNode json = Presets.load(p);
    for (var e : overrides.entrySet()) {
      if (e.getKey().equals("model_type")) {
        throw new IllegalArgumentException("config: model_type is fixed by the preset (" + p + ")");
      }
      json.set(e.getKey(), Models.value(e.getValue()));
    }
    return Mamba2Config.readHf(json).config();
  }

  @Override
  public Seeded build(Mamba2Config config, long seed) {
    Rng r = new Rng(seed); // initialises the weights; the model has no dropout
    return new Seeded(new Mamba2Lm(config, r), r);
  }

  @Override
  public LanguageModel uninitialised(Mamba2Config config) {
    return new Mamba2Lm(config, null);
  }

  @Override
  public String describe(Mamba2Config c) {
    int di = c.expand() * c.hiddenSize(), gn = c.nGroups() * c.stateSize();
    long state = (long) (di + 2 * gn) * c.convKernel() + (long) di * c.stateSize();
    return "mamba2: d " + c.hiddenSize() + ", " + c.numHiddenLayers() + " layers, d_inner " + di + ", " + c.numHeads()
        + " heads of " + c.headDim() + ", state N " + c.stateSize() + ", " + c.nGroups() + " group"
        + (c.nGroups() == 1 ? "" : "s") + ", conv " + c.convKernel() + (c.useBias() ? ", projection biases" : "")
        + ", V " + c.paddedVocabSize() + (c.paddedVocabSize() != c.vocabSize() ? " (padded from " + c.vocabSize() + ")" : "")
        + ", " + (c.tieWordEmbeddings() ? "tied" : "untied") + " head; state " + state
        + " floats per layer and sequence (conv " + (long) (di + 2 * gn) * c.convKernel() + " + SSM " + (long) di * c.stateSize()
        + "; " + state * c.numHiddenLayers() * 4 + " bytes per sequence, float32, any length)";
  }
}
