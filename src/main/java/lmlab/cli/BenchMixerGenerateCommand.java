package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.kernels.Parallel;
import lmlab.models.GlaLm;
import lmlab.models.Mamba2Lm;
import lmlab.models.MixerModels;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.Mamba2Mixer;
import lmlab.nn.mixers.MixerState;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench mixer-generate}: per-token decoding time of a gla-mini or mamba2-mini sized
 * model (d 192, 6 layers) after contexts of several lengths. The state of a linear-time mixer has
 * a fixed size, so the time per token should not grow with the context (issue #16, acceptance 3).
 */
@Command(
    name = "mixer-generate",
    mixinStandardHelpOptions = true,
    description = {
      "Per-token decoding time of a mixer model after each --context; prints one JSON line per context:",
      "  {\"bench\":\"mixer-generate\",\"model\":\"gla-mini\",\"context\":1024,\"ms_per_token\":..,\"state_bytes\":..}",
      "The context is read in chunks (no timing), then --tokens single-token steps are timed (median of --reps)."
    })
public final class BenchMixerGenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", paramLabel = "NAME", defaultValue = "gla-mini", description = "gla-mini or mamba2-mini. Default: ${DEFAULT-VALUE}")
  String preset;

  @Option(names = "--context", split = ",", paramLabel = "N", defaultValue = "1024,4096,16384",
      description = "Comma-separated context lengths. Default: ${DEFAULT-VALUE}")
  List<Integer> contexts;

  @Option(names = "--tokens", paramLabel = "T", defaultValue = "32", description = "Timed steps per sample. Default: ${DEFAULT-VALUE}")
  int tokens;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "5", description = "Timed samples. Default: ${DEFAULT-VALUE}")
  int reps;

  /** A model's step over its states. */
  private interface Stepper {
    MixerModels.Result step(List<MixerState> states, IntTensor tokens);
  }

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--tokens", tokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    for (int c : contexts) if (c < 1) throw new CommandLine.ParameterException(cl, "--context values must be >= 1, got " + c);
    Rng rng = new Rng(1);
    int vocab = 65;
    Stepper model;
    switch (preset) {
      case "gla-mini" -> {
        var layer = new LinearAttentionMixer.Config(192, 4, 0.5, 1, 1e-6);
        GlaLm m = new GlaLm(new GlaLm.Spec(false, vocab, 6, layer, GlaLm.Spec.derivedIntermediateSize(192, 4), false), rng);
        model = m::step;
      }
      case "mamba2-mini" -> {
        var layer = new Mamba2Mixer.Config(192, 64, 2, 64, 6, 1, 4, false, true, 1e-5, 0, Double.POSITIVE_INFINITY);
        Mamba2Lm m = new Mamba2Lm(new Mamba2Lm.Spec(vocab, 6, layer, false), rng);
        model = m::step;
      }
      default -> throw new CommandLine.ParameterException(cl, "--preset must be gla-mini or mamba2-mini, got '" + preset + "'");
    }
    for (int context : contexts) {
      List<MixerState> states = null;
      int done = 0;
      while (done < context) { // read the context in pieces of up to 512 tokens
        int n = Math.min(512, context - done);
        states = model.step(states, ids(rng, n, vocab)).states();
        done += n;
      }
      @SuppressWarnings("unchecked") List<MixerState>[] holder = new List[] {states};
      Runnable steps = () -> {
        for (int t = 0; t < tokens; t++) holder[0] = model.step(holder[0], ids(rng, 1, vocab)).states();
      };
      double seconds = BenchSupport.medianSeconds(1, reps, steps) / tokens;
      long bytes = holder[0].stream().mapToLong(MixerState::bytes).sum();
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bench", "mixer-generate");
      row.put("model", preset);
      row.put("context", context);
      row.put("ms_per_token", BenchSupport.fourDigits(seconds * 1e3));
      row.put("state_bytes", bytes);
      row.put("threads", Parallel.threads());
      BenchSupport.printJson(cl.getOut(), row);
    }
  }

  private static IntTensor ids(Rng rng, int n, int vocab) {
    int[] v = new int[n];
    for (int i = 0; i < n; i++) v[i] = (int) (rng.nextFloat() * vocab) % vocab;
    return IntTensor.of(v, 1, n);
  }
}
