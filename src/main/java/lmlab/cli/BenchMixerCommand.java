package lmlab.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import lmlab.kernels.Parallel;
import lmlab.nn.Module;
import lmlab.nn.mixers.GlaMixer;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.Mamba2Mixer;
import lmlab.nn.mixers.ReglaMixer;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench mixer}: one GLA, ReGLA or Mamba-2 layer, forward + backward, in the chunked
 * training form against the recurrent form run token by token on autograd ops (issue #16,
 * acceptance 4). Layer sizes default to the lab presets (d 192: gla-mini 4 heads, mamba2-mini
 * head_dim 64, state 64).
 */
@Command(
    name = "mixer",
    mixinStandardHelpOptions = true,
    description = {
      "Measure one mixer layer's forward + backward, chunked against recurrent-with-autograd; prints one "
          + "JSON line:",
      "  {\"bench\":\"mixer\",\"mixer\":\"gla\",\"batch\":8,\"seq\":1024,\"chunk\":64,",
      "   \"chunked_ms\":..,\"recurrent_ms\":..,\"speedup\":..,\"threads\":2}",
      "Times are medians of --reps timed calls (chunked after the adaptive warm-up, recurrent after one call).",
      ""
    })
public final class BenchMixerCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--mixer", paramLabel = "M", defaultValue = "gla", description = "gla, regla or mamba2. Default: ${DEFAULT-VALUE}")
  String mixer;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Batch size. Default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--seq", paramLabel = "S", defaultValue = "1024", description = "Sequence length. Default: ${DEFAULT-VALUE}")
  int seq;

  @Option(names = "--chunk", paramLabel = "L", defaultValue = "16", description = "Chunk length. Default: ${DEFAULT-VALUE}")
  int chunk;

  @Option(names = "--hidden", paramLabel = "D", defaultValue = "192", description = "hidden_size. Default: ${DEFAULT-VALUE}")
  int hidden;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "3", description = "Timed repetitions. Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--no-recurrent", description = "Time only the chunked form")
  boolean noRecurrent;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--batch", batch, 1);
    Flags.atLeast(cl, "--seq", seq, 1);
    Flags.atLeast(cl, "--chunk", chunk, 1);
    Flags.atLeast(cl, "--hidden", hidden, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    Rng rng = new Rng(1);
    Module layer;
    IntFunction<Tensor> forward;
    Tensor x = Tensor.randn(rng, batch, seq, hidden).requiresGrad(true);
    try {
      switch (mixer) {
        case "gla", "regla" -> {
          var c = new LinearAttentionMixer.Config(hidden, 4, 0.5, 1, 1e-6);
          LinearAttentionMixer m = mixer.equals("gla") ? new GlaMixer(c, rng) : new ReglaMixer(c, rng);
          layer = m;
          forward = l -> m.forward(x, null, l).out();
        }
        case "mamba2" -> {
          var c = new Mamba2Mixer.Config(hidden, 64, 2, 64, 2 * hidden / 64, 1, 4, false, true, 1e-5, 0,
              Double.POSITIVE_INFINITY);
          Mamba2Mixer m = new Mamba2Mixer(c, 6, rng);
          layer = m;
          forward = l -> m.forward(x, null, l).out();
        }
        default -> throw new CommandLine.ParameterException(cl, "--mixer must be gla, regla or mamba2, got '" + mixer + "'");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--hidden " + hidden + ": " + e.getMessage());
    }
    Tensor upstream = Tensor.randn(rng, batch, seq, hidden);
    IntFunction<Runnable> fwdBwd = l -> () -> {
      layer.zeroGrad();
      x.zeroGrad();
      forward.apply(l).backward(upstream);
    };
    double chunked = BenchSupport.medianSeconds(3, reps, fwdBwd.apply(chunk));
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "mixer");
    row.put("mixer", mixer);
    row.put("hidden", hidden);
    row.put("batch", batch);
    row.put("seq", seq);
    row.put("chunk", chunk);
    row.put("chunked_ms", BenchSupport.fourDigits(chunked * 1e3));
    if (!noRecurrent) {
      Runnable rec = fwdBwd.apply(0);
      rec.run();
      double recurrent = BenchSupport.medianSeconds(0, reps, rec);
      row.put("recurrent_ms", BenchSupport.fourDigits(recurrent * 1e3));
      row.put("speedup", BenchSupport.fourDigits(recurrent / chunked));
    }
    row.put("threads", Parallel.threads());
    PrintWriter out = cl.getOut();
    BenchSupport.printJson(out, row);
  }
}
