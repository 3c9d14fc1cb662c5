package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.ModelSpec;
import lmlab.models.ModelState;
import lmlab.models.Models;
import lmlab.tensor.Rng;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench mixer-generate}: per-token decoding time of a gla-mini or mamba2-mini sized
 * model (d 192, 6 layers) after contexts of several lengths. The state of a linear-time mixer has
 * a fixed size, so the time per token should not grow with the context (issue #16, acceptance 3). Decoding goes
 * through the model's own step (LanguageModel.newState / step), as lmlab generate does.
 */
@Command(
    name = "mixer-generate",
    mixinStandardHelpOptions = true,
    description = {
      "Per-token decoding time of a mixer model after each --context; prints one JSON line per context:",
      "  {\"bench\":\"mixer-generate\",\"model\":\"gla-mini\",\"context\":1024,",
      "   \"ms_per_token\":..,\"state_bytes\":..}",
      "The context is read in chunks (no timing), then --tokens single-token steps are timed (median of "
          + "--reps).",
      ""
    })
public final class BenchMixerGenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "gla-mini", description = "Any preset with a decoding step (gla-mini, regla-mini, mamba2-mini, ...). Default: ${DEFAULT-VALUE}")
  String preset;

  @Option(names = "--context", split = ",", paramLabel = "N", defaultValue = "1024,4096,16384",
      description = "Comma-separated context lengths. Default: ${DEFAULT-VALUE}")
  List<Integer> contexts;

  @Option(names = "--tokens", paramLabel = "T", defaultValue = "32", description = "Timed steps per sample. Default: ${DEFAULT-VALUE}")
  int tokens;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "5", description = "Timed samples. Default: ${DEFAULT-VALUE}")
  int reps;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--tokens", tokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    for (int c : contexts) if (c < 1) throw new CommandLine.ParameterException(cl, "--context values must be >= 1, got " + c);
    ModelSpec ms;
    try {
      ms = Models.preset(preset);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--preset: " + e.getMessage());
    }
    for (Map<String, Object> row : series(ms, preset, contexts, tokens, reps)) BenchSupport.printJson(cl.getOut(), row);
  }

  /**
   * Per context: the context read in pieces of up to 512 tokens (untimed), then the median over
   * reps of tokens single-token steps; state bytes after them.
   */
  static List<Map<String, Object>> series(ModelSpec ms, String name, List<Integer> contexts, int tokens, int reps) {
    LanguageModel model = ms.newModel(1);
    model.eval();
    int vocab = model.vocabSize();
    Rng rng = new Rng(1);
    List<Map<String, Object>> rows = new java.util.ArrayList<>();
    for (int context : contexts) {
      ModelState state = model.newState(1);
      int done = 0;
      while (done < context) {
        int n = Math.min(512, context - done);
        model.step(state, ids(rng, n, vocab), n);
        done += n;
      }
      Runnable steps = () -> {
        for (int t = 0; t < tokens; t++) model.step(state, ids(rng, 1, vocab), 1);
      };
      double seconds = BenchSupport.medianSeconds(1, reps, steps) / tokens;
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bench", "mixer-generate");
      row.put("model", name);
      row.put("context", context);
      row.put("ms_per_token", BenchSupport.fourDigits(seconds * 1e3));
      row.put("state_bytes", state.bytes());
      row.put("threads", Parallel.threads());
      rows.add(row);
    }
    return rows;
  }

  private static int[] ids(Rng rng, int n, int vocab) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) v[i] = (int) (rng.nextFloat() * vocab) % vocab;
    return v;
  }
}
