package lmlab.cli;

import lmlab.nn.WeightFormats;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --weights} of the commands that decode (a picocli mixin): the format the weight matrices
 * and the token embedding are kept in while decoding ({@link WeightFormats}), float32 unless asked.
 */
final class WeightsOption {
  @Option(names = "--weights", paramLabel = "FORMAT", defaultValue = "f32",
      description = "Weight format in memory: f32 (exact) or bf16 (Transformers: weight matrices and embedding in "
          + "bfloat16, rounded to nearest even or memory-mapped when the file stores them so: half the bytes "
          + "a decoding step reads). Default: ${DEFAULT-VALUE}")
  String value;

  /** The format, or "--weights: weights 'x' is not a format; expected f32 or bf16" (a usage error). */
  WeightFormats format(CommandLine cl) {
    try {
      return WeightFormats.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--weights: " + e.getMessage());
    }
  }
}
