package lmlab.models;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A validated, typed model configuration (a record per model type): what {@link ModelType#parse}
 * returns and {@link #toJson()} writes back, key for key.
 */
public interface ModelConfig {
  /** The config.json {@code model_type}, or null for an lmlab Transformer (which has none). */
  String modelType();

  int vocabSize();

  /** The configuration as config.json holds it; the model type's parse reads it back to an equal one. */
  ObjectNode toJson();
}
