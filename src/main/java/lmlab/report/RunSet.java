package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import lmlab.runs.RunRecord;

/**
 * The runs a figure or table is made from: run directories given one by one, or sweep directories
 * (a {@code sweep.json} or run directories inside) expanded to their runs. Every run must be of one
 * task: curves of different tasks on one axis compare nothing.
 */
public final class RunSet {
  private final List<RunRecord> runs;

  private RunSet(List<RunRecord> runs) {
    this.runs = runs;
  }

  public List<RunRecord> runs() {
    return runs;
  }

  /** Thrown for input that is not what a plot needs; the message is one line naming the thing and what was expected. */
  public static final class BadInputException extends IllegalArgumentException {
    public BadInputException(String message) {
      super(message);
    }
  }

  /** Reads dirs (runs or sweeps), checks they share one task. */
  public static RunSet read(List<Path> dirs) throws IOException {
    List<RunRecord> runs = new ArrayList<>();
    Set<Path> seen = new LinkedHashSet<>();
    for (Path d : dirs) {
      for (Path r : expand(d)) {
        if (seen.add(r.toAbsolutePath().normalize())) runs.add(read(r));
      }
    }
    checkOneTask(runs);
    return new RunSet(runs);
  }

  /** A run directory as itself; a sweep directory as its runs (sweep order when sweep.json lists them). */
  static List<Path> expand(Path d) throws IOException {
    if (!Files.exists(d)) throw new BadInputException(d + ": no such directory (expected a run or sweep directory)");
    if (!Files.isDirectory(d)) {
      throw new BadInputException(d + " is a file, not a run directory (config.json, metrics.jsonl) or sweep directory (sweep.json)");
    }
    if (Files.isRegularFile(d.resolve(RunRecord.METRICS))) return List.of(d);
    List<Path> inside = Sweeps.runDirs(d);
    if (inside.isEmpty()) {
      throw new BadInputException(d + " is neither a run directory (it has no " + RunRecord.METRICS
          + ") nor a sweep directory (no sweep.json and no run directories inside)");
    }
    return inside;
  }

  private static RunRecord read(Path r) throws IOException {
    try {
      return RunRecord.read(r);
    } catch (RunRecord.NotARunException e) {
      throw new BadInputException(e.getMessage());
    }
  }

  /** The task of a run: config.task.name with the settings that define its vocabulary. */
  public static String task(RunRecord r) {
    JsonNode t = r.config().get("task");
    if (t == null || !t.isObject()) return "(no task)";
    JsonNode name = t.get("name");
    return name == null ? "(no task)" : name.asText();
  }

  static void checkOneTask(List<RunRecord> runs) {
    Map<String, Path> first = new LinkedHashMap<>();
    for (RunRecord r : runs) first.putIfAbsent(task(r), r.dir());
    if (first.size() > 1) {
      List<String> parts = new ArrayList<>();
      for (var e : first.entrySet()) parts.add(e.getValue() + " is task " + e.getKey());
      throw new BadInputException("runs of different tasks in one plot (" + String.join(", ", parts)
          + "); expected runs of one task");
    }
  }

  /** The metrics.jsonl keys any run has (for error messages). */
  public Set<String> metricKeys() {
    Set<String> keys = new TreeSet<>();
    for (RunRecord r : runs) for (var e : r.history()) keys.addAll(e.metrics().keySet());
    return keys;
  }

  /** Whether some run has metric key in its history. */
  public boolean has(String key) {
    for (RunRecord r : runs) for (var e : r.history()) if (e.metrics().containsKey(key)) return true;
    return false;
  }

  /** Lists the run directories of dir when it is a sweep (sweep.json) or holds runs; empty otherwise. */
  static List<Path> listRuns(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> Files.isRegularFile(p.resolve(RunRecord.METRICS))).sorted().forEach(out::add);
    }
    return out;
  }
}
