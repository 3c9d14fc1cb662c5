package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lmlab.lab.LabTask;
import lmlab.lab.TaskType;
import lmlab.lab.Tasks;
import lmlab.models.ModelSpec;
import lmlab.models.Models;
import lmlab.nn.lora.LoraConfig;
import lmlab.nn.lora.LoraTargets;
import lmlab.nn.weights.QuantMethod;
import lmlab.runs.RunSpec;
import lmlab.train.Finetune;
import lmlab.train.RunDirectory;
import lmlab.train.TrainConfig;
import lmlab.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab finetune}: fine-tunes a base checkpoint on a task with the trainer (run directory,
 * metrics, checkpoints, resume): full fine-tuning, LoRA ({@code --lora-rank}) or QLoRA (with
 * {@code --quantize}). With adapters the checkpoints hold the adapter only, as PEFT directories
 * naming the base, so {@code lmlab forward --model BASE --adapter RUN/checkpoints/best} runs it.
 */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Fine-tune a base checkpoint on a task (spec lora.md).",
      "Without --lora-rank: full fine-tuning (every parameter trains). With --lora-rank R: LoRA adapters "
          + "on --lora-targets, everything else frozen (no gradient, no optimizer state); with --quantize as "
          + "well, QLoRA: every Linear weight inside model.layers is quantised once and held as codes + "
          + "constants. Writes runs/<name>/ as lmlab train does; checkpoints/latest and best hold the "
          + "adapter only (a PEFT adapter directory whose adapter_config.json names the base) plus the "
          + "trainer's state.",
      "Training defaults as lmlab train (the course starter's); the task must use the base's vocabulary. "
          + "--resume DIR continues a run exactly.",
      "Exit codes: 0 done, 1 error or non-finite loss, 2 usage, 130 interrupted.",
      ""
    })
