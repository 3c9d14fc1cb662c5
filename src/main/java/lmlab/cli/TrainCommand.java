package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import lmlab.lab.LabTask;
import lmlab.runs.RunSpec;
import lmlab.train.ProgressBar;
import lmlab.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab train}: trains a model on a task of the registry ({@code --task}, default the
 * modular arithmetic of the grokking lab) and writes a run directory. With no arguments: the
 * course starter's run (arithmetic.md, Training defaults). Settings come from the defaults, then a
 * --config JSON file, then the flags.

 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a model on a task (--task; default arith, the grokking lab's modular arithmetic); writes "
          + "runs/<name>/:",
      "  config.json       the full run config (model, task, train settings)",
      "  metrics.jsonl     one evaluation per line: step, train/val loss and",
      "                    accuracy, param_norm, lr, elapsed_s",
      "  summary.json      final metrics, wall time, steps/s, L/A extrema, t_f",
      "  checkpoints/latest/  model, optimizer state, step, RNG states (atomic)",
      "  checkpoints/best/    the model at the best value of the task's metric",
      "No arguments: the course starter's run: gpt on p = 31 addition, AdamW lr 1e-3, weight decay 1.0, "
          + "batch 512 as shuffled epochs, clipping at 1.0, T = 10^4 + 1 steps (0 .. 10^4: 10^4 updates), "
          + "r_train 0.5, seed 0, evaluation at steps 0 .. 100 and every 100 after. Settings: defaults, then "
          + "--config, then flags.",
      "Ctrl-C / SIGTERM save a checkpoint after the current step; --resume DIR continues the run exactly. "
          + "Progress goes to stderr, the run directory to stdout.",
      "Exit codes: 0 done, 1 error or non-finite loss, 2 usage, 130 interrupted.",
      ""
    })
