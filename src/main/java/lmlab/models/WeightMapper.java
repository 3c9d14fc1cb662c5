package lmlab.models;

/**
 * How a checkpoint's tensor names map onto a model type's parameter names: the slot each
 * {@link ModelType} fills (the weight-loading code applies it while reading). lmlab's own
 * checkpoints use lmlab's names, so their mapper is {@link #IDENTITY}; a Hugging Face family
 * whose names differ (GPT-2's Conv1D {@code c_attn}, issue #18) gives its own.
 */
@FunctionalInterface
public interface WeightMapper {
  /** lmlab's parameter name for a checkpoint tensor name, or null to skip the tensor. */
  String parameterName(String checkpointName);

  /** Names are lmlab's already. */
  WeightMapper IDENTITY = name -> name;
}
