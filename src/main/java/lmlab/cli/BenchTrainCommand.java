package lmlab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.analysis.FlopCounter;
import lmlab.autograd.Autograd;
import lmlab.kernels.Parallel;
import lmlab.lab.Tasks;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.tensor.Arena;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.train.Optimizer;
import lmlab.train.TrainConfig;
import lmlab.train.TrainStep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench train}: the time of one full training step as {@code lmlab train} makes it
 * ({@link TrainStep}: forward with the preset's dropout, next-token cross-entropy over all B·S
 * positions, backward, clipping and AdamW with the task's default settings) on random tokens, the
 * median over --steps steps after --warmup untimed ones.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Measure one training step as lmlab train makes it (forward with the model's dropout, backward, "
          + "clipping, AdamW with the task's default settings: the arith task's for arith-*, the text task's "
          + "for chargpt) on random tokens; prints one JSON object:",
      "  {\"bench\":\"train\",\"preset\":..,\"ms_per_step\":..,\"tokens_per_s\":..,",
      "   \"threads\":..,\"optimizer_ms\":..,\"alloc_mb_per_step\":..,\"step_gflop\":..,",
      "   \"gflops\":..,\"batch\":..,\"seq\":..,\"vocab\":..,\"parameters\":..}",
      "Presets:",
      "  arith-gpt    gpt, V 39, S 6, batch 512",
      "  arith-lstm   lstm-lm (L 2, d 128), V 39, S 6, batch 512",
      "  chargpt      chargpt, V 65, S 128, batch 64",
      "  mamba2-lab   mamba2-lab (the arithmetic lab's Mamba-2), V 39, S 6, batch 480",
      "               (one epoch)",
      "  mamba2-mini, gla-mini, regla-mini",
      "               V 65, S 128, batch 64 (the text task's settings)",
      "ms_per_step is the median after warm-up; tokens_per_s = batch * seq / step time; optimizer_ms is "
          + "the median of the AdamW update alone (part of the step); alloc_mb_per_step is the heap one step "
          + "still allocates (the step's activations and gradients are reused from the previous step, as in "
          + "lmlab train); step_gflop is 3 x the matrix-product FLOPs of the forward pass (counted as lmlab "
          + "analyze --check does), gflops = step_gflop / step time (compare with lmlab bench peak).",
      "With --with-peak: bench peak's rows (\"when\":\"before\"/\"after\") around the steps, and the train "
          + "row adds peak_gflops (the best reading) and of_peak = gflops / peak_gflops.",
      ""
    })
public final class BenchTrainCommand implements Runnable {
  enum Preset {
    ARITH_GPT("arith-gpt", "gpt", "arith", 39, 6, 512),
    ARITH_LSTM("arith-lstm", "lstm-lm", "arith", 39, 6, 512),
    CHARGPT("chargpt", "chargpt", "text", 65, 128, 64),
    MAMBA2_LAB("mamba2-lab", "mamba2-lab", "arith", 39, 6, 480),
    MAMBA2_MINI("mamba2-mini", "mamba2-mini", "text", 65, 128, 64),
    GLA_MINI("gla-mini", "gla-mini", "text", 65, 128, 64),
    REGLA_MINI("regla-mini", "regla-mini", "text", 65, 128, 64);

    final String label, model, task;
    final int vocab, seq, batch;

    Preset(String label, String model, String task, int vocab, int seq, int batch) {
      this.label = label;
      this.model = model;
      this.task = task;
      this.vocab = vocab;
      this.seq = seq;
      this.batch = batch;
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", required = true, paramLabel = "NAME", converter = PresetConverter.class,
      description = "arith-gpt, arith-lstm, chargpt, mamba2-lab, mamba2-mini, gla-mini or regla-mini.")
  Preset preset;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Timed steps. Default: ${DEFAULT-VALUE}")
  int steps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Untimed steps first. Default: ${DEFAULT-VALUE}")
  int warmup;

