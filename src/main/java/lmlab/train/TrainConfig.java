package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import lmlab.tensor.Tensor;

/**
 * Everything the trainer needs besides the model and the task: the step count T (evaluated steps
 * 0 .. T − 1), batch size, evaluation and checkpoint periods, seed, optimizer and its
 * hyper-parameters, learning-rate schedule, gradient clipping and early stopping ({@code stop_at}: a
 * threshold on the task's monitored metric, {@link Task#monitor()}; NaN, written as null, is off). Defaults are the
 * course starter's (arithmetic.md): AdamW lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1.0,
 * batch 512 drawn as shuffled epochs, gradients clipped to global norm 1.0, T = 10^4 + 1, evaluation
 * at every step up to eval_first = 100 and every 100 steps after, seed 0. Written to the run's
 * config.json under "train".
 */
public record TrainConfig(
    long steps,
    int batchSize,
    int evalPeriod,
    int checkpointPeriod,
    long seed,
    String optimizer,
    double lr,
    double weightDecay,
    double beta1,
    double beta2,
    double eps,
    double momentum,
    String schedule,
    long warmupSteps,
    double minLr,
    double clip,
    double stopAt,
    BatchSampling batchSampling,
    int evalFirst,
    WeightDecayOn weightDecayOn) {

  /**
   * Which parameters weight decay applies to (text.md): {@code all} (the IFT6135 starter's AdamW
   * over model.parameters()), or {@code matmul}: the weight of every Linear layer, never biases,
   * norm parameters or embeddings (minGPT's configure_optimizers, model.py 226–257).
   */
  public enum WeightDecayOn {
    ALL, MATMUL;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static WeightDecayOn parse(String s) {
      for (WeightDecayOn w : values()) if (w.key().equals(s.trim().toLowerCase(Locale.ROOT))) return w;
      throw new IllegalArgumentException("weight_decay_on must be all or matmul, got '" + s + "'");
    }
  }

  /**
   * How training batches are drawn (arithmetic.md): {@code epochs}, each epoch a new shuffle of
   * the training set cut into batches of B' = min(B, N_train), the last one smaller (the course
   * starter's DataLoader); {@code replacement}, B independent uniform draws.
   */
  public enum BatchSampling {
    EPOCHS, REPLACEMENT;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static BatchSampling parse(String s) {
      for (BatchSampling b : values()) if (b.key().equals(s.trim().toLowerCase(Locale.ROOT))) return b;
      throw new IllegalArgumentException("batch_sampling must be epochs or replacement, got '" + s + "'");
    }
  }

  public static final long DEFAULT_STEPS = 10_001;

  /** The keys of {@link #toJson()} (and of a --config file's training settings). */
  public static final Set<String> KEYS = Set.of("steps", "batch_size", "eval_period", "checkpoint_period", "seed",
      "optimizer", "lr", "weight_decay", "beta1", "beta2", "eps", "momentum", "schedule", "warmup_steps", "min_lr",
      "clip", "stop_at", "batch_sampling", "eval_first", "weight_decay_on");

  /** Read for runs written before stop_at replaced it: a threshold on val_acc, 0 meaning off. */
  private static final String LEGACY_STOP_AT_VAL_ACC = "stop_at_val_acc";

  public TrainConfig {
    optimizer = optimizer == null ? "adamw" : optimizer.trim().toLowerCase(Locale.ROOT);
    if (batchSampling == null) batchSampling = BatchSampling.EPOCHS;
    if (weightDecayOn == null) weightDecayOn = WeightDecayOn.ALL;
    if (evalFirst < 0) throw new IllegalArgumentException("eval_first must be >= 0, got " + evalFirst);
    schedule = schedule == null ? "constant" : schedule.trim().toLowerCase(Locale.ROOT);
    if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    if (evalPeriod < 1) throw new IllegalArgumentException("eval period must be >= 1, got " + evalPeriod);
    if (checkpointPeriod < 0) {
      throw new IllegalArgumentException("checkpoint period must be >= 0 (0: at every evaluation), got " + checkpointPeriod);
    }
    if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
      throw new IllegalArgumentException("unknown optimizer '" + optimizer + "'; use adamw or sgd");
    }
    if (!schedule.equals("constant") && !schedule.equals("cosine")) {
      throw new IllegalArgumentException("unknown schedule '" + schedule + "'; use constant or cosine");
    }
    if (!(lr >= 0) || Double.isInfinite(lr)) throw new IllegalArgumentException("lr must be >= 0, got " + lr);
    if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
    if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
    if (!(eps >= 0)) throw new IllegalArgumentException("eps must be >= 0, got " + eps);
    if (!(momentum >= 0)) throw new IllegalArgumentException("momentum must be >= 0, got " + momentum);
    if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0, got " + warmupSteps);
    if (!(minLr >= 0 && minLr <= lr)) throw new IllegalArgumentException("min lr must be in [0, lr], got " + minLr);
    if (!(clip >= 0)) throw new IllegalArgumentException("clip must be >= 0 (0: off), got " + clip);
    if (Double.isInfinite(stopAt)) throw new IllegalArgumentException("stop-at must be a finite number, got " + stopAt);
  }

  /** The course defaults. */
  public static TrainConfig defaults() {
    return new TrainConfig(DEFAULT_STEPS, 512, 100, 0, 0, "adamw", 1e-3, 1.0, 0.9, 0.999, 1e-8, 0.9, "constant", 0, 0,
        1.0, Double.NaN, BatchSampling.EPOCHS, 100, WeightDecayOn.ALL);
  }

  /** Whether early stopping is on. */
  public boolean stopsEarly() {
    return !Double.isNaN(stopAt);
  }

  /** Steps between checkpoints (the eval period unless set). */
  public int effectiveCheckpointPeriod() {
    return checkpointPeriod == 0 ? evalPeriod : checkpointPeriod;
  }

  /** Whether step t is evaluated: every step up to eval_first, every eval period, and the last step. */
  public boolean evaluates(long t) {
    return t <= evalFirst || t % evalPeriod == 0 || t == steps - 1;
  }

  /** A fresh optimizer over parameters. */
  public Optimizer newOptimizer(Map<String, Tensor> parameters) {
    return optimizer.equals("sgd")
        ? new Sgd(parameters, lr, momentum, weightDecay)
        : new AdamW(parameters, lr, beta1, beta2, eps, weightDecay);
  }

  /** The schedule; cosine decays over the run's updates (T − 1). */
  public LrSchedule newSchedule() {
    return schedule.equals("cosine")
        ? new LrSchedule.WarmupCosine(lr, minLr, warmupSteps, Math.max(1, steps - 1))
        : new LrSchedule.Constant(lr);
  }

  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("steps", steps);
    o.put("batch_size", batchSize);
    o.put("eval_period", evalPeriod);
    o.put("checkpoint_period", checkpointPeriod);
    o.put("seed", seed);
    o.put("optimizer", optimizer);
    o.put("lr", lr);
    o.put("weight_decay", weightDecay);
    o.put("beta1", beta1);
    o.put("beta2", beta2);
    o.put("eps", eps);
    o.put("momentum", momentum);
    o.put("schedule", schedule);
    o.put("warmup_steps", warmupSteps);
    o.put("min_lr", minLr);
    o.put("clip", clip);
    if (stopsEarly()) o.put("stop_at", stopAt);
    else o.putNull("stop_at");
    o.put("batch_sampling", batchSampling.key());
    o.put("eval_first", evalFirst);
    // written only when not the default, so the configs of runs made before the key read back equal
    if (weightDecayOn != WeightDecayOn.ALL) o.put("weight_decay_on", weightDecayOn.key());
    return o;
  }

  /** This config with one key (of {@link #toJson()}) changed, e.g. {@code with("lr", 0.01)}. */
  public TrainConfig with(String key, Object value) {
    ObjectNode o = toJson();
    o.set(key, new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(value));
    return fromJson(o);
  }

  /** Reads the keys of {@link #toJson()}; missing keys take the defaults, unknown keys are errors. */
  public static TrainConfig fromJson(JsonNode json) {
    if (json == null || !json.isObject()) throw new IllegalArgumentException("train settings: expected a JSON object");
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k) && !k.equals(LEGACY_STOP_AT_VAL_ACC)) {
        throw new IllegalArgumentException("train settings: unknown key '" + k + "'; known: " + String.join(", ",
            new java.util.TreeSet<>(KEYS)));
      }
    }
    TrainConfig d = defaults();
    return new TrainConfig(
        longOf(json, "steps", d.steps),
        (int) longOf(json, "batch_size", d.batchSize),
        (int) longOf(json, "eval_period", d.evalPeriod),
        (int) longOf(json, "checkpoint_period", d.checkpointPeriod),
        longOf(json, "seed", d.seed),
        json.has("optimizer") ? json.get("optimizer").asText() : d.optimizer,
        doubleOf(json, "lr", d.lr),
        doubleOf(json, "weight_decay", d.weightDecay),
        doubleOf(json, "beta1", d.beta1),
        doubleOf(json, "beta2", d.beta2),
        doubleOf(json, "eps", d.eps),
        doubleOf(json, "momentum", d.momentum),
        json.has("schedule") ? json.get("schedule").asText() : d.schedule,
        longOf(json, "warmup_steps", d.warmupSteps),
        doubleOf(json, "min_lr", d.minLr),
        doubleOf(json, "clip", d.clip),
        stopAt(json, d.stopAt),
        json.has("batch_sampling") && !json.get("batch_sampling").isNull()
            ? BatchSampling.parse(text(json, "batch_sampling")) : d.batchSampling,
        (int) longOf(json, "eval_first", d.evalFirst),
        json.has("weight_decay_on") && !json.get("weight_decay_on").isNull()
            ? WeightDecayOn.parse(text(json, "weight_decay_on")) : d.weightDecayOn);
  }

  private static String text(JsonNode json, String key) {
    JsonNode v = json.get(key);
    if (!v.isTextual()) throw new IllegalArgumentException("train settings: " + key + " must be a string, got " + v);
    return v.asText();
  }

  private static double stopAt(JsonNode json, double dflt) {
    if (json.has("stop_at")) return doubleOf(json, "stop_at", Double.NaN);
    double legacy = doubleOf(json, LEGACY_STOP_AT_VAL_ACC, 0);
    return legacy > 0 ? legacy : dflt;
  }

  private static long longOf(JsonNode json, String key, long dflt) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) return dflt;
    if (v.isIntegralNumber()) return v.asLong();
    if (v.isNumber() && v.asDouble() == Math.rint(v.asDouble())) return (long) v.asDouble();
    throw new IllegalArgumentException("train settings: " + key + " must be a whole number, got " + v);
  }

  private static double doubleOf(JsonNode json, String key, double dflt) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) return dflt;
    if (v.isNumber()) return v.asDouble();
    if (v.isTextual()) {
      try {
        return Double.parseDouble(v.asText());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw new IllegalArgumentException("train settings: " + key + " must be a number, got " + v);
  }
}
