package lmlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import lmlab.report.AttentionFigures;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lmlab attention}: attention maps of a trained arithmetic Transformer (grok-attention). */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Attention maps of a trained model on equations: one figure per sample with N_layer x n_q heat maps "
          + "(query rows, key columns, labelled with the tokens, each cell annotated), "
          + "OUT/attention-sample<k>.png (2x) and .svg, and OUT/attention.safetensors with attentions (B, "
          + "N_layer, n_q, S, S) and tokens (B, S).",
      "Default samples: the first two training equations of the run, in split order.",
      ""
    })
public final class AttentionCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "A run directory or a checkpoint directory inside one.")
  Path model;

  @CommandLine.ArgGroup(exclusive = true)
  Input input;

  static final class Input {
    @Option(names = "--samples", paramLabel = "EQS",
        description = "Training equations of the run, comma-separated, e.g. \"3+5,17+28\".")
    String samples;

    @Option(names = "--text", paramLabel = "TOKENS",
        description = "Token sequences of the task's vocabulary, space-separated, comma between sequences, e.g. \"3 + 5 = 8\".")
    String text;
  }

  @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output directory (default: .).")
  Path out;

  @Override
  public void run() {
    try {
      AttentionFigures.Trained t = AttentionFigures.load(model);
      AttentionFigures.Samples s = input == null ? AttentionFigures.firstTraining(t, 2)
          : input.samples != null ? AttentionFigures.parse(t, input.samples) : AttentionFigures.text(t, input.text);
      PrintWriter w = spec.commandLine().getOut();
      for (Path p : AttentionFigures.write(AttentionFigures.maps(t, s), out)) w.println(p);
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(model + ": " + e.getMessage(), e);
    }
  }
}
