package lmlab.models;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A validated configuration together with its registry entry: everything needed to build, load
 * or describe a model of any registered type, without knowing which.
 */
public record ModelSpec(ModelType<?> type, ModelConfig config) {
  public ModelSpec {
    if (type == null || config == null) throw new IllegalArgumentException("ModelSpec: type and config are required");
    if (!type.configClass().isInstance(config)) {
      throw new IllegalArgumentException("ModelSpec: " + type.label() + " takes a " + type.configClass().getSimpleName()
          + ", got a " + config.getClass().getSimpleName());
    }
  }

  /** A freshly initialised model drawing its weights from seed. */
  public LanguageModel newModel(long seed) {
    return seeded(seed).model();
  }

  /** A freshly initialised model with its dropout generator. */
  public ModelType.Seeded seeded(long seed) {
    return build(type, seed);
  }

  private <C extends ModelConfig> ModelType.Seeded build(ModelType<C> t, long seed) {
    return t.build(t.configClass().cast(config), seed);
  }

  /** The model with zero weights: to load a checkpoint into, or to count. */
  public LanguageModel uninitialisedModel() {
    return uninitialised(type);
  }

  private <C extends ModelConfig> LanguageModel uninitialised(ModelType<C> t) {
    return t.uninitialised(t.configClass().cast(config));
  }

  /** How this config's checkpoint tensors map onto the model's ({@link ModelType#weightMapper(ModelConfig)}). */
  public lmlab.io.WeightMapper weightMapper() {
    return weightMapper(type);
  }

  private <C extends ModelConfig> lmlab.io.WeightMapper weightMapper(ModelType<C> t) {
    return t.weightMapper(t.configClass().cast(config));
  }

  /** One line describing the model. */
  public String describe() {
    return describe(type);
  }

  private <C extends ModelConfig> String describe(ModelType<C> t) {
    return t.describe(t.configClass().cast(config));
  }

  /** The parameter count of the built model (zero weights; small and mid-size models). */
  public long numParameters() {
    return uninitialisedModel().numParameters();
  }

  /** The configuration as config.json holds it. */
  public ObjectNode toJson() {
    return config.toJson();
  }

  public int vocabSize() {
    return config.vocabSize();
  }

  /** The configuration as type C, or null when it is another type's. */
  public <C extends ModelConfig> C configAs(Class<C> c) {
    return c.isInstance(config) ? c.cast(config) : null;
  }
}