public final class TrainCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  // ---- model
  @Option(names = "--model", paramLabel = "PRESET", description = "Model preset: gpt (default), lstm-lm, chargpt, rnn-lm, ...")
  String model;

  @Option(names = "--layers", paramLabel = "L", description = "Number of layers (num_hidden_layers).")
  Integer layers;

  @Option(names = "--d-model", paramLabel = "D", description = "Model width (hidden_size; for recurrent models also embedding_size).")
  Integer dModel;

  @Option(names = "--heads", paramLabel = "H", description = "Attention heads (Transformers).")
  Integer heads;

  @Option(names = "--dropout", paramLabel = "P", description = "Dropout probability.")
  Double dropout;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any model config key (repeatable), e.g. --set norm=rmsnorm.")
  Map<String, String> set = new LinkedHashMap<>();

  // ---- task
  @Option(names = "--task", paramLabel = "NAME", description = "Task: arith (default; modular arithmetic) or text (characters, minGPT's chargpt).")
  String task;

  @Option(names = "--p", paramLabel = "P", description = "Operands 0 .. p-1 (default 31).")
  Integer p;

  @Option(names = "--q", paramLabel = "Q", description = "Modulus (default p).")
  Integer q;

  @Option(names = "--operator", paramLabel = "OP", description = "+ - * / (default +).")
  String operator;

  @Option(names = "--orders", paramLabel = "2|3|2,3", description = "Equation orders (default 2).")
  String orders;

  @Option(names = "--r-train", paramLabel = "R", description = "Training fraction in (0, 1) (default 0.5).")
  Double rTrain;

  @Option(names = "--data-seed", paramLabel = "S", description = "Seed of the train/validation split (default: --seed).")
  Long dataSeed;

  @Option(names = "--loss-on", paramLabel = "rhs|sequence", description = "Training loss positions (default rhs).")
  String lossOn;

  // ---- text task (text.md)
  @Option(names = "--data", paramLabel = "FILE", description = "Text task: the UTF-8 text file (default ../shared/data/tinyshakespeare.txt).")
  String data;

  @Option(names = "--block-size", paramLabel = "S", description = "Text task: characters per window (default 128).")
  Integer blockSize;

  @Option(names = "--train-fraction", paramLabel = "F", description = "Text task: the first F of the text trains, the rest validates (default 0.9; 1.0: no validation).")
  Double trainFraction;

  @Option(names = "--eval-windows", paramLabel = "N", description = "Text task: at most N evaluation windows per split (default 0: all).")
  Integer evalWindows;

  // ---- training
  @Option(names = "--steps", paramLabel = "T", description = "Steps T, evaluated 0 .. T-1 (default 10001).")
  Long steps;

  @Option(names = "--batch-size", paramLabel = "B", description = "Batch size B (default 512).")
  Integer batchSize;

  @Option(names = "--batch-sampling", paramLabel = "epochs|replacement",
      description = "epochs (default): shuffled epochs in batches of min(B, N_train); replacement: B uniform draws.")
  String batchSampling;

  @Option(names = "--optimizer", paramLabel = "NAME", description = "adamw (default) or sgd.")
  String optimizer;

  @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (default 1e-3).")
  Double lr;

  @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay (default 1.0; decoupled for AdamW).")
  Double weightDecay;

  @Option(names = "--weight-decay-on", paramLabel = "all|matmul",
      description = "Parameters that decay: all (default) or matmul (Linear weights only, minGPT; the text task's default).")
  String weightDecayOn;

  @Option(names = "--beta1", paramLabel = "B1", description = "AdamW beta1 (default 0.9).")
  Double beta1;

  @Option(names = "--beta2", paramLabel = "B2", description = "AdamW beta2 (default 0.999).")
  Double beta2;

  @Option(names = "--eps", paramLabel = "EPS", description = "AdamW eps (default 1e-8).")
  Double eps;

  @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum (default 0.9).")
  Double momentum;

  @Option(names = "--clip", paramLabel = "NORM", description = "Clip gradients to this global L2 norm (default 1.0; 0 is off).")
  Double clip;

  @Option(names = "--schedule", paramLabel = "NAME", description = "constant (default) or cosine (linear warm-up, cosine decay).")
  String schedule;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Warm-up steps of the cosine schedule (default 0).")
  Long warmupSteps;

  @Option(names = "--min-lr", paramLabel = "LR", description = "Final learning rate of the cosine schedule (default 0).")
  Double minLr;

  @Option(names = "--eval-period", paramLabel = "N", description = "Evaluate every N steps (default 100).")
  Integer evalPeriod;

  @Option(names = "--eval-first", paramLabel = "N", description = "Also evaluate every step 1 .. N (default 100).")
  Integer evalFirst;

  @Option(names = "--checkpoint-period", paramLabel = "N", description = "Checkpoint every N steps (default: at every evaluation).")
  Integer checkpointPeriod;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the initialisation and the batches (default 0).")
  Long seed;

  @Option(names = "--stop-at", paramLabel = "V", description = "Stop once the task's monitored metric (arith: val_acc, max) reaches V (default off).")
  Double stopAt;

  // ---- run
  @Option(names = "--run-name", paramLabel = "NAME", description = "Run directory name (default <model>-<op>-p<p>-s<seed>-<time>).")
  String runName;

  @Option(names = "--runs-dir", paramLabel = "DIR", description = "Where run directories go (default runs).")
  Path runsDir;

  @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its latest checkpoint.")
  Path resume;

  @Option(names = "--config", paramLabel = "FILE", description = "A JSON file with the same keys as the flags (r_train, batch_size, ...); flags override it.")
  Path config;

  /** Every --config key (flag names with '_'), besides nested "task"/"train"/"model" objects. */
  static final Set<String> CONFIG_KEYS = RunSpec.keys();

  @Override
  public Integer call() throws IOException {
    CommandLine cl = spec.commandLine();
    PrintWriter err = cl.getErr();
    Trainer trainer;
    if (resume != null) {
      warnIgnoredFlags(err);
      trainer = resumeRun(cl);
    } else {
      trainer = newRun(cl, err);
    }
    return runWithSignals(cl, trainer);
  }

  // ------------------------------------------------------------------------ new run

  private Trainer newRun(CommandLine cl, PrintWriter err) throws IOException {
    RunSpec run;
    try {
      run = RunSpec.of(settings(cl), null);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage(), e);
    }
    err.println("lmlab train: " + run.describe());
    return run.start();
  }

  /** Defaults ← --config file ← flags, as a flat map of config keys. */
  private Map<String, JsonNode> settings(CommandLine cl) throws IOException {
    Map<String, JsonNode> s = new LinkedHashMap<>();
    if (config != null) s.putAll(readConfigFile(cl, config));
    put(s, "model", model);
    put(s, "layers", layers);
    put(s, "d_model", dModel);
    put(s, "heads", heads);
    put(s, "dropout", dropout);
    if (!set.isEmpty()) {
      ObjectNode merged = s.get("set") instanceof ObjectNode o ? o.deepCopy() : JSON.createObjectNode();
      set.forEach(merged::put);
      s.put("set", merged);
    }
    put(s, "task", task);
    put(s, "p", p);
    put(s, "q", q);
    put(s, "operator", operator);
    put(s, "orders", orders);
    put(s, "r_train", rTrain);
    put(s, "data_seed", dataSeed);
    put(s, "loss_on", lossOn);
    put(s, "data", data);
    put(s, "block_size", blockSize);
    put(s, "train_fraction", trainFraction);
    put(s, "eval_windows", evalWindows);
    put(s, "weight_decay_on", weightDecayOn);
    put(s, "steps", steps);
    put(s, "batch_size", batchSize);
    put(s, "batch_sampling", batchSampling);
    put(s, "optimizer", optimizer);
    put(s, "lr", lr);
    put(s, "weight_decay", weightDecay);
    put(s, "beta1", beta1);
    put(s, "beta2", beta2);
    put(s, "eps", eps);
    put(s, "momentum", momentum);
    put(s, "clip", clip);
    put(s, "schedule", schedule);
    put(s, "warmup_steps", warmupSteps);
    put(s, "min_lr", minLr);
    put(s, "eval_period", evalPeriod);
    put(s, "eval_first", evalFirst);
    put(s, "checkpoint_period", checkpointPeriod);
    put(s, "seed", seed);
    put(s, "stop_at", stopAt);
    put(s, "run_name", runName);
    put(s, "runs_dir", runsDir == null ? null : runsDir.toString());
    return s;
  }

  private static void put(Map<String, JsonNode> s, String key, Object value) {
    if (value != null) s.put(key, JSON.valueToTree(value));
  }

  /** A --config file: flat keys; "task" and "train" objects are merged in, "model" may be {"preset", "set"}. */
  static Map<String, JsonNode> readConfigFile(CommandLine cl, Path file) throws IOException {
    if (!Files.isRegularFile(file)) throw new CommandLine.ParameterException(cl, "--config " + file + ": no such file");
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new CommandLine.ParameterException(cl, "--config " + file + ": malformed JSON: " + e.getMessage());
    }
    if (!(root instanceof ObjectNode o)) throw new CommandLine.ParameterException(cl, "--config " + file + ": expected a JSON object");
    Map<String, JsonNode> flat = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      var e = it.next();
      String k = e.getKey();
      JsonNode v = e.getValue();
      if ((k.equals("task") || k.equals("train")) && v.isObject()) {
        v.fields().forEachRemaining(f -> flat.put(k.equals("task") && f.getKey().equals("name") ? "task" : f.getKey(),
            f.getValue()));
      } else if (k.equals("model") && v.isObject()) {
        if (v.has("preset")) flat.put("model", v.get("preset"));
        if (v.has("set")) flat.put("set", v.get("set"));
        if (v.has("overrides")) flat.put("set", v.get("overrides"));
      } else {
        flat.put(k, v);
      }
    }
    flat.remove("name"); // the run's name in a run's config.json
    for (String k : flat.keySet()) {
      if (!CONFIG_KEYS.contains(k)) {
        throw new CommandLine.ParameterException(cl, "--config " + file + ": unknown key '" + k + "'; known keys: "
            + String.join(", ", CONFIG_KEYS));
      }
    }
    return flat;
  }

  // ------------------------------------------------------------------------ resume

  private Trainer resumeRun(CommandLine cl) throws IOException {
    ObjectNode runConfig = Trainer.readRunConfig(resume); // errors name the directory and what is missing
    LabTask task = RunSpec.taskOf(resume, runConfig);
    Trainer trainer = Trainer.resume(resume, task);
    cl.getErr().println("lmlab train: resuming " + resume + " at step " + trainer.step() + " of "
        + trainer.config().steps());
    return trainer;
  }

  private void warnIgnoredFlags(PrintWriter err) {
    CommandLine.ParseResult pr = spec.commandLine().getParseResult();
    List<String> ignored = new ArrayList<>();
    for (CommandLine.Model.OptionSpec o : pr.matchedOptions()) {
      String n = o.longestName();
      if (!n.equals("--resume") && !n.equals("--threads") && !n.equals("--blas")) ignored.add(n);
    }
    if (!ignored.isEmpty()) {
      err.println("lmlab train: warning: " + String.join(", ", ignored) + " ignored with --resume (the run's "
          + "config.json applies)");
    }
  }

  // ------------------------------------------------------------------------ running

  static int runWithSignals(CommandLine cl, Trainer trainer) throws IOException {
    PrintWriter err = cl.getErr();
    trainer.progress(ProgressBar.of(err));
    List<Object[]> previous = new ArrayList<>();
    int[] signals = {0};
    for (String name : List.of("INT", "TERM")) {
      try {
        sun.misc.Signal sig = new sun.misc.Signal(name);
        sun.misc.SignalHandler old = sun.misc.Signal.handle(sig, s -> {
          if (signals[0]++ > 0) Runtime.getRuntime().halt(128 + s.getNumber()); // second signal: now
          err.println();
          err.println("lmlab train: SIG" + s.getName() + ": saving a checkpoint after this step (again to abort)");
          err.flush();
          trainer.requestStop();
        });
        previous.add(new Object[] {sig, old});
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // the platform does not have this signal, or the JVM reserved it
      }
    }
    Trainer.Result r;
    try {
      r = trainer.run();
    } finally {
      for (Object[] p : previous) sun.misc.Signal.handle((sun.misc.Signal) p[0], (sun.misc.SignalHandler) p[1]);
    }
    printSummary(err, r, trainer.monitor());
    cl.getOut().println(r.runDir());
    cl.getOut().flush();
    return switch (r.status()) {
      case COMPLETED, STOPPED_EARLY -> 0;
      case INTERRUPTED -> 130;
      case NONFINITE_LOSS -> {
        err.println("lmlab: " + r.message());
        yield 1;
      }
    };
  }

  /** The final line: status, the final losses and the monitored pair, the t_f of each run metric, speed. */
  private static void printSummary(PrintWriter err, Trainer.Result r, lmlab.train.Task.Monitor monitor) throws IOException {
    Path summary = r.runDir().resolve("summary.json");
    JsonNode s = Files.isRegularFile(summary) ? JSON.readTree(summary.toFile()) : JSON.createObjectNode();
    JsonNode f = s.path("final");
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s at step %d:",
        s.path("status").asText(r.status().key()), r.step()));
    String b = monitor.base();
    if (!b.equals("loss")) {
      line.append(String.format(Locale.ROOT, " train_%s %.4f val_%s %.4f", b, f.path("train_" + b).asDouble(Double.NaN), b,
          f.path("val_" + b).asDouble(Double.NaN)));
    }
    line.append(String.format(Locale.ROOT, " train_loss %.4g val_loss %.4g |", f.path("train_loss").asDouble(Double.NaN),
        f.path("val_loss").asDouble(Double.NaN)));
    List<String> tf = new ArrayList<>();
    s.path("run_metrics").properties().forEach(e -> {
      String k = e.getKey();
      if (k.startsWith("t_f_") && !k.contains("_order")) tf.add("t_f(" + k.substring(4) + ") " + e.getValue().asText("-"));
    });
    // the accuracy t_f first, as the grokking lab reads them
    tf.sort(java.util.Comparator.comparing((String x) -> !x.startsWith("t_f(A")));
    if (!tf.isEmpty()) line.append(' ').append(String.join(" ", tf)).append(" |");
    line.append(String.format(Locale.ROOT, " wall %.1f s, %.1f steps/s", r.elapsedSeconds(), r.stepsPerSecond()));
    err.println(line);
    err.flush();
  }
}
