package lmlab.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import lmlab.io.Checkpoint;
import lmlab.nn.lora.PeftAdapter;

/**
 * A run's directory:
 *
 * <pre>
 *   runs/&lt;name&gt;/
 *     config.json               the full run config (model, task, train settings, threads)
 *     metrics.jsonl             one evaluation per line: {"step":..,"train_loss":..,...,"elapsed_s":..}
 *     summary.json              final metrics, wall time, steps/s, run metrics (written at the end)
 *     checkpoints/latest/       config.json, model.safetensors, optimizer.safetensors, trainer.json
 *     checkpoints/best/         config.json, model.safetensors, trainer.json (step, metric, value)
 * </pre>
 *
 * The checkpoint is replaced atomically ({@link lmlab.io.AtomicDirectory}); metrics.jsonl is
 * appended to, and on resume cut back to the lines before the checkpoint's step.
 */
public final class RunDirectory {
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.jsonl";
  /** One line per update (tasks that log steps, text.md): step, loss, lr, time and memory. */
  public static final String STEPS = "steps.jsonl";
  /** The kept tensors of one attention layer and one update's memory totals (written once per run). */
  public static final String MEMORY = "memory.json";
  public static final String SUMMARY = "summary.json";
  public static final String CHECKPOINTS = "checkpoints";
  public static final String LATEST = "latest";
  public static final String BEST = "best";
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String TRAINER = "trainer.json";

  static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;

  private RunDirectory(Path dir) {
    this.dir = dir;
  }

  public Path path() {
    return dir;
  }

  public Path checkpoint() {
    return dir.resolve(CHECKPOINTS).resolve(LATEST);
  }

  /** checkpoints/best/: the model at the best value of the task's monitored metric. */
  public Path best() {
    return dir.resolve(CHECKPOINTS).resolve(BEST);
  }