  @Option(names = "--batch-size", paramLabel = "B", description = "Override the preset's batch size.")
  Integer batchSize;

  @CommandLine.Mixin PeakOptions peak;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--steps", steps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    peak.check(cl);
    if (batchSize != null && batchSize < 1) {
      throw new CommandLine.ParameterException(cl, "--batch-size must be >= 1, got " + batchSize);
    }
    int batch = batchSize != null ? batchSize : preset.batch;
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("vocab_size", Integer.toString(preset.vocab));
    if (preset == Preset.ARITH_LSTM) {
      overrides.put("num_hidden_layers", "2");
      overrides.put("hidden_size", "128");
      overrides.put("embedding_size", "128");
    }
    LanguageModel model = Models.preset(preset.model, overrides).newModel(0);
    model.train(true);
    // The task's default train settings (optimizer, betas, weight decay and what it decays, clipping).
    TrainConfig cfg = TrainConfig.fromJson(new ObjectMapper().valueToTree(Tasks.get(preset.task).trainDefaults()));
    var trainable = model.trainableParameters();
    Optimizer opt = TrainStep.newOptimizer(cfg, model, trainable);
    var params = List.copyOf(trainable.values());
    Rng rng = new Rng(1);
    IntTensor tokens = random(rng, batch, preset.seq, preset.vocab);
    IntTensor targets = random(rng, batch, preset.seq, preset.vocab);
    Arena arena = new Arena(); // as in Trainer: each step reuses the previous step's buffers
    Runnable step = () -> TrainStep.run(arena, () -> Transformer.loss(model.logits(tokens), targets), params, cfg.clip(), opt);
    peak.read(cl.getOut(), "before");
    double seconds = BenchSupport.medianSeconds(warmup, steps, step);
    double optSeconds = BenchSupport.medianSeconds(0, steps, opt::step); // the AdamW update alone
    long alloc = BenchSupport.allocatedPerCall(3, step);
    // Work per step: the forward pass's matrix products counted by the analyser's instrumented run,
    // times 3 (backward computes two products of the same size per product: dX and dW).
    long forwardFlops;
    try (var g = Autograd.noGrad(); FlopCounter c = FlopCounter.open(model)) {
      model.logits(tokens);
      forwardFlops = c.total();
    }
    double stepFlops = 3.0 * forwardFlops;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "train");
    row.put("preset", preset.label);
    row.put("ms_per_step", BenchSupport.fourDigits(seconds * 1e3));
    row.put("tokens_per_s", BenchSupport.fourDigits(batch * preset.seq / seconds));
    row.put("optimizer_ms", BenchSupport.fourDigits(optSeconds * 1e3));
    row.put("alloc_mb_per_step", BenchSupport.fourDigits(alloc / 1e6));
    row.put("step_gflop", BenchSupport.fourDigits(stepFlops / 1e9));
    row.put("gflops", BenchSupport.fourDigits(stepFlops / seconds / 1e9));
    peak.read(cl.getOut(), "after");
    peak.addRatio(row, stepFlops / seconds / 1e9);
    row.put("threads", Parallel.threads());
    row.put("batch", batch);
    row.put("seq", preset.seq);
    row.put("vocab", preset.vocab);
    row.put("parameters", model.numParameters());
    BenchSupport.printJson(cl.getOut(), row);
  }

  private static IntTensor random(Rng rng, int b, int s, int v) {
    int[] ids = new int[b * s];
    for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(v);
    return IntTensor.of(ids, b, s);
  }

  static final class PresetConverter implements CommandLine.ITypeConverter<Preset> {
    @Override
    public Preset convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      for (Preset p : Preset.values()) if (p.label.equals(v)) return p;
      throw new CommandLine.TypeConversionException("'" + value + "' is not a bench preset: use arith-gpt, arith-lstm, "
          + "chargpt, mamba2-lab, mamba2-mini, gla-mini or regla-mini");
    }
  }
}
