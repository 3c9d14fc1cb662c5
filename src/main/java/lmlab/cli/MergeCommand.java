package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.nn.ModuleCheckpoint;
import lmlab.nn.lora.Lora;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab merge}: a base checkpoint plus a LoRA adapter written as one plain checkpoint with
 * W' = W + s·B A in every adapted Linear (spec lora.md: a quantised base merges into dense float32
 * weights and is not re-quantised).
 */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Merge a LoRA adapter into its base: writes a plain checkpoint (config.json + model.safetensors, "
          + "float32) whose adapted Linear weights are W + s·B·A.",
      "Exit codes: 1 when the base or the adapter cannot be used, 2 for usage errors.",
      ""
    })
public final class MergeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The base checkpoint directory, or a run directory (its best checkpoint, else its latest).")
  Path model;

  @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "A PEFT LoRA adapter directory for that base, or a LoRA fine-tuning run (its best adapter, else its latest).")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The merged checkpoint directory (written atomically).")
  Path out;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    model = AdaptedModels.modelDir(model);
    LanguageModel m = AdaptedModels.load(cl, model, null, adapter);
    int merged = Lora.mergeAll(m);
    try {
      ModuleCheckpoint.save(out, Checkpoint.readConfig(model), m);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    cl.getErr().println("lmlab merge: " + merged + " adapted Linear modules merged into " + out);
    cl.getOut().println(out);
  }
}
