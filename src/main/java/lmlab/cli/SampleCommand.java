package lmlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import lmlab.decode.Sampling;
import lmlab.lab.text.CharGeneration;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tokenize.CharTokenizer;
import lmlab.train.RunDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab sample}: characters from a text-task checkpoint (text.md), as the run's samples are
 * drawn: decoding.md sampling (logits / τ, top-k, softmax, a seeded draw), the context the last
 * S_max characters as minGPT's generate. The prompt is printed, then each character as it is drawn.
 */
@Command(
    name = "sample",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Sample characters from a text-task checkpoint (a run directory or a checkpoint with vocab.json); "
          + "prints the prompt, then each character as it is generated.",
      ""
    })
public final class SampleCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "A text run directory (its checkpoints/latest) or a checkpoint directory with vocab.json.")
  Path model;

  @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt (characters of the vocabulary).")
  String prompt;

  @Option(names = "--chars", paramLabel = "N", defaultValue = "500", description = "Characters to generate. Default: ${DEFAULT-VALUE}")
  int chars;

  @Option(names = "--temperature", paramLabel = "TAU", defaultValue = "1.0", description = "logits / TAU. Default: ${DEFAULT-VALUE}")
  double temperature;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "10", description = "Keep the K most likely (0: off). Default: ${DEFAULT-VALUE}")
  int topK;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "3407", description = "Seed of the draws. Default: ${DEFAULT-VALUE}")
  long seed;

  @Override
  public Integer call() throws IOException {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--chars", chars, 0);
    Flags.atLeast(cl, "--top-k", topK, 0);
    Sampling sampling;
    try {
      sampling = new Sampling(temperature, topK, 1.0, 0.0, 1.0, seed);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--temperature " + temperature + ": must be a finite number > 0");
    }
    Path dir = checkpoint(model);
    Path vocabFile = dir.resolve("vocab.json");
    if (!Files.isRegularFile(vocabFile)) {
      throw new IllegalArgumentException(dir + " has no vocab.json; expected a text-task checkpoint (lmlab train --task text)");
    }
    CharTokenizer vocab = CharTokenizer.read(vocabFile);
    int[] ids = CharGeneration.encodePrompt(vocab, prompt, vocabFile.toString());
    LanguageModel lm = Models.load(dir);
    if (lm.vocabSize() != vocab.vocabSize()) {
      throw new IllegalArgumentException(dir + ": the model has " + lm.vocabSize() + " tokens but vocab.json "
          + vocab.vocabSize() + " characters");
    }
    int context = lm.config().path("max_position_embeddings").asInt(Integer.MAX_VALUE);
    PrintWriter out = cl.getOut();
    out.print(prompt);
    out.flush();
    CharGeneration.generate(lm, context, ids, chars, sampling, id -> {
      out.print(vocab.piece(id));
      out.flush();
    });
    out.println();
    out.flush();
    return 0;
  }

  /** DIR itself when it holds a model, else a run's checkpoints/latest. */
  static Path checkpoint(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--model " + dir + ": no such directory");
    return RunDirectory.modelCheckpoint(dir, RunDirectory.LATEST);
  }
}