  /**
   * The model checkpoint a command reads from dir: dir itself when it holds a model (config.json
   * and weights, no checkpoints/), else the first of the run's checkpoints/NAME/ in preference
   * order that holds one. A missing directory, or a run with none of them, is an error naming dir
   * and what was expected.
   */
  public static Path modelCheckpoint(Path dir, String... preference) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " does not exist (expected a run directory or a checkpoint directory)");
    }
    if (!Files.isDirectory(dir.resolve(CHECKPOINTS)) && Files.isRegularFile(dir.resolve(Checkpoint.CONFIG))) return dir;
    List<String> tried = new ArrayList<>();
    for (String name : preference) {
      Path ck = dir.resolve(CHECKPOINTS).resolve(name);
      if (Files.isRegularFile(ck.resolve(Checkpoint.CONFIG))) return ck;
      tried.add(CHECKPOINTS + "/" + name + "/");
    }
    Path adapter = firstAdapter(dir, preference);
    if (adapter != null) throw new IllegalArgumentException(dir + " holds no model: it is a LoRA fine-tuning run whose "
        + "checkpoints hold the adapter only (forward, generate and merge run it as " + adapterUsage(dir) + ")");
    throw new IllegalArgumentException(dir + " holds no model: expected a checkpoint directory (config.json and "
        + "model weights) or a run directory with " + String.join(" or ", tried));
  }

  /**
   * The PEFT adapter directory a command reads from dir (as {@link #modelCheckpoint} reads models):
   * dir itself when it holds adapter_config.json, else the first of the run's checkpoints/NAME/ in
   * preference order that holds one. A missing directory, or one with no adapter, is an error
   * naming dir and what was expected.
   */
  public static Path adapterCheckpoint(Path dir, String... preference) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " does not exist (expected a PEFT adapter directory or a LoRA fine-tuning run)");
    }
    if (PeftAdapter.isAdapter(dir)) return dir;
    Path adapter = firstAdapter(dir, preference);
    if (adapter != null) return adapter;
    throw new IllegalArgumentException(dir + " holds no adapter: expected " + PeftAdapter.CONFIG
        + " in it or in a run's " + CHECKPOINTS + "/" + String.join(" or " + CHECKPOINTS + "/", preference));
  }

  private static Path firstAdapter(Path dir, String... preference) {
    for (String name : preference) {
      Path ck = dir.resolve(CHECKPOINTS).resolve(name);
      if (PeftAdapter.isAdapter(ck)) return ck;
    }
    return null;
  }

  /** "--model BASE --adapter RUN [--quantize METHOD]" from a fine-tuning run's config.json (finetune.base, .quantize). */
  private static String adapterUsage(Path run) {
    String base = "BASE", quantize = "";
    try {
      JsonNode finetune = JSON.readTree(run.resolve(CONFIG).toFile()).path("finetune");
      if (finetune.hasNonNull("base")) base = finetune.get("base").asText();
      if (finetune.hasNonNull("quantize")) quantize = " --quantize " + finetune.get("quantize").asText();
    } catch (IOException e) {
      // no readable config.json: the usage keeps the placeholder BASE
    }
    return "--model " + base + " --adapter " + run + quantize;
  }

  public Path metricsFile() {
    return dir.resolve(METRICS);
  }

  /** A new run: dir must not exist or be empty; writes config.json. */
  public static RunDirectory create(Path dir, ObjectNode config) throws IOException {
    checkNew(dir);
    Files.createDirectories(dir.resolve(CHECKPOINTS));
    writeAtomically(dir.resolve(CONFIG), Checkpoint.configBytes(config));
    Files.write(dir.resolve(METRICS), new byte[0]);
    return new RunDirectory(dir);
  }

  /** Refuses a directory that cannot hold a new run (it exists and is not empty), writing nothing. */
  public static void checkNew(Path dir) throws IOException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) throw new IOException("run directory " + dir + " exists and is not a directory");
      try (Stream<Path> s = Files.list(dir)) {
        // a sweep's .lock (held while the run trains) does not make the directory a run
        if (s.anyMatch(f -> !f.getFileName().toString().equals(".lock"))) {
          throw new IOException("run directory " + dir + " already exists; continue it with --resume " + dir
              + " or choose another --run-name");
        }
      }
    }
  }

  /** The files of a whole-model checkpoint besides the trainer's (ModelSetup's default). */
  public static final List<String> MODEL_FILES = List.of(Checkpoint.CONFIG, Checkpoint.MODEL);

  /** An existing run to resume whose checkpoints hold the whole model; see {@link #open(Path, List)}. */
  public static RunDirectory open(Path dir) throws IOException {
    return open(dir, MODEL_FILES);
  }

  /**
   * An existing run to resume: checks that dir holds config.json, metrics.jsonl and a complete
   * checkpoint (modelFiles, as the run's setup writes them, plus the optimizer and trainer state),
   * with an error naming the directory and the first thing missing.
   */
  public static RunDirectory open(Path dir, List<String> modelFiles) throws IOException {
    RunDirectory run = openRun(dir);
    Path ck = dir.resolve(CHECKPOINTS).resolve(LATEST);
    List<String> files = new ArrayList<>(modelFiles);
    files.addAll(List.of(OPTIMIZER, TRAINER));
    if (!Files.isDirectory(ck)) {
      throw new IOException(what(dir) + "no checkpoint: " + CHECKPOINTS + "/" + LATEST + "/ is missing" + layout(files));
    }
    for (String f : files) {
      if (!Files.isRegularFile(ck.resolve(f))) {
        throw new IOException(what(dir) + "incomplete checkpoint: no " + CHECKPOINTS + "/" + LATEST + "/" + f + layout(files));
      }
    }
    return run;
  }

  /** An existing run's directory, config.json and metrics.jsonl checked (its checkpoint not yet). */
  public static RunDirectory openRun(Path dir) throws IOException {
    String layout = layout(new ArrayList<>(List.of(Checkpoint.CONFIG, Checkpoint.MODEL, OPTIMIZER, TRAINER)));
    if (!Files.exists(dir)) throw new IOException(what(dir) + "no such directory");
    if (!Files.isDirectory(dir)) throw new IOException(what(dir) + "not a directory" + layout);
    lmlab.io.AtomicDirectory.recover(dir.resolve(CHECKPOINTS).resolve(LATEST));
    for (String f : List.of(CONFIG, METRICS)) {
      if (!Files.isRegularFile(dir.resolve(f))) throw new IOException(what(dir) + "not a run directory: no " + f + layout);
    }
    return new RunDirectory(dir);
  }

  private static String what(Path dir) {
    return "cannot resume " + dir + ": ";
  }

  private static String layout(List<String> checkpointFiles) {
    String last = checkpointFiles.removeLast();
    return " (a run directory holds config.json, metrics.jsonl and checkpoints/latest/ with "
        + String.join(", ", checkpointFiles) + " and " + last + ")";
  }

  /** The run's config.json. */
  public ObjectNode config() throws IOException {
    return readObject(dir.resolve(CONFIG));
  }

  /** The checkpoint's trainer.json. */
  public ObjectNode trainerState() throws IOException {
    return readObject(checkpoint().resolve(TRAINER));
  }

  static ObjectNode readObject(Path file) throws IOException {
    JsonNode n;
    try {
      n = JSON.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      throw new IOException(file + ": malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (!(n instanceof ObjectNode o)) throw new IOException(file + ": expected a JSON object");
    return o;
  }

  /** Appends one line to metrics.jsonl (flushed to the OS, so a kill loses at most the line being written). */
  public void appendMetrics(ObjectNode line) throws IOException {
    byte[] b = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
    Files.write(metricsFile(), b, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
  }

  /** The lines of metrics.jsonl as objects (a torn last line, from a kill mid-write, is skipped). */
  public List<ObjectNode> readMetrics() throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(metricsFile(), StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      try {
        if (JSON.readTree(line) instanceof ObjectNode o && o.has("step")) out.add(o);
      } catch (JsonProcessingException e) {
        // torn line
      }
    }
    return out;
  }

  /** Rewrites metrics.jsonl keeping only the lines of steps before step (byte for byte as they were). */
  public void truncateMetricsBefore(long step) throws IOException {
    StringBuilder kept = new StringBuilder();
    for (String line : Files.readAllLines(metricsFile(), StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        continue;
      }
      if (n != null && n.has("step") && n.get("step").asLong() < step) kept.append(line).append('\n');
    }
    writeAtomically(metricsFile(), kept.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Appends one line to steps.jsonl (created on first use). */
  public void appendSteps(ObjectNode line) throws IOException {
    byte[] b = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
    Files.write(dir.resolve(STEPS), b, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
  }

  /** Cuts steps.jsonl back to the updates before step (those the checkpoint of step includes). */
  public void truncateStepsBefore(long step) throws IOException {
    truncateBefore(dir.resolve(STEPS), step);
  }

  /** Cuts a JSON-lines file with a "step" per line back to the lines of steps before step (torn lines dropped). */
  public static void truncateBefore(Path file, long step) throws IOException {
    if (!Files.isRegularFile(file)) return;
    StringBuilder kept = new StringBuilder();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        continue;
      }
      if (n != null && n.has("step") && n.get("step").asLong() < step) kept.append(line).append('\n');
    }
    writeAtomically(file, kept.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The lines of a JSON-lines file as objects (a torn last line is skipped; no file: none). */
  public static List<ObjectNode> readLines(Path file) throws IOException {
    List<ObjectNode> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) return out;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.isBlank()) continue;
      try {
        if (JSON.readTree(line) instanceof ObjectNode o) out.add(o);
      } catch (JsonProcessingException e) {
        // torn line
      }
    }
    return out;
  }

  public void writeSummary(ObjectNode summary) throws IOException {
    writeAtomically(dir.resolve(SUMMARY), Checkpoint.configBytes(summary));
  }

  /** Writes a file through a temporary sibling and a rename. */
  public static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
