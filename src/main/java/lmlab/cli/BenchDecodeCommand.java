package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.decode.BeamSearch;
import lmlab.decode.Decoder;
import lmlab.decode.Eos;
import lmlab.decode.Greedy;
import lmlab.decode.Sample;
import lmlab.decode.Sampling;
import lmlab.decode.Sequence;
import lmlab.decode.SteppedModel;
import lmlab.decode.Strategy;
import lmlab.decode.TokenSink;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench decode}: what B hypotheses (or samples) cost against greedy decoding of one
 * sequence, all advancing in batched steps, so the cost of B is measured rather than assumed.
 */
@Command(
    name = "decode",
    mixinStandardHelpOptions = true,
    description = {
      "Measure a decoding strategy for each width B against greedy decoding of one sequence: a one-token "
          + "prompt, then --new-tokens steps (no EOS: every run takes every step).",
      "Random weights (seed 1), eval mode. One JSON line for greedy, then one per B:",
      "  {\"bench\":\"decode\",\"preset\":..,\"strategy\":..,\"beams\":B,\"new_tokens\":T,",
      "   \"seconds\":..,\"ms_per_step\":..,\"tokens_per_s\":..,\"row_tokens_per_s\":..,",
      "   \"ratio_to_greedy\":..,\"cpu_seconds\":..,\"cpu_ratio_to_greedy\":..,",
      "   \"state_bytes\":..,\"threads\":..}",
      "Every width is warmed up, then timed in --reps rounds, each running greedy and every B once, one "
          + "after another, so a ratio compares runs of the same seconds on a shared machine.",
      "ms_per_step = median run time / T (a step advances all B rows: one reorder of their states and one "
          + "batched step); tokens_per_s = T / time (the positions of the answer per second); "
          + "row_tokens_per_s = B x T / time; ratio_to_greedy = the median over rounds of time / greedy's "
          + "time in the same round. cpu_seconds: the process's CPU time (all threads) of a run, median, "
          + "steadier than wall time when other jobs share the machine; cpu_ratio_to_greedy is its ratio, "
          + "paired by round the same way.",
      "A learned position table shorter than the run is extended to it.",
      ""
    })
