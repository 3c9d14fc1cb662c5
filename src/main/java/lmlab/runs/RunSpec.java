package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import lmlab.lab.LabTask;
import lmlab.lab.TaskType;
import lmlab.lab.Tasks;
import lmlab.models.ModelSpec;
import lmlab.models.ModelRegistry;
import lmlab.models.Models;
import lmlab.models.TransformerConfig;
import lmlab.train.TrainConfig;
import lmlab.train.Trainer;

/**
 * One training run fully resolved from flat settings (the keys of {@code lmlab train --config}, a
 * sweep's {@code base} and grid points): the model preset with its overrides, the task from the
 * registry ({@link Tasks}), the train settings and the run directory. {@code lmlab train} and the
 * sweeps build runs through it, so a key means the same everywhere.
 *
 * <p>Keys: {@link #MODEL_KEYS} (model, layers, d_model, heads, dropout, set), {@code task} (the
 * registry name, default arith) and that task's keys, {@link TrainConfig#KEYS}, and
 * {@code run_name}, {@code runs_dir}. {@code seed} is both the trainer's and, unless the task has
 * its own split seed, the task's.
 */
public record RunSpec(String preset, Map<String, String> modelOverrides, ModelSpec model, LabTask task,
    TrainConfig train, Path dir, ObjectNode runConfig) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static final Set<String> MODEL_KEYS = Set.of("model", "layers", "d_model", "heads", "dropout", "set");
  public static final Set<String> RUN_KEYS = Set.of("task", "run_name", "runs_dir");

  /** Every settings key: model, run, every registered task's, and the train keys (sorted). */
  public static Set<String> keys() {
    Set<String> k = new TreeSet<>(MODEL_KEYS);
    k.addAll(RUN_KEYS);
    for (TaskType t : Tasks.ALL) k.addAll(t.keys());
    k.addAll(TrainConfig.KEYS);
    return k;
  }

  /**
   * Resolves settings (defaults for missing keys). Errors are IllegalArgumentExceptions naming the
   * key and what was expected. defaultName names the run when run_name is absent (null: the
   * {@code <model>-<task label>-s<seed>-<time>} name of {@code lmlab train}).
   */
  public static RunSpec of(Map<String, JsonNode> s, String defaultName) {
    Set<String> known = keys();
    for (String k : s.keySet()) {
      if (!known.contains(k)) throw new IllegalArgumentException("unknown key '" + k + "'; known keys: " + String.join(", ", known));
    }
    TaskType type = Tasks.get(text(s, "task", Tasks.defaultType().name()));
    for (TaskType other : Tasks.ALL) {
      for (String k : other.keys()) {
        if (s.containsKey(k) && !type.keys().contains(k)) {
          throw new IllegalArgumentException("key '" + k + "' is a setting of task " + other.name() + ", not of "
              + type.name());
        }
      }
    }
    ObjectNode t = JSON.valueToTree(type.trainDefaults());
    for (String k : TrainConfig.KEYS) if (s.containsKey(k)) t.set(k, s.get(k));
    TrainConfig train = TrainConfig.fromJson(t);
    Map<String, Object> taskSettings = new LinkedHashMap<>();
    for (String k : type.keys()) if (s.containsKey(k)) taskSettings.put(k, plain(s.get(k)));
    LabTask task = type.create(taskSettings, train.seed());
    long required = task.requiredSteps();
    if (required > 0 && train.steps() != required) {
      if (s.containsKey("steps")) {
        throw new IllegalArgumentException("steps = " + train.steps() + " but the stages make " + (required - 1)
            + " updates (steps " + required + "); leave steps out");
      }
      train = train.with("steps", required);
    }
    String preset = text(s, "model", type.defaultModel());
    Map<String, String> overrides = modelOverrides(s, preset, task);
    ModelSpec model = Models.preset(preset, overrides);
    checkPositions(model, task);
    String name = text(s, "run_name", defaultName != null ? defaultName : defaultName(preset, task, train));
    Path dir = Path.of(text(s, "runs_dir", "runs")).resolve(name);
    ObjectNode runConfig = JSON.createObjectNode();
    runConfig.put("name", dir.getFileName().toString());
    ObjectNode m = runConfig.putObject("model");
    m.put("preset", preset);
    m.set("overrides", JSON.valueToTree(overrides));
    ObjectNode taskNode = runConfig.putObject("task");
    taskNode.put("name", task.name());
    taskNode.setAll((ObjectNode) JSON.valueToTree(task.describe()));
    return new RunSpec(preset, overrides, model, task, train, dir, runConfig);
  }

  /** Starts the run (its directory must not exist or be empty). */
  public Trainer start() throws IOException {
    return Trainer.start(dir, runConfig, model, task, train);
  }

  /** One line for the log: model, parameters, task, optimizer, batch, steps, directory. */
  public String describe() {
    return preset + " (" + String.format(Locale.ROOT, "%,d", model.numParameters()) + " parameters) on " + task + ", "
        + train.optimizer() + " lr " + train.lr() + " wd " + train.weightDecay() + ", batch " + train.batchSize()
        + ", " + train.steps() + " steps -> " + dir;
  }

  /** The task of an existing run, rebuilt from its config.json's "task" (for resuming it). */
  public static LabTask taskOf(Path runDir, ObjectNode runConfig) throws IOException {
    JsonNode t = runConfig.get("task");
    if (t == null || !t.isObject()) {
      throw new IOException("cannot resume " + runDir + ": " + runDir.resolve("config.json") + " has no \"task\"");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    t.properties().forEach(e -> {
      if (!e.getKey().equals("name")) m.put(e.getKey(), plain(e.getValue()));
    });
    try {
      TaskType type = Tasks.get(t.path("name").asText(Tasks.defaultType().name()));
      return type.restore(m);
    } catch (IllegalArgumentException e) {
      throw new IOException("cannot resume " + runDir + ": task in config.json: " + e.getMessage(), e);
    }
  }

  /** A JSON value as a plain Java value: long, double, String, or a list of those. */
  public static Object plain(JsonNode n) {
    if (n.isIntegralNumber()) return n.asLong();
    if (n.isNumber()) return n.asDouble();
    if (n.isArray()) {
      List<Object> l = new ArrayList<>();
      n.forEach(x -> l.add(plain(x)));
      return l;
    }
    if (n.isObject()) {
      Map<String, Object> m = new LinkedHashMap<>();
      n.properties().forEach(e -> m.put(e.getKey(), plain(e.getValue())));
      return m;
    }
    return n.asText();
  }

  /** Model settings as model config keys; vocab_size is the task's vocabulary. */
  private static Map<String, String> modelOverrides(Map<String, JsonNode> s, String preset, LabTask task) {
    boolean recurrent = Models.RECURRENT_MODEL_TYPES.contains(preset.trim().toLowerCase(Locale.ROOT));
    Map<String, String> o = new LinkedHashMap<>();
    o.put("vocab_size", Integer.toString(task.vocabSize()));
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
    if (task.positionTable() > 0 && isTransformer(preset)) o.put("max_position_embeddings", Integer.toString(task.positionTable()));
    JsonNode set = s.get("set");
    if (set != null && !set.isNull()) {
      if (!set.isObject()) throw new IllegalArgumentException("set: expected an object of model config keys, got " + set);
      set.properties().forEach(e -> {
        String v = e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString();
        if (e.getKey().equals("vocab_size") && !v.equals(o.get("vocab_size"))) {
          throw new IllegalArgumentException("--set vocab_size=" + v + ": the " + task.name() + " task needs "
              + o.get("vocab_size") + " (" + task.vocabularyNote() + ")");
        }
        o.put(e.getKey(), v);
      });
    }
    return o;
  }

  /** Whether the preset is a transformer, the only model type with a max_position_embeddings key. */
  private static boolean isTransformer(String preset) {
    return ModelRegistry.forPreset(preset) != null && Models.preset(preset).configAs(TransformerConfig.class) != null;
  }

  private static void checkPositions(ModelSpec s, LabTask task) {
    if (s.configAs(TransformerConfig.class) == null) return;
    int max = s.toJson().path("max_position_embeddings").asInt(Integer.MAX_VALUE);
    if (max < task.sequenceLength() && task.positionTable() > 0) {
      throw new IllegalArgumentException("block size " + task.sequenceLength() + " is above the position table "
          + "(max_position_embeddings = " + max + "); use block sizes up to " + max + " or leave max_position_embeddings out");
    }
    if (max < task.sequenceLength()) {
      throw new IllegalArgumentException("max_position_embeddings = " + max + " is shorter than the sequences ("
          + task.sequenceLength() + " input tokens); use --set max_position_embeddings=" + task.sequenceLength());
    }
  }

  private static String defaultName(String preset, LabTask task, TrainConfig t) {
    return preset + "-" + task.runLabel() + "-s" + t.seed() + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  private static String text(Map<String, JsonNode> s, String key, String dflt) {
    JsonNode v = s.get(key);
    return v == null || v.isNull() ? dflt : v.asText();
  }
}
