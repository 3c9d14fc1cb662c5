package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.nn.Linear;
import lmlab.nn.Quantization;
import lmlab.nn.lora.Lora;
import lmlab.nn.lora.LoraConfig;
import lmlab.nn.lora.LoraTargets;
import lmlab.nn.weights.QuantMethod;
import lmlab.tensor.Arena;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.train.Optimizer;
import lmlab.train.TrainConfig;
import lmlab.train.TrainStep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench finetune}: the course's comparison of full fine-tuning, LoRA and QLoRA on one
 * model (spec lora.md): trainable parameters, weight, gradient and optimizer-state bytes counted
 * from the tensors the step holds, the quantisation error, and the median training step time.
 */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    description = {
      "Measure a fine-tuning step as lmlab finetune makes it (forward, backward, clipping, AdamW on the "
          + "trainable tensors) of a preset model in one mode, on random tokens, dropout 0; prints one JSON "
          + "object:",
      "  {\"bench\":\"finetune\",\"preset\":..,\"mode\":..,\"trainable_parameters\":..,",
      "   \"parameters\":..,\"trainable_percent\":..,\"weight_bytes\":..,",
      "   \"weight_bytes_f32\":..,\"gradient_bytes\":..,\"optimizer_state_bytes\":..,",
      "   \"quantization_error\":..,\"ms_per_step\":..,\"threads\":..}",
      "Modes: full (every parameter trains), lora (rank --lora-rank on --lora-targets, the rest frozen), "
          + "qlora (lora on a base whose Linear weights inside model.layers are quantised by --quantize, "
          + "default nf4-dq). weight_bytes is the engine's own count of what the model holds (quantised "
          + "weights as codes + constants, the rest float32); optimizer_state_bytes counts AdamW's exp_avg "
          + "and exp_avg_sq tensors; quantization_error is ||W - dequant(W~)||_F / ||W||_F over the "
          + "quantised matrices.",
      "Presets: arith-gpt (gpt, V 39, S 6, batch 512), chargpt (V 65, S 128, batch 64).",
      ""
    })
public final class BenchFinetuneCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", required = true, paramLabel = "NAME", converter = BenchTrainCommand.PresetConverter.class,
      description = "arith-gpt or chargpt.")
  BenchTrainCommand.Preset preset;

  @Option(names = "--mode", required = true, paramLabel = "full|lora|qlora", description = "What trains.")
  String mode;

  @Option(names = "--lora-rank", paramLabel = "R", defaultValue = "8", description = "Adapter rank. Default: ${DEFAULT-VALUE}")
  int rank;

  @Option(names = "--lora-targets", paramLabel = "T", defaultValue = "q_proj,v_proj",
      description = "Adapted modules. Default: ${DEFAULT-VALUE}")
  String targets;

  @Option(names = "--quantize", paramLabel = "METHOD", defaultValue = "nf4-dq", description = "qlora's quantiser. Default: ${DEFAULT-VALUE}")
  String quantize;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Timed steps. Default: ${DEFAULT-VALUE}")
  int steps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Untimed steps first. Default: ${DEFAULT-VALUE}")
  int warmup;

  @Option(names = "--batch-size", paramLabel = "B", description = "Override the preset's batch size.")
  Integer batchSize;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--steps", steps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    String m = mode.trim().toLowerCase(Locale.ROOT);
    if (!m.equals("full") && !m.equals("lora") && !m.equals("qlora")) {
      throw new CommandLine.ParameterException(cl, "--mode: '" + mode + "' is not a mode; use full, lora or qlora");
    }
    if (batchSize != null && batchSize < 1) throw new CommandLine.ParameterException(cl, "--batch-size must be >= 1, got " + batchSize);
    int batch = batchSize != null ? batchSize : preset.batch;
    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("vocab_size", Integer.toString(preset.vocab));
    overrides.put("dropout", "0.0");
    LanguageModel model = Models.preset(preset.model, overrides).newModel(0);
    long f32 = Quantization.weightBytes(model);
    Double qerr = null;
    try {
      if (!m.equals("full")) {
        LoraConfig lc = new LoraConfig(rank, rank, 0, false, LoraTargets.parse(targets));
        if (m.equals("qlora")) {
          QuantMethod qm = AdaptedModels.method(cl, quantize, QuantMethod.DEFAULT_BLOCK);
          if (qm == null) throw new CommandLine.ParameterException(cl, "--mode qlora needs a --quantize method");
          Map<String, Tensor> before = model.namedParameters();
          Map<String, Linear> q = Quantization.quantize(model, qm);
          double num = 0;
          double den = 0;
          for (var e : q.entrySet()) {
            float[] w = before.get(e.getKey() + ".weight").toArray();
            float[] d = e.getValue().weights().dense();
            for (int i = 0; i < w.length; i++) {
              num += (double) (w[i] - d[i]) * (w[i] - d[i]);
              den += (double) w[i] * w[i];
            }
          }
          qerr = Math.sqrt(num / den);
        }
        Lora.attach(model, lc, 1);
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage(), e);
    }
    model.train(true);
    Map<String, Tensor> trainable = model.trainableParameters();
    // lmlab finetune trains with lmlab train's defaults (AdamW lr 1e-3, weight decay 1.0, clip 1.0).
    TrainConfig cfg = TrainConfig.defaults();
    Optimizer opt = TrainStep.newOptimizer(cfg, model, trainable);
    List<Tensor> params = List.copyOf(trainable.values());
    Rng rng = new Rng(1);
    IntTensor tokens = random(rng, batch, preset.seq, preset.vocab);
    IntTensor targetsIds = random(rng, batch, preset.seq, preset.vocab);
    Arena arena = new Arena();
    Runnable step = () -> TrainStep.run(arena, () -> Transformer.loss(model.logits(tokens), targetsIds), params, cfg.clip(), opt);
    double seconds = BenchSupport.medianSeconds(warmup, steps, step);
    long n = trainable.values().stream().mapToLong(Tensor::numel).sum();
    long stateBytes = 0;
    for (Tensor t : opt.stateTensors().values()) stateBytes += 4L * t.numel();
    long all = Quantization.parameters(model);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "finetune");
    row.put("preset", preset.label);
    row.put("mode", m);
    row.put("trainable_parameters", n);
    row.put("parameters", all);
    row.put("trainable_percent", BenchSupport.fourDigits(100.0 * n / all));
    row.put("weight_bytes", Quantization.weightBytes(model));
    row.put("weight_bytes_f32", f32);
    row.put("gradient_bytes", 4L * n);
    row.put("optimizer_state_bytes", stateBytes);
    if (qerr != null) row.put("quantization_error", BenchSupport.fourDigits(qerr));
    row.put("ms_per_step", BenchSupport.fourDigits(seconds * 1e3));
    row.put("threads", Parallel.threads());
    row.put("batch", batch);
    row.put("seq", preset.seq);
    BenchSupport.printJson(cl.getOut(), row);
  }

  private static IntTensor random(Rng rng, int b, int s, int v) {
    int[] ids = new int[b * s];
    for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(v);
    return IntTensor.of(ids, b, s);
  }
}