public final class BenchDecodeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", required = true, paramLabel = "NAME",
      description = "A model preset (Transformer or recurrent): gpt, chargpt, gpt2, llama, qwen2, lstm-lm, ...")
  String preset;

  @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "beam",
      description = "beam or sample (B samples). Default: ${DEFAULT-VALUE}")
  String strategy;

  @Option(names = "--beams", paramLabel = "B,B,...", defaultValue = "1,2,4,8", split = ",",
      description = "The widths to measure. Default: ${DEFAULT-VALUE}")
  List<Integer> beams;

  @Option(names = "--new-tokens", paramLabel = "T", defaultValue = "255",
      description = "Steps after the one-token prompt. Default: ${DEFAULT-VALUE}")
  int newTokens;

  @Option(names = "--reps", paramLabel = "N", defaultValue = "7",
      description = "Timed rounds (each runs greedy and every width once). Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "2",
      description = "Least untimed runs first (more until the speed settles; 0 skips). Default: ${DEFAULT-VALUE}")
  int warmup;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--new-tokens", newTokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    for (int b : beams) Flags.atLeast(cl, "--beams", b, 1);
    Strategy s;
    try {
      s = Strategy.parse(strategy);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--strategy: " + e.getMessage());
    }
    if (s != Strategy.BEAM && s != Strategy.SAMPLE) {
      throw new CommandLine.ParameterException(cl, "--strategy " + s.label() + ": bench decode measures beam or sample");
    }
    LanguageModel model = model(cl);
    model.eval();
    SteppedModel lm = new SteppedModel(new Decoder(model));
    int[] prompt = {0};
    int widths = beams.size() + 1;
    long[] stateBytes = new long[widths];
    Runnable[] runs = new Runnable[widths];
    runs[0] = () -> {
      Sequence q = Greedy.search(lm, prompt, newTokens, Eos.NONE, TokenSink.NONE);
      if (q.length() != newTokens) throw new IllegalStateException("greedy generated " + q.length());
      stateBytes[0] = lm.decoder().bytes();
    };
    for (int w = 1; w < widths; w++) {
      int b = beams.get(w - 1);
      int at = w;
      runs[w] = () -> {
        List<Sequence> r = s == Strategy.BEAM
            ? BeamSearch.search(lm, prompt, newTokens, Eos.NONE, b, 0)
            : Sample.generate(lm, prompt, newTokens, Eos.NONE, Sampling.plain(1), b, TokenSink.NONE);
        if (r.get(0).length() != newTokens) throw new IllegalStateException(s.label() + " generated " + r.get(0).length());
        stateBytes[at] = lm.decoder().bytes();
      };
    }
    for (Runnable r : runs) BenchSupport.warmUp(warmup, r);
    // rounds: greedy and every B once each, one after another, so each ratio compares runs of the
    // same seconds (timed width by width, a machine that slowed between greedy's runs and B = 8's
    // moved the ratio by as much as the change being measured)
    double[][] wall = new double[widths][reps];
    double[][] cpu = new double[widths][reps];
    ProcessCpuClock.nanos(); // its first call links clock_gettime: not inside a timed run
    for (int rep = 0; rep < reps; rep++) {
      for (int w = 0; w < widths; w++) {
        long c0 = ProcessCpuClock.nanos();
        long t0 = System.nanoTime();
        runs[w].run();
        wall[w][rep] = (System.nanoTime() - t0) / 1e9;
        cpu[w][rep] = (ProcessCpuClock.nanos() - c0) / 1e9;
      }
    }
    for (int w = 0; w < widths; w++) {
      print(cl, w == 0 ? Strategy.GREEDY : s, w == 0 ? 1 : beams.get(w - 1), BenchSupport.median(wall[w]),
          BenchSupport.pairedRatio(wall[w], wall[0]), BenchSupport.median(cpu[w]), BenchSupport.pairedRatio(cpu[w], cpu[0]), stateBytes[w]);
    }
  }

  private void print(CommandLine cl, Strategy s, int b, double seconds, double ratio, double cpuSeconds,
      double cpuRatio, long stateBytes) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "decode");
    row.put("preset", preset);
    row.put("strategy", s.label());
    row.put("beams", b);
    row.put("new_tokens", newTokens);
    row.put("seconds", BenchSupport.fourDigits(seconds));
    row.put("ms_per_step", BenchSupport.fourDigits(seconds * 1e3 / newTokens));
    row.put("tokens_per_s", BenchSupport.fourDigits(newTokens / seconds));
    row.put("row_tokens_per_s", BenchSupport.fourDigits((double) b * newTokens / seconds));
    row.put("ratio_to_greedy", BenchSupport.fourDigits(ratio));
    row.put("cpu_seconds", BenchSupport.fourDigits(cpuSeconds));
    row.put("cpu_ratio_to_greedy", BenchSupport.fourDigits(cpuRatio));
    row.put("state_bytes", stateBytes);
    row.put("threads", Parallel.threads());
    BenchSupport.printJson(cl.getOut(), row);
  }

  /** The preset with dropout off (a Transformer's learned position table extended to the run). */
  private LanguageModel model(CommandLine cl) {
    try {
      if (Models.RECURRENT_MODEL_TYPES.contains(preset)) return Models.fromPreset(preset, Map.of(), 1L);
      TransformerConfig config = TransformerConfig.builder(preset).set("dropout", 0.0).build();
      if (config.position() == TransformerConfig.Position.LEARNED && config.maxPositionEmbeddings() < newTokens + 1) {
        config = config.toBuilder().set("max_position_embeddings", newTokens + 1).build();
      }
      return new Transformer(config, 1L);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--preset: " + e.getMessage());
    }
  }
}
