package lmlab.cli;

import lmlab.nn.attention.KvFormat;
import picocli.CommandLine;

/** Range checks and parses of flags, failing as picocli usage errors (exit 2) that name the flag. */
final class Flags {
  private Flags() {}

  /** Fails with "FLAG must be >= MIN, got VALUE" unless value >= min. */
  static void atLeast(CommandLine cl, String flag, long value, long min) {
    if (value < min) throw new CommandLine.ParameterException(cl, flag + " must be >= " + min + ", got " + value);
  }

  /** Fails with "FLAG must be in (0, 60], got VALUE" unless 0 < seconds <= 60 (NaN fails too). */
  static void seconds(CommandLine cl, String flag, double seconds) {
    if (!(seconds > 0 && seconds <= 60)) {
      throw new CommandLine.ParameterException(cl, flag + " must be in (0, 60], got " + seconds);
    }
  }

  /**
   * Makes model's attention layers keep their KV caches in format (before any cache is made);
   * "--kv-cache bf16: MODEL has no attention layer (no KV cache)" when a bf16 cache was asked of a
   * model that keeps none.
   */
  static void useKvCache(CommandLine cl, lmlab.nn.Module model, KvFormat format) {
    int layers = lmlab.nn.MultiHeadAttention.useCacheFormat(model, format);
    if (layers == 0 && format != KvFormat.F32) {
      throw new CommandLine.ParameterException(cl, "--kv-cache " + format.label() + ": " + model.getClass().getSimpleName()
          + " has no attention layer (no KV cache)");
    }
  }

  /** --kv-cache's format, or "--kv-cache: 'x' is not a KV cache format; expected f32 or bf16". */
  static KvFormat kvFormat(CommandLine cl, String value) {
    try {
      return KvFormat.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--kv-cache: " + e.getMessage());
    }
  }
}
