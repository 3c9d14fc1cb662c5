package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.Quantization;
import lmlab.nn.lora.PeftAdapter;
import lmlab.nn.weights.QuantMethod;
import lmlab.train.RunDirectory;
import picocli.CommandLine;

/**
 * A base checkpoint as the LoRA commands load it (spec lora.md): the model, then optionally its
 * Linear weights inside model.layers quantised ({@code --quantize}, QLoRA's base), then
 * optionally a PEFT adapter directory on top ({@code --adapter}). Errors are one line naming the
 * directory, file, method or module.
 */
final class AdaptedModels {
  private AdaptedModels() {}

  /** The method of --quantize, null for "none" (or no flag); a bad name is a usage error. */
  static QuantMethod method(CommandLine cl, String quantize, int blockSize) {
    if (quantize == null || quantize.trim().equalsIgnoreCase("none")) return null;
    try {
      return QuantMethod.parse(quantize, blockSize);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--quantize: " + e.getMessage());
    }
  }

  /** The checkpoint --model names: the directory itself, or a run's best checkpoint, else its latest. */
  static Path modelDir(Path model) {
    try {
      return RunDirectory.modelCheckpoint(model, RunDirectory.BEST, RunDirectory.LATEST);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model " + e.getMessage(), e);
    }
  }

  /** The adapter --adapter names: a PEFT directory, or a LoRA fine-tuning run's best adapter, else its latest. */
  static Path adapterDir(Path adapter) {
    try {
      return RunDirectory.adapterCheckpoint(adapter, RunDirectory.BEST, RunDirectory.LATEST);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--adapter " + e.getMessage(), e);
    }
  }

  static LanguageModel load(CommandLine cl, Path model, QuantMethod method, Path adapter) {
    LanguageModel m;
    model = modelDir(model);
    if (adapter != null) adapter = adapterDir(adapter);
    try {
      m = Models.load(model);
      if (method != null && Quantization.quantize(m, method).isEmpty()) {
        throw new CommandLine.ParameterException(cl, "--quantize: " + model + " has no Linear inside model.layers to quantise");
      }
      if (adapter != null) PeftAdapter.load(m, adapter);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    return m;
  }
}
