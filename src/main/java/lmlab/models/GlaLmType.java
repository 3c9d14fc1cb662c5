package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.tensor.Rng;

/**
 * The registry entries of the gated-linear-attention models (mixers.md): {@code gla} (fla's
 * GLAForCausalLM) and {@code regla}, both {@link GlaConfig} → {@link GlaLm}. Checkpoints use fla's
 * tensor names, which are the model's own.
 */
public final class GlaLmType implements ModelType<GlaConfig> {
  public static final GlaLmType GLA = new GlaLmType(GlaConfig.GLA, List.of("gla", "gla-mini"));
  public static final GlaLmType REGLA = new GlaLmType(GlaConfig.REGLA, List.of("regla", "regla-mini"));

  private final String modelType;
  private final List<String> presets;

  private GlaLmType(String modelType, List<String> presets) {
    this.modelType = modelType;
    this.presets = presets;
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
  public Class<GlaConfig> configClass() {
    return GlaConfig.class;
  }

  @Override
  public ConfigRead<GlaConfig> read(JsonNode json) {
    ConfigRead<GlaConfig> r = GlaConfig.read(json);
    if (!r.config().modelType().equals(modelType)) {
      throw new IllegalArgumentException("config: model_type \"" + r.config().modelType() + "\" is not " + modelType);
    }
    return r;
  }

  /** The published size ({@code gla}: fla's 340M; {@code regla}: the same with ReGLA layers) and the lab size ({@code -mini}). */
  @Override
  public List<String> presets() {
    return presets;
  }

  @Override
  public GlaConfig preset(String name, Map<String, String> overrides) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    if (!presets.contains(p)) {
      throw new IllegalArgumentException("unknown preset '" + name + "'; available: " + String.join(", ", presets));
    }
    ObjectNode json = Presets.load(p);
    for (var e : overrides.entrySet()) {
      if (e.getKey().equals("model_type")) {
        throw new IllegalArgumentException("config: model_type is fixed by the preset (" + p + ")");
      }
      json.set(e.getKey(), Models.value(e.getValue()));
    }
    return read(json).config();
  }

  @Override
  public Seeded build(GlaConfig config, long seed) {
    Rng r = new Rng(seed); // initialises the weights; the model has no dropout
    return new Seeded(new GlaLm(config, r), r);
  }

  @Override
  public LanguageModel uninitialised(GlaConfig config) {
    return new GlaLm(config, null);
  }

  @Override
  public String describe(GlaConfig c) {
    long state = (long) c.keyDim() * c.valueDim() / c.numHeads() + (c.regla() ? c.numHeads() : 0);
    return modelType + ": d " + c.hiddenSize() + ", " + c.numHiddenLayers() + " layers, " + c.numHeads() + " heads, d_k "
        + c.keyDim() + ", d_v " + c.valueDim() + ", SwiGLU d_ff " + c.intermediateSize() + ", "
        + (c.regla() ? "ReGLA refining gate" : "low-rank forget gate (rank " + GlaConfig.GATE_RANK + ")") + ", "
        + (c.tieWordEmbeddings() ? "tied" : "untied") + " head; state " + state + " floats per layer and sequence ("
        + state * c.numHiddenLayers() * 4 + " bytes per sequence, float32, any length)";
  }
}
