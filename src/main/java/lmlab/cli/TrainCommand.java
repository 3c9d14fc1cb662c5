package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import lmlab.lab.arith.ArithmeticConfig;
import lmlab.lab.arith.ArithmeticTask;
import lmlab.lab.arith.RunMetrics;
import lmlab.models.ModelSpec;
import lmlab.models.Models;
import lmlab.models.TransformerConfig;
import lmlab.train.ProgressBar;
import lmlab.train.TrainConfig;
import lmlab.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab train}: trains a model on modular arithmetic and writes a run directory. With no
 * arguments: the gpt preset on p = 31 addition with the course defaults (AdamW lr 1e-3, weight
 * decay 1.0, betas 0.9/0.999, batch 512, T = 10^4 + 1 steps, r_train 0.5, seed 0, eval every 100
 * steps). Settings come from the defaults, then a --config JSON file, then the flags.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a model on modular arithmetic (the grokking lab); writes runs/<name>/:",
      "  config.json       the full run config (model, task, train settings)",
      "  metrics.jsonl     one evaluation per line: step, train/val loss and",
      "                    accuracy, param_norm, lr, elapsed_s",
      "  summary.json      final metrics, wall time, steps/s, L/A extrema, t_f",
      "  checkpoints/latest/  model, optimizer state, step, RNG states (atomic)",
      "No arguments: gpt on p = 31 addition, AdamW lr 1e-3, weight decay 1.0,",
      "batch 512, T = 10^4 + 1 steps (0 .. 10^4: 10^4 updates), r_train 0.5,",
      "seed 0, evaluation every 100 steps. Settings: defaults, then --config,",
      "then flags. Ctrl-C / SIGTERM save a checkpoint after the current step;",
      "--resume DIR continues the run exactly. Progress goes to stderr, the",
      "run directory to stdout.",
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

  // ---- training
  @Option(names = "--steps", paramLabel = "T", description = "Steps T, evaluated 0 .. T-1 (default 10001).")
  Long steps;

  @Option(names = "--batch-size", paramLabel = "B", description = "Batch size, drawn with replacement (default 512).")
  Integer batchSize;

  @Option(names = "--optimizer", paramLabel = "NAME", description = "adamw (default) or sgd.")
  String optimizer;

  @Option(names = "--lr", paramLabel = "LR", description = "Learning rate (default 1e-3).")
  Double lr;

  @Option(names = "--weight-decay", paramLabel = "WD", description = "Weight decay (default 1.0; decoupled for AdamW).")
  Double weightDecay;

  @Option(names = "--beta1", paramLabel = "B1", description = "AdamW beta1 (default 0.9).")
  Double beta1;

  @Option(names = "--beta2", paramLabel = "B2", description = "AdamW beta2 (default 0.999).")
  Double beta2;

  @Option(names = "--eps", paramLabel = "EPS", description = "AdamW eps (default 1e-8).")
  Double eps;

  @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum (default 0.9).")
  Double momentum;

  @Option(names = "--clip", paramLabel = "NORM", description = "Clip gradients to this global L2 norm (default off).")
  Double clip;

  @Option(names = "--schedule", paramLabel = "NAME", description = "constant (default) or cosine (linear warm-up, cosine decay).")
  String schedule;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Warm-up steps of the cosine schedule (default 0).")
  Long warmupSteps;

  @Option(names = "--min-lr", paramLabel = "LR", description = "Final learning rate of the cosine schedule (default 0).")
  Double minLr;

  @Option(names = "--eval-period", paramLabel = "N", description = "Evaluate every N steps (default 100).")
  Integer evalPeriod;

  @Option(names = "--checkpoint-period", paramLabel = "N", description = "Checkpoint every N steps (default: at every evaluation).")
  Integer checkpointPeriod;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the initialisation and the batches (default 0).")
  Long seed;

  @Option(names = "--stop-at-val-acc", paramLabel = "A", description = "Stop once validation accuracy reaches A (default off).")
  Double stopAtValAcc;

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
  static final Set<String> CONFIG_KEYS = new TreeSet<>(List.of("model", "layers", "d_model", "heads", "dropout", "set",
      "p", "q", "operator", "orders", "r_train", "data_seed", "loss_on", "run_name", "runs_dir"));

  static {
    CONFIG_KEYS.addAll(TrainConfig.KEYS);
  }

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
    Map<String, JsonNode> s = settings(cl);
    ArithmeticConfig arith;
    TrainConfig train;
    ModelSpec modelSpec;
    String preset = text(s, "model", "gpt");
    try {
      arith = ArithmeticConfig.fromMap(taskMap(s));
      ObjectNode t = JSON.createObjectNode();
      for (String k : TrainConfig.KEYS) if (s.containsKey(k)) t.set(k, s.get(k));
      train = TrainConfig.fromJson(t);
      modelSpec = Models.preset(preset, modelOverrides(s, preset, arith));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage(), e);
    }
    checkPositions(cl, modelSpec, arith);
    ArithmeticTask task = new ArithmeticTask(arith);
    Path dir = Path.of(text(s, "runs_dir", "runs")).resolve(text(s, "run_name", defaultName(preset, arith, train)));
    ObjectNode runConfig = JSON.createObjectNode();
    runConfig.put("name", dir.getFileName().toString());
    ObjectNode m = runConfig.putObject("model");
    m.put("preset", preset);
    m.set("overrides", JSON.valueToTree(modelOverrides(s, preset, arith)));
    ObjectNode taskNode = runConfig.putObject("task");
    taskNode.put("name", "arithmetic");
    taskNode.setAll((ObjectNode) JSON.valueToTree(arith.toMap()));
    err.println("lmlab train: " + preset + " (" + String.format(Locale.ROOT, "%,d", modelSpec.numParameters())
        + " parameters) on " + arith + ", " + train.optimizer() + " lr " + train.lr() + " wd " + train.weightDecay()
        + ", batch " + train.batchSize() + ", " + train.steps() + " steps -> " + dir);
    return Trainer.start(dir, runConfig, modelSpec, task, train);
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
    put(s, "p", p);
    put(s, "q", q);
    put(s, "operator", operator);
    put(s, "orders", orders);
    put(s, "r_train", rTrain);
    put(s, "data_seed", dataSeed);
    put(s, "loss_on", lossOn);
    put(s, "steps", steps);
    put(s, "batch_size", batchSize);
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
    put(s, "checkpoint_period", checkpointPeriod);
    put(s, "seed", seed);
    put(s, "stop_at_val_acc", stopAtValAcc);
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
        v.fields().forEachRemaining(f -> flat.put(f.getKey(), f.getValue()));
      } else if (k.equals("model") && v.isObject()) {
        if (v.has("preset")) flat.put("model", v.get("preset"));
        if (v.has("set")) flat.put("set", v.get("set"));
        if (v.has("overrides")) flat.put("set", v.get("overrides"));
      } else {
        flat.put(k, v);
      }
    }
    flat.remove("name"); // the task's name in a run's config.json
    for (String k : flat.keySet()) {
      if (!CONFIG_KEYS.contains(k)) {
        throw new CommandLine.ParameterException(cl, "--config " + file + ": unknown key '" + k + "'; known keys: "
            + String.join(", ", CONFIG_KEYS));
      }
    }
    return flat;
  }

  private static Map<String, Object> taskMap(Map<String, JsonNode> s) {
    Map<String, Object> t = new LinkedHashMap<>();
    for (String k : List.of("p", "q", "operator", "orders", "r_train", "loss_on")) {
      if (s.containsKey(k)) t.put(k, plain(s.get(k)));
    }
    JsonNode ds = s.containsKey("data_seed") ? s.get("data_seed") : s.get("seed");
    if (ds != null) t.put("seed", plain(ds));
    return t;
  }

  private static Object plain(JsonNode n) {
    if (n.isIntegralNumber()) return n.asLong();
    if (n.isNumber()) return n.asDouble();
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(x -> l.add(plain(x)));
      return l;
    }
    return n.asText();
  }

  /** Flag overrides as model config keys; vocab_size is the task's vocabulary. */
  private static Map<String, String> modelOverrides(Map<String, JsonNode> s, String preset, ArithmeticConfig arith) {
    boolean recurrent = Models.RECURRENT_MODEL_TYPES.contains(preset.trim().toLowerCase(Locale.ROOT));
    Map<String, String> o = new LinkedHashMap<>();
    o.put("vocab_size", Integer.toString(arith.vocabSize()));
    if (s.containsKey("layers")) o.put("num_hidden_layers", s.get("layers").asText());
    if (s.containsKey("d_model")) {
      o.put("hidden_size", s.get("d_model").asText());
      if (recurrent) o.put("embedding_size", s.get("d_model").asText());
    }
    if (s.containsKey("heads")) {
      if (recurrent) throw new IllegalArgumentException("--heads: " + preset + " has no attention heads");
      o.put("num_attention_heads", s.get("heads").asText());
    }
    if (s.containsKey("dropout")) o.put("dropout", s.get("dropout").asText());
    if (s.get("set") instanceof ObjectNode set) {
      set.fields().forEachRemaining(e -> {
        if (e.getKey().equals("vocab_size") && !e.getValue().asText().equals(o.get("vocab_size"))) {
          throw new IllegalArgumentException("--set vocab_size=" + e.getValue().asText() + ": the arithmetic task needs "
              + o.get("vocab_size") + " (n = max(p, q) numbers + 8 tokens)");
        }
        o.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
      });
    }
    return o;
  }

  private static void checkPositions(CommandLine cl, ModelSpec s, ArithmeticConfig arith) {
    if (s.configAs(TransformerConfig.class) == null) return;
    int max = s.toJson().path("max_position_embeddings").asInt(Integer.MAX_VALUE);
    if (max < arith.inputLength()) {
      throw new CommandLine.ParameterException(cl, "max_position_embeddings = " + max + " is shorter than the "
          + "sequences (" + arith.inputLength() + " input tokens); use --set max_position_embeddings="
          + arith.inputLength());
    }
  }

  private static String defaultName(String preset, ArithmeticConfig a, TrainConfig t) {
    String op = switch (a.operator().symbol()) {
      case "+" -> "add";
      case "-" -> "sub";
      case "*" -> "mul";
      default -> "div";
    };
    String orders = a.orders().size() > 1 ? "-o23" : a.orders().contains(3) ? "-o3" : "";
    return preset + "-" + op + "-p" + a.p() + orders + "-s" + t.seed() + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  private static String text(Map<String, JsonNode> s, String key, String dflt) {
    JsonNode v = s.get(key);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  // ------------------------------------------------------------------------ resume

  private Trainer resumeRun(CommandLine cl) throws IOException {
    ObjectNode runConfig = Trainer.readRunConfig(resume); // errors name the directory and what is missing
    JsonNode t = runConfig.get("task");
    if (t == null || !t.isObject()) {
      throw new IOException("cannot resume " + resume + ": " + resume.resolve("config.json") + " has no \"task\"");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    t.fields().forEachRemaining(e -> {
      if (!e.getKey().equals("name")) m.put(e.getKey(), plain(e.getValue()));
    });
    ArithmeticTask task;
    try {
      task = new ArithmeticTask(ArithmeticConfig.fromMap(m));
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot resume " + resume + ": task in config.json: " + e.getMessage(), e);
    }
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

  private int runWithSignals(CommandLine cl, Trainer trainer) throws IOException {
    PrintWriter err = cl.getErr();
    trainer.progress(ProgressBar.of(err));
    trainer.runMetrics(lines -> RunMetrics.fromJson(lines, null).toJson());
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
    printSummary(err, r);
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

  private static void printSummary(PrintWriter err, Trainer.Result r) throws IOException {
    Path summary = r.runDir().resolve("summary.json");
    JsonNode s = Files.isRegularFile(summary) ? JSON.readTree(summary.toFile()) : JSON.createObjectNode();
    JsonNode f = s.path("final");
    JsonNode rm = s.path("run_metrics");
    err.println(String.format(Locale.ROOT,
        "%s at step %d: train_acc %.4f val_acc %.4f train_loss %.4g val_loss %.4g | "
            + "t_f(A_train) %s t_f(A_val) %s t_f(L_train) %s t_f(L_val) %s | wall %.1f s, %.1f steps/s",
        s.path("status").asText(r.status().key()), r.step(), f.path("train_acc").asDouble(Double.NaN),
        f.path("val_acc").asDouble(Double.NaN), f.path("train_loss").asDouble(Double.NaN),
        f.path("val_loss").asDouble(Double.NaN), rm.path("t_f_A_train").asText("-"), rm.path("t_f_A_val").asText("-"),
        rm.path("t_f_L_train").asText("-"), rm.path("t_f_L_val").asText("-"), r.elapsedSeconds(),
        r.stepsPerSecond()));
    err.flush();
  }
}
