package lmlab.cli;

import lmlab.nn.Module;
import lmlab.nn.MultiHeadAttention;
import lmlab.nn.attention.KvFormat;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --kv-cache} of the commands that decode (a picocli mixin): the format the model's KV
 * caches keep their keys and values in ({@link KvFormat}), float32 unless asked.
 */
final class KvCacheOption {
  @Option(names = "--kv-cache", paramLabel = "FORMAT", defaultValue = "f32",
      description = "KV cache format: f32 (exact) or bf16 (keys and values rounded to bfloat16 as they are cached: "
          + "half the cache's memory and of the bytes attention reads per step). Default: ${DEFAULT-VALUE}")
  String value;

  /** The format, or "--kv-cache: 'x' is not a KV cache format; expected f32 or bf16" (a usage error). */
  KvFormat format(CommandLine cl) {
    try {
      return KvFormat.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--kv-cache: " + e.getMessage());
    }
  }

  /**
   * Makes model's attention layers keep their KV caches in the format (before any cache is made)
   * and returns it; "--kv-cache bf16: MODEL has no attention layer (no KV cache)" when a bf16 cache
   * was asked of a model that keeps none.
   */
  KvFormat applyTo(CommandLine cl, Module model) {
    KvFormat format = format(cl);
    if (MultiHeadAttention.useCacheFormat(model, format) == 0 && format != KvFormat.F32) {
      throw new CommandLine.ParameterException(cl, "--kv-cache " + format.label() + ": "
          + model.getClass().getSimpleName() + " has no attention layer (no KV cache)");
    }
    return format;
  }
}