public final class FinetuneCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", paramLabel = "DIR",
      description = "The base checkpoint directory (lmlab, quantised or Hugging Face), or a training run's "
          + "directory: its checkpoints/best, else checkpoints/latest.")
  Path base;

  // ---- adapters
  @Option(names = "--lora-rank", paramLabel = "R", description = "LoRA rank r >= 1 (omit for full fine-tuning).")
  Integer loraRank;

  @Option(names = "--lora-alpha", paramLabel = "A", description = "lora_alpha (default r: scaling 1).")
  Double loraAlpha;

  @Option(names = "--lora-targets", paramLabel = "T",
      description = "q_proj,v_proj (default; module name suffixes), all-linear, or a regex over module paths.")
  String loraTargets;

  @Option(names = "--lora-dropout", paramLabel = "P", description = "Dropout on the adapter input (default 0).")
  double loraDropout;

  @Option(names = "--rslora", description = "Rank-stabilised scaling alpha/sqrt(r).")
  boolean rslora;

  @Option(names = "--quantize", paramLabel = "METHOD",
      description = "Quantise the base (QLoRA): none (default), nf4, nf4-dq, int8, intM, absmax-mM, blockwise-mM.")
  String quantize;

  @Option(names = "--block-size", paramLabel = "B", description = "Block size of the block-wise quantisers (default 64).")
  int blockSize = QuantMethod.DEFAULT_BLOCK;

  // ---- task
  @Option(names = "--task", paramLabel = "NAME", description = "Task (default arith).") String task;
  @Option(names = "--p", paramLabel = "P", description = "Operands 0 .. p-1 (default 31).") Integer p;
  @Option(names = "--q", paramLabel = "Q", description = "Modulus (default p).") Integer q;
  @Option(names = "--operator", paramLabel = "OP", description = "+ - * / (default +).") String operator;
  @Option(names = "--orders", paramLabel = "2|3|2,3", description = "Equation orders (default 2).") String orders;
  @Option(names = "--r-train", paramLabel = "R", description = "Training fraction (default 0.5).") Double rTrain;
  @Option(names = "--data-seed", paramLabel = "S", description = "Seed of the split (default: --seed).") Long dataSeed;

  // ---- training
  @Option(names = "--steps", paramLabel = "T", description = "Steps (default 10001).") Long steps;
  @Option(names = "--batch-size", paramLabel = "B", description = "Batch size (default 512).") Integer batchSize;
  @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (default 1e-3).") Double lr;
  @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay (default 1.0).") Double weightDecay;
  @Option(names = "--optimizer", paramLabel = "NAME", description = "adamw (default) or sgd.") String optimizer;
  @Option(names = "--clip", paramLabel = "NORM", description = "Gradient clipping norm (default 1.0; 0 off).") Double clip;
  @Option(names = "--eval-period", paramLabel = "N", description = "Evaluate every N steps (default 100).") Integer evalPeriod;
  @Option(names = "--eval-first", paramLabel = "N", description = "Also evaluate steps 1 .. N (default 100).") Integer evalFirst;
  @Option(names = "--checkpoint-period", paramLabel = "N", description = "Checkpoint every N steps.") Integer checkpointPeriod;
  @Option(names = "--seed", paramLabel = "S", description = "Seed of the adapters' init and the batches (default 0).") Long seed;
  @Option(names = "--stop-at", paramLabel = "V", description = "Stop once the monitored metric (arith: val_acc) reaches V.") Double stopAt;

  // ---- run
  @Option(names = "--run-name", paramLabel = "NAME", description = "Run directory name.") String runName;
  @Option(names = "--runs-dir", paramLabel = "DIR", description = "Where run directories go (default runs).") Path runsDir;
  @Option(names = "--resume", paramLabel = "DIR", description = "Continue the fine-tuning run in DIR from its latest checkpoint.") Path resume;

  @Override
  public Integer call() throws IOException {
    CommandLine cl = spec.commandLine();
    Trainer trainer = resume != null ? resumeRun(cl) : newRun(cl);
    return TrainCommand.runWithSignals(cl, trainer);
  }

  private Trainer newRun(CommandLine cl) throws IOException {
    if (base == null) throw new CommandLine.ParameterException(cl, "give the base: --model DIR (or --resume DIR)");
    try { // a run directory stands for its best checkpoint, else its latest (as lmlab generate reads it)
      base = RunDirectory.modelCheckpoint(base, RunDirectory.BEST, RunDirectory.LATEST);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--model " + e.getMessage(), e);
    }
    Finetune setup = setup(cl);
    ModelSpec model;
    try {
      model = Models.readConfig(base);
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    Map<String, Object> taskSettings = new LinkedHashMap<>();
    put(taskSettings, "p", p);
    put(taskSettings, "q", q);
    put(taskSettings, "operator", operator);
    put(taskSettings, "orders", orders);
    put(taskSettings, "r_train", rTrain);
    put(taskSettings, "data_seed", dataSeed);
    ObjectNode t = JSON.createObjectNode();
    putJson(t, "steps", steps);
    putJson(t, "batch_size", batchSize);
    putJson(t, "lr", lr);
    putJson(t, "weight_decay", weightDecay);
    putJson(t, "optimizer", optimizer);
    putJson(t, "clip", clip);
    putJson(t, "eval_period", evalPeriod);
    putJson(t, "eval_first", evalFirst);
    putJson(t, "checkpoint_period", checkpointPeriod);
    putJson(t, "seed", seed);
    putJson(t, "stop_at", stopAt);
    TrainConfig train;
    LabTask labTask;
    TaskType type;
    try {
      train = TrainConfig.fromJson(t);
      type = Tasks.get(task != null ? task : Tasks.defaultType().name());
      labTask = type.create(taskSettings, train.seed());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage(), e);
    }
    if (labTask.vocabSize() != model.vocabSize()) {
      throw new CommandLine.ParameterException(cl, "--task " + type.name() + " needs vocab_size " + labTask.vocabSize() + " ("
          + labTask.vocabularyNote() + "), but the base " + base + " has " + model.vocabSize());
    }
    String name = runName != null ? runName
        : base.getFileName() + "-" + setup.mode() + "-" + labTask.runLabel() + "-s" + train.seed() + "-"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = (runsDir != null ? runsDir : Path.of("runs")).resolve(name);
    ObjectNode runConfig = JSON.createObjectNode();
    runConfig.put("name", dir.getFileName().toString());
    runConfig.putObject("model").put("base", base.toString());
    ObjectNode taskNode = runConfig.putObject("task");
    taskNode.put("name", labTask.name());
    taskNode.setAll((ObjectNode) JSON.valueToTree(labTask.describe()));
    runConfig.set("finetune", setup.toJson());
    Trainer trainer;
    try {
      trainer = Trainer.start(dir, runConfig, model, labTask, train, setup);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    var trainable = trainer.model().trainableParameters();
    long n = trainable.values().stream().mapToLong(x -> x.numel()).sum();
    long all = lmlab.nn.Quantization.parameters(trainer.model()); // a quantised base's weights count too
    cl.getErr().printf(Locale.ROOT, "lmlab finetune: %s of %s (%s): %,d trainable parameters of %,d (%.2f%%), weight bytes %,d, "
        + "on %s, %d steps -> %s%n", setup.mode(), base, model.type().label(), n, all, 100.0 * n / all,
        lmlab.nn.Quantization.weightBytes(trainer.model()), labTask, train.steps(), dir);
    return trainer;
  }

  private Finetune setup(CommandLine cl) {
    QuantMethod method = AdaptedModels.method(cl, quantize, blockSize);
    LoraConfig lora = null;
    try {
      if (loraRank != null) {
        lora = new LoraConfig(loraRank, loraAlpha != null ? loraAlpha : loraRank, loraDropout, rslora,
            loraTargets != null ? LoraTargets.parse(loraTargets) : LoraTargets.DEFAULT);
      } else if (loraAlpha != null || loraTargets != null || rslora || loraDropout != 0) {
        throw new IllegalArgumentException("--lora-alpha, --lora-targets, --lora-dropout and --rslora need --lora-rank");
      }
      return new Finetune(base, method, lora, seed != null ? seed : 0L);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage(), e);
    }
  }

  private Trainer resumeRun(CommandLine cl) throws IOException {
    ObjectNode runConfig = Trainer.readRunConfig(resume);
    Finetune setup;
    try {
      setup = Finetune.fromJson(runConfig.get("finetune"));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, resume.resolve("config.json") + ": not a fine-tuning run: " + e.getMessage(), e);
    }
    LabTask labTask = RunSpec.taskOf(resume, runConfig);
    Trainer trainer = Trainer.resume(resume, labTask, setup);
    cl.getErr().println("lmlab finetune: resuming " + resume + " (" + setup.mode() + " of " + setup.base() + ") at step "
        + trainer.step() + " of " + trainer.config().steps());
    return trainer;
  }

  private static void put(Map<String, Object> m, String k, Object v) {
    if (v != null) m.put(k, v instanceof Integer i ? (Object) i.longValue() : v);
  }

  private static void putJson(ObjectNode o, String k, Object v) {
    if (v != null) o.set(k, JSON.valueToTree(v));
  }
}
