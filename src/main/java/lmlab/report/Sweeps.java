package lmlab.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.runs.RunRecord;

/**
 * A sweep directory as experiments.md lays it out: {@code sweep.json} (the description plus the
 * expanded runs: index, id, settings) and one run directory per run. Without sweep.json, a
 * directory of run directories is read as a sweep of those runs.
 */
public final class Sweeps {
  static final String SWEEP_JSON = "sweep.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Sweeps() {}

  /** A run's state (experiments.md, Running and resuming). */
  public enum State {
    PENDING, INTERRUPTED, COMPLETED, FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One run of a sweep: its index, id, settings, state and, when it has evaluations, its record. */
  public record Run(int index, String id, Map<String, JsonNode> settings, State state, RunRecord record) {
    public boolean finished() {
      return state == State.COMPLETED;
    }
  }

  /** A sweep: its directory, name, description (sweep.json, or null) and runs in sweep order. */
  public record Sweep(Path dir, String name, JsonNode description, List<Run> runs) {
    /** The runs that have evaluations to show. */
    public List<RunRecord> records() {
      List<RunRecord> out = new ArrayList<>();
      for (Run r : runs) if (r.record() != null) out.add(r.record());
      return out;
    }
  }

  /** Whether dir looks like a sweep: it has sweep.json or run directories inside. */
  public static boolean isSweep(Path dir) throws IOException {
    return Files.isDirectory(dir) && (Files.isRegularFile(dir.resolve(SWEEP_JSON)) || !RunSet.listRuns(dir).isEmpty());
  }

  /** The run directories of a sweep that exist and have metrics.jsonl, in sweep order. */
  static List<Path> runDirs(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(SWEEP_JSON))) return RunSet.listRuns(dir);
    List<Path> out = new ArrayList<>();
    for (Run r : read(dir).runs()) if (r.record() != null) out.add(r.record().dir());
    return out;
  }

  /** Reads a sweep directory. */
  public static Sweep read(Path dir) throws IOException {
    Path file = dir.resolve(SWEEP_JSON);
    if (!Files.isRegularFile(file)) {
      List<Path> runs = RunSet.listRuns(dir);
      if (runs.isEmpty()) {
        throw new RunSet.BadInputException(dir + " is not a sweep directory: it has no " + SWEEP_JSON
            + " and no run directories (config.json, metrics.jsonl) inside");
      }
      List<Run> out = new ArrayList<>();
      for (int i = 0; i < runs.size(); i++) out.add(run(i, runs.get(i).getFileName().toString(), Map.of(), runs.get(i)));
      return new Sweep(dir, dir.getFileName().toString(), null, out);
    }
    JsonNode json;
    try {
      json = JSON.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new RunSet.BadInputException(file + ": not valid JSON: " + e.getOriginalMessage());
    }
    JsonNode runs = json.get("runs");
    if (runs == null || !runs.isArray()) {
      throw new RunSet.BadInputException(file + ": expected a \"runs\" array (index, id, settings of each run)");
    }
    List<Run> out = new ArrayList<>();
    for (JsonNode r : runs) {
      JsonNode id = r.get("id");
      if (id == null || !id.isTextual()) throw new RunSet.BadInputException(file + ": a run without a text \"id\"");
      Map<String, JsonNode> settings = new LinkedHashMap<>();
      JsonNode s = r.get("settings");
      if (s != null && s.isObject()) s.properties().forEach(e -> settings.put(e.getKey(), e.getValue()));
      int index = r.has("index") ? r.get("index").asInt() : out.size();
      out.add(run(index, id.asText(), settings, dir.resolve(id.asText())));
    }
    String name = json.has("name") ? json.get("name").asText() : dir.getFileName().toString();
    return new Sweep(dir, name, json, out);
  }

  private static Run run(int index, String id, Map<String, JsonNode> settings, Path dir) throws IOException {
    RunRecord record = null;
    if (Files.isRegularFile(dir.resolve(RunRecord.METRICS)) && Files.isRegularFile(dir.resolve(RunRecord.CONFIG))) {
      try {
        record = RunRecord.read(dir);
      } catch (RunRecord.NotARunException e) {
        record = null; // no evaluation yet: pending
      }
    }
    return new Run(index, id, settings, state(dir, record), record);
  }

  /**
   * completed: summary.json with status completed or stopped_early; failed: status
   * nonfinite_loss; interrupted: a checkpoint but no final summary; pending: nothing to resume.
   */
  static State state(Path dir, RunRecord record) {
    if (record != null && record.summary() != null) {
      JsonNode status = record.summary().get("status");
      String s = status == null ? "completed" : status.asText();
      if (s.equals("completed") || s.equals("stopped_early")) return State.COMPLETED;
      if (s.equals("nonfinite_loss")) return State.FAILED;
      return State.INTERRUPTED;
    }
    if (Files.isDirectory(dir.resolve("checkpoints").resolve("latest"))) return State.INTERRUPTED;
    return State.PENDING;
  }
}
