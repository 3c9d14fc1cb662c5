package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.kernels.Parallel;
import lmlab.models.LanguageModel;
import lmlab.models.ModelSpec;
import lmlab.models.ModelType;
import lmlab.models.Models;
import lmlab.tensor.Arena;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The training loop. Steps are numbered t = 0 .. T − 1; at step t the model has had t updates.
 *
 * <pre>
 *   for t = start .. T − 1:
 *     if t ≤ eval_first, t % eval_period == 0 or t == T − 1:
 *                                              evaluate on the full train and validation sets,
 *                                              append a line to metrics.jsonl
 *     if t % checkpoint_period == 0, t == T − 1, or a stop was requested:
 *                                              checkpoint (refused when a parameter is not finite)
 *     if t == T − 1: stop                      the final model is the one evaluated last
 *     lr ← schedule(t); batch ← next batch of the epoch order (or task.sample(data_rng, B) with
 *       replacement); loss ← task.loss(model, batch)
 *     loss not finite → stop, keep the last good checkpoint
 *     backward; clip (optional); optimizer step; zero grads
 * </pre>
 *
 * So a run of T = 10^4 + 1 steps makes 10^4 updates and evaluates steps 0 .. 100, 200, ..., 10^4.
 *
 * <p><b>Exact resume.</b> A checkpoint taken at step t holds everything step t depends on: the
 * model after t updates, the optimizer state (step count, moments), the state of the data
 * generator (which draws batch t next), the epoch's permutation and position ({@link EpochOrder}),
 * the dropout generator's state, the task's own state, and the elapsed time.
 * Resuming from it cuts metrics.jsonl back to the lines of steps before t and runs the loop from
 * t, re-evaluating step t when it is an evaluation step (evaluation draws no random numbers), so
 * every later line equals the uninterrupted run's (elapsed_s aside) given the same seed and
 * thread count. A kill at any moment leaves the previous complete checkpoint (the directory is
 * swapped in atomically) and at worst metrics lines past it, which the resume drops.
 *
 * <p><b>Seeds.</b> The model is initialised from {@code seed} (as {@link lmlab.models.ModelSpec#newModel}),
 * dropout draws from the model's own stream, batches from {@code Rng(seed ^ DATA_STREAM)}.
 *
 * <p><b>Stopping.</b> {@link #requestStop()} (a signal handler) makes the loop save a checkpoint
 * at the next step boundary and return {@link Status#INTERRUPTED}; a non-finite loss returns
 * {@link Status#NONFINITE_LOSS} without saving anything; the task's monitored metric
 * ({@link Task#monitor()}) reaching {@code stop_at} returns {@link Status#STOPPED_EARLY} after
 * checkpointing that step.
 *
 * <p><b>Best checkpoint.</b> Besides {@code checkpoints/latest/}, every evaluation that improves
 * the monitored metric saves the model to {@code checkpoints/best/} (model and a trainer.json
 * naming the step, metric and value; no optimizer state: it is for using the model, not resuming).
 */
public final class Trainer {
  /** Mixed into the seed for the batch-sampling generator, so it differs from the init stream. */
  public static final long DATA_STREAM = 0x5DA7A5EEDL;

  public enum Status {
    COMPLETED, STOPPED_EARLY, INTERRUPTED, NONFINITE_LOSS;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How a session of run() ended. step: the step the run stands at; metrics: the last evaluation. */
  public record Result(Status status, long step, Map<String, Double> metrics, double elapsedSeconds,
      double sessionSeconds, double stepsPerSecond, String message, Path runDir) {}

  private final RunDirectory run;
  private final Task task;
  private final TrainConfig cfg;
  private final ModelSpec spec;
  private final LanguageModel model;
  private final Rng dropoutRng;
  private final Rng dataRng;
  private Optimizer optimizer; // replaced at a stage boundary (a new stage starts a new optimizer)
  private final Map<String, Tensor> trainable;
  private final long[] stageStarts;
  private boolean memoryWritten;
  private final LrSchedule schedule;
  private final List<Tensor> params;
  private final Arena arena = new Arena(); // one step's activations and gradients, reused by the next
  private long step;
  private double elapsedBefore;
  private Map<String, Double> lastMetrics = Map.of();
  private long lastCheckpointStep = -1;
  private volatile boolean stopRequested;
  private long stopAt = -1;
  private Progress progress = Progress.NONE;
  private String pendingWarning;
  private final Task.Monitor monitor;
  private final EpochOrder epochs; // null: batches drawn with replacement
  private double best = Double.NaN; // the monitored metric's best value so far (NaN: none yet)
  private final ModelSetup setup;

  private Trainer(RunDirectory run, Task task, TrainConfig cfg, ModelSpec spec, ModelSetup setup, ModelType.Seeded built) {
    this.run = run;
    this.task = task;
    this.cfg = cfg;
    this.spec = spec;
    this.model = built.model();
    this.dropoutRng = built.dropout();
    this.dataRng = new Rng(cfg.seed() ^ DATA_STREAM);
    this.setup = setup;
    // Only trainable parameters are optimised, clipped and measured: frozen ones (surgery) get no
    // gradient, no optimizer state and no update.
    this.trainable = model.trainableParameters();
    this.optimizer = newOptimizer();
    this.stageStarts = task.stageStarts();
    this.schedule = cfg.newSchedule();
    this.params = List.copyOf(trainable.values());
    this.monitor = task.monitor();
    checkSampling(task, cfg);
    this.epochs = cfg.batchSampling() == TrainConfig.BatchSampling.EPOCHS ? new EpochOrder(task.trainSize()) : null;
  }

  /**
   * The run's model, built exactly as ModelSpec.newModel(seed) builds it (keeping a handle on the
   * dropout generator), then prepared by setup: a base's weights, quantisation, adapters. It comes
   * before the run directory is written, so a setup that refuses leaves nothing on disk.
   */
  private static ModelType.Seeded build(ModelSpec spec, TrainConfig cfg, ModelSetup setup) throws IOException {
    ModelType.Seeded built = spec.seeded(cfg.seed());
    setup.prepare(built.model(), built.dropout());
    return built;
  }

  /** The configured optimizer over the trainable parameters ({@link TrainStep#newOptimizer}). */
  private Optimizer newOptimizer() {
    return TrainStep.newOptimizer(cfg, model, trainable);
  }

  /** Whether a later stage begins at step t. */
  private boolean stageStart(long t) {
    for (long s : stageStarts) if (s == t) return true;
    return false;
  }

  /** The first step of the stage whose updates include update t − 1 (0 in the first stage). */
  private long stageOrigin(long t) {
    long origin = 0;
    for (long s : stageStarts) if (s <= t - 1) origin = s;
    return origin;
  }

  private static void checkSampling(Task task, TrainConfig cfg) {
    if (cfg.batchSampling() == TrainConfig.BatchSampling.EPOCHS && task.trainSize() < 0) {
      throw new IllegalArgumentException("batch_sampling epochs: the task " + task.getClass().getSimpleName()
          + " has no indexed training set; use batch_sampling replacement");
    }
  }

  /**
   * Starts a new run in dir (which must not exist or be empty). runConfig is what config.json
   * records besides what the trainer fills in itself: model.config (the full model config), task
   * (task.describe() unless given), train (cfg) and threads.
   */
  public static Trainer start(Path dir, ObjectNode runConfig, ModelSpec spec, Task task, TrainConfig cfg)
      throws IOException {
    return start(dir, runConfig, spec, task, cfg, ModelSetup.NONE);
  }

  /** As above, with the model prepared by setup (fine-tuning a base) and checkpointed its way. */
  public static Trainer start(Path dir, ObjectNode runConfig, ModelSpec spec, Task task, TrainConfig cfg, ModelSetup setup)
      throws IOException {
    ObjectNode config = runConfig == null ? RunDirectory.JSON.createObjectNode() : runConfig.deepCopy();
    ObjectNode modelNode = config.has("model") && config.get("model").isObject()
        ? (ObjectNode) config.get("model") : config.putObject("model");
    modelNode.set("config", spec.toJson());
    if (!config.has("task")) config.set("task", RunDirectory.JSON.valueToTree(task.describe()));
    config.set("train", cfg.toJson());
    config.put("threads", Parallel.threads());
    // everything that can refuse comes before anything is written
    checkSampling(task, cfg);
    RunDirectory.checkNew(dir);
    ModelType.Seeded built = build(spec, cfg, setup);
    Trainer t = new Trainer(RunDirectory.create(dir, config), task, cfg, spec, setup, built);
    task.attach(dir, 0, cfg.steps());
    return t;
  }

  /**
   * Resumes the run in dir from its latest checkpoint. The model and training settings come from
   * the run's config.json; task must be the run's task (built from config.json's "task").
   */
  public static Trainer resume(Path dir, Task task) throws IOException {
    return resume(dir, task, ModelSetup.NONE);
  }

  /** As above for a run started with setup (the same setup, rebuilt from the run's config.json). */
  public static Trainer resume(Path dir, Task task, ModelSetup setup) throws IOException {
    RunDirectory run = RunDirectory.open(dir, setup.checkpointFiles());
    ObjectNode config = run.config();
    ModelSpec spec;
    TrainConfig cfg;
    try {
      JsonNode mc = config.path("model").get("config");
      if (mc == null) throw new IllegalArgumentException("no model.config");
      spec = Models.parseConfig(mc);
      JsonNode tc = config.get("train");
      if (tc == null) throw new IllegalArgumentException("no train settings");
      cfg = TrainConfig.fromJson(legacy(tc));
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot resume " + dir + ": " + dir.resolve(RunDirectory.CONFIG) + ": " + e.getMessage(), e);
    }
    Trainer t = new Trainer(run, task, cfg, spec, setup, build(spec, cfg, setup));
    t.restore();
    return t;
  }

  /**
   * Train settings of a run written before batch_sampling and eval_first existed: it drew its
   * batches with replacement and evaluated every eval_period only.
   */
  private static JsonNode legacy(JsonNode tc) {
    if (!tc.isObject() || tc.has("batch_sampling")) return tc;
    ObjectNode o = ((ObjectNode) tc).deepCopy();
    o.put("batch_sampling", TrainConfig.BatchSampling.REPLACEMENT.key());
    if (!o.has("eval_first")) o.put("eval_first", 0);
    return o;
  }

  /**
   * The run's config.json (for a caller that rebuilds the task and the setup before {@link #resume},
   * which then checks the checkpoint the setup writes).
   */
  public static ObjectNode readRunConfig(Path dir) throws IOException {
    return RunDirectory.openRun(dir).config();
  }

  private void restore() throws IOException {
    Path ck = run.checkpoint();
    setup.load(ck, model);
    optimizer.load(ck.resolve(RunDirectory.OPTIMIZER));
    ObjectNode st = run.trainerState();
    try {
      step = st.get("step").asLong();
      dataRng.setState(longs(st.get("data_rng")));
      dropoutRng.setState(longs(st.get("dropout_rng")));
      elapsedBefore = st.path("elapsed_s").asDouble(0);
      if (epochs != null && st.has("data_order")) epochs.restore(st.get("data_order"));
    } catch (RuntimeException e) {
      throw new CheckpointException(ck.resolve(RunDirectory.TRAINER) + ": malformed trainer state: " + e.getMessage(), e);
    }
    if (optimizer.steps() != step - stageOrigin(step)) {
      throw new CheckpointException("checkpoint " + ck + ": the optimizer has taken " + optimizer.steps()
          + " steps but trainer.json says step " + step + (stageOrigin(step) > 0 ? " (its stage began at step "
          + stageOrigin(step) + ")" : ""));
    }
    int threads = st.path("threads").asInt(Parallel.threads());
    if (threads != Parallel.threads()) {
      pendingWarning = "warning: the run used " + threads + " threads, this session " + Parallel.threads()
          + "; results can differ in the last bits from an uninterrupted run";
    }
    if (st.has("task_state")) task.restoreState(st.get("task_state"));
    lastCheckpointStep = step;
    if (!st.path("complete").asBoolean(false)) {
      run.truncateMetricsBefore(step);
      run.truncateStepsBefore(step);
    }
    task.attach(run.path(), step, cfg.steps());
    List<ObjectNode> lines = run.readMetrics();
    if (!lines.isEmpty()) lastMetrics = metricsOf(lines.getLast());
    // the best value before this step; the re-evaluation of this step competes again
    for (ObjectNode l : lines) {
      if (l.get("step").asLong() >= step) continue;
      Double v = metricsOf(l).get(monitor.name());
      if (v != null && monitor.better(v, best)) best = v;
    }
  }

  private static long[] longs(JsonNode arr) {
    if (arr == null || !arr.isArray()) throw new IllegalArgumentException("expected an array of integers");
    long[] out = new long[arr.size()];
    for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asLong();
    return out;
  }

  public Trainer progress(Progress p) {
    this.progress = p == null ? Progress.NONE : p;
    return this;
  }

  /** The metric this run watches (the task's). */
  public Task.Monitor monitor() {
    return monitor;
  }

  /** Asks the loop to checkpoint and return at the next step boundary (safe from any thread). */
  public void requestStop() {
    stopRequested = true;
  }

  /** Stops (as {@link #requestStop()} does) when the loop reaches step t: for tests and budgets. */
  public Trainer stopAt(long t) {
    this.stopAt = t;
    return this;
  }

  public LanguageModel model() {
    return model;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  public TrainConfig config() {
    return cfg;
  }

  public RunDirectory runDirectory() {
    return run;
  }

  /** The step the run stands at (updates done so far). */
  public long step() {
    return step;
  }

  /** Whether the run has finished (its last step evaluated). */
  public boolean complete() throws IOException {
    Path f = run.checkpoint().resolve(RunDirectory.TRAINER);
    return Files.isRegularFile(f) && RunDirectory.readObject(f).path("complete").asBoolean(false);
  }

  /** Runs from the current step to the end (or until stopped); writes summary.json. */
  public Result run() throws IOException {
    long total = cfg.steps();
    if (complete()) {
      String msg = "run " + run.path() + " is already complete (" + total + " steps)";
      progress.message(msg);
      return finish(Status.COMPLETED, msg, 0, step);
    }
    progress.monitor(monitor);
    if (pendingWarning != null) progress.message(pendingWarning);
    long sessionStart = System.nanoTime();
    long sessionStartStep = step;
    Status status = null;
    String message = null;
    model.train(true);
    while (true) {
      long t = step;
      task.atStep(t);
      double elapsed = elapsedBefore + (System.nanoTime() - sessionStart) / 1e9;
      double rate = rate(t - sessionStartStep, sessionStart);
      boolean last = t == total - 1; // always evaluated
      boolean early = false;
      if (cfg.evaluates(t) || stageStart(t)) {
        Map<String, Double> m;
        try {
          m = evaluate(t, elapsed);
        } catch (RuntimeException e) {
          if (!nonFinite(e)) throw e;
          status = Status.NONFINITE_LOSS;
          message = "the evaluation at step " + t + " is not finite (" + e.getMessage() + "); stopped" + lastGood();
          break;
        }
        progress.evaluated(t, total, m, rate);
        task.afterEvaluation(t, model);
        model.train(true);
        double watched = m.getOrDefault(monitor.name(), Double.NaN);
        if (monitor.better(watched, best) && saveBest(t, watched)) best = watched;
        early = cfg.stopsEarly() && monitor.reached(watched, cfg.stopAt());
      }
      boolean stop = stopRequested || t == stopAt;
      if (last || early || stop || t % cfg.effectiveCheckpointPeriod() == 0) {
        if ((lastCheckpointStep != t || last || early) && !checkpoint(t, last || early, elapsed)) {
          status = Status.NONFINITE_LOSS;
          message = "the parameters are not finite at step " + t + "; stopped" + lastGood();
          break;
        }
      }
      if (last) {
        status = Status.COMPLETED;
        break;
      }
      if (early) {
        status = Status.STOPPED_EARLY;
        message = String.format(Locale.ROOT, "%s %.4f %s %.4f at step %d: stopped early", monitor.name(),
            lastMetrics.get(monitor.name()), monitor.goal() == Task.Monitor.Goal.MIN ? "<=" : ">=", cfg.stopAt(), t);
        break;
      }
      if (stop) {
        status = Status.INTERRUPTED;
        message = "stopped at step " + t + "; checkpoint saved; continue with --resume " + run.path();
        break;
      }
      double loss;
      try {
        loss = trainStep(t);
      } catch (RuntimeException e) {
        if (!nonFinite(e)) throw e;
        status = Status.NONFINITE_LOSS;
        message = "the loss is not finite at step " + t + " (" + e.getMessage() + "); stopped" + lastGood();
        break;
      }
      if (!Double.isFinite(loss)) {
        status = Status.NONFINITE_LOSS;
        message = "the loss is " + (Double.isNaN(loss) ? "NaN" : "infinite") + " at step " + t + "; stopped"
            + lastGood();
        break;
      }
      step = t + 1;
      progress.step(t, total, loss, rate(step - sessionStartStep, sessionStart));
    }
    double session = (System.nanoTime() - sessionStart) / 1e9;
    if (message != null) progress.message(message);
    progress.close();
    Result r = finish(status, message, session, step - sessionStartStep);
    return r;
  }

  /**
   * Whether an exception from the task means the numbers blew up (a task may refuse NaN logits
   * rather than return a NaN loss): its message names NaN or infinity, or the parameters are no
   * longer finite.
   */
  private boolean nonFinite(RuntimeException e) {
    String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    return msg.contains("nan") || msg.contains("infinit") || msg.contains("not finite")
        || !Double.isFinite(GradClip.norm(params));
  }

  private String lastGood() {
    return lastCheckpointStep < 0
        ? " (no checkpoint was saved)"
        : "; the last good checkpoint is " + run.checkpoint() + " (step " + lastCheckpointStep + ")";
  }

  private static double rate(long steps, long sinceNanos) {
    double s = (System.nanoTime() - sinceNanos) / 1e9;
    return s > 0 ? steps / s : 0;
  }

  /** One update: returns the batch loss (the update is skipped when it is not finite). */
  private double trainStep(long t) throws IOException {
    if (stageStart(t)) optimizer = newOptimizer(); // a new stage: fresh moments and step count
    if (!task.logsSteps()) return update(t);
    StepMeter.Result r = StepMeter.measure(StepMeter.persistentBytes(model.parameters(), optimizer), () -> update(t));
    if (!Double.isFinite(r.loss())) return r.loss();
    ObjectNode line = RunDirectory.JSON.createObjectNode();
    line.put("step", t);
    line.put("loss", r.loss());
    line.put("lr", schedule.lr(t));
    for (var e : task.stepFields().entrySet()) line.set(e.getKey(), RunDirectory.JSON.valueToTree(e.getValue()));
    r.measure().writeTo(line);
    run.appendSteps(line);
    if (!memoryWritten && !Files.exists(run.path().resolve(RunDirectory.MEMORY))) {
      RunDirectory.writeAtomically(run.path().resolve(RunDirectory.MEMORY), Checkpoint.configBytes(r.measure().memoryJson(t)));
    }
    memoryWritten = true;
    return r.loss();
  }

  private double update(long t) {
    double lr = schedule.lr(t);
    optimizer.setLr(lr);
    Task.Batch batch = epochs != null
        ? task.batch(epochs.next(dataRng, cfg.batchSize()))
        : task.sample(dataRng, cfg.batchSize());
    return TrainStep.run(arena, () -> task.loss(model, batch), params, cfg.clip(), optimizer);
  }

  private Map<String, Double> evaluate(long t, double elapsed) throws IOException {
    Map<String, Double> m = new LinkedHashMap<>(task.evaluate(model));
    model.train(true);
    m.put("param_norm", GradClip.norm(params));
    m.put("lr", schedule.lr(t));
    m.put("elapsed_s", Math.round(elapsed * 1000) / 1000.0);
    ObjectNode line = RunDirectory.JSON.createObjectNode();
    line.put("step", t);
    for (var e : m.entrySet()) putNumber(line, e.getKey(), e.getValue());
    run.appendMetrics(line);
    lastMetrics = m;
    return m;
  }

  /** JSON has no NaN: non-finite values are written as strings ("NaN", "Infinity"). */
  private static void putNumber(ObjectNode o, String k, double v) {
    if (Double.isFinite(v)) o.put(k, v);
    else o.put(k, Double.toString(v));
  }

  private static Map<String, Double> metricsOf(ObjectNode line) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (var it = line.fields(); it.hasNext(); ) {
      var e = it.next();
      if (e.getKey().equals("step")) continue;
      m.put(e.getKey(), e.getValue().isNumber() ? e.getValue().asDouble() : Double.parseDouble(e.getValue().asText()));
    }
    return m;
  }

  /**
   * Saves the checkpoint of step t (complete: the run's last step is done). Returns false, saving
   * nothing, when the parameters are not finite: a checkpoint is always a good one.
   */
  private boolean checkpoint(long t, boolean complete, double elapsed) throws IOException {
    if (!Double.isFinite(GradClip.norm(params))) return false;
    ObjectNode st = RunDirectory.JSON.createObjectNode();
    st.put("step", t);
    st.put("complete", complete);
    st.put("seed", cfg.seed());
    ArrayNode data = st.putArray("data_rng");
    for (long v : dataRng.state()) data.add(v);
    ArrayNode drop = st.putArray("dropout_rng");
    for (long v : dropoutRng.state()) drop.add(v);
    if (epochs != null) st.set("data_order", epochs.state());
    st.put("optimizer_steps", optimizer.steps());
    st.put("elapsed_s", elapsed);
    st.put("threads", Parallel.threads());
    ObjectNode taskState = task.state();
    if (taskState != null) st.set("task_state", taskState);
    byte[] trainer = Checkpoint.configBytes(st);
    setup.save(run.checkpoint(), spec, model, tmp -> {
      optimizer.save(tmp.resolve(RunDirectory.OPTIMIZER));
      Files.write(tmp.resolve(RunDirectory.TRAINER), trainer);
      task.writeCheckpointFiles(tmp);
    });
    lastCheckpointStep = t;
    return true;
  }

  /** B' = min(B, N_train) with shuffled epochs, B with replacement. */
  private long batchEffective() {
    return epochs != null ? Math.min(cfg.batchSize(), task.trainSize()) : cfg.batchSize();
  }

  /**
   * The α-truncated run metrics of experiments.md: for α = 0.1, 0.2, …, 1.0 the run metrics over
   * the evaluations at steps ≤ T_max = ⌊α·(T − 1)⌋, with the compute C = P·B'·T_max up to the cut.
   */
  private static ArrayNode alphaMetrics(List<ObjectNode> lines, long p, long bEff, long steps) {
    ArrayNode out = RunDirectory.JSON.createArrayNode();
    for (int k = 1; k <= 10; k++) {
      long tMax = k * (steps - 1) / 10;
      ObjectNode a = out.addObject();
      a.put("alpha", k / 10.0);
      a.put("t_max", tMax);
      a.put("compute", p * bEff * tMax);
      a.setAll(RunMetrics.fromJson(lines, tMax).toJson());
    }
    return out;
  }

  /** Saves the model of step t to checkpoints/best/ (false, saving nothing, when a parameter is not finite). */
  private boolean saveBest(long t, double value) throws IOException {
    if (!Double.isFinite(GradClip.norm(params))) return false;
    ObjectNode st = RunDirectory.JSON.createObjectNode();
    st.put("step", t);
    st.put("metric", monitor.name());
    st.put("goal", monitor.goal().name().toLowerCase(Locale.ROOT));
    st.put("value", value);
    byte[] trainer = Checkpoint.configBytes(st);
    setup.save(run.best(), spec, model, tmp -> {
      Files.write(tmp.resolve(RunDirectory.TRAINER), trainer);
      task.writeCheckpointFiles(tmp);
    });
    return true;
  }

  private Result finish(Status status, String message, double session, long sessionSteps) throws IOException {
    double elapsed = elapsedBefore + session;
    double rate = session > 0 ? sessionSteps / session : 0;
    ObjectNode s = RunDirectory.JSON.createObjectNode();
    s.put("status", status.key());
    if (message != null) s.put("message", message);
    s.put("steps", cfg.steps());
    s.put("step", step);
    s.put("last_checkpoint_step", lastCheckpointStep);
    ObjectNode fin = s.putObject("final");
    for (var e : lastMetrics.entrySet()) putNumber(fin, e.getKey(), e.getValue());
    s.put("wall_time_s", Math.round(elapsed * 1000) / 1000.0);
    s.put("session_time_s", Math.round(session * 1000) / 1000.0);
    s.put("steps_per_s", Math.round(rate * 100) / 100.0);
    s.put("monitor", monitor.name());
    if (!Double.isNaN(best)) s.put("best", best);
    List<ObjectNode> lines = run.readMetrics();
    s.set("run_metrics", task.summary(lines));
    long p = Models.parameterCount(model).excludingEmbeddings();
    long bEff = batchEffective();
    s.put("non_embedding_parameters", p);
    s.put("batch_effective", bEff);
    s.put("compute", p * bEff * (cfg.steps() - 1));
    s.set("run_metrics_alpha", alphaMetrics(lines, p, bEff, cfg.steps()));
    s.put("threads", Parallel.threads());
    run.writeSummary(s);
    task.finish();
    return new Result(status, step, lastMetrics, elapsed, session, rate, message, run.path());
  }
}
