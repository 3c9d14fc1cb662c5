package lmlab.runs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lmlab.train.RunMetrics;

/**
 * One finished or interrupted training run as read from its directory
 * {@code runs/<name>/{config.json, metrics.jsonl, summary.json}}: the run's config, its
 * evaluation history (one JSON object per line with "step" and numeric metrics) and, when
 * present, its summary.
 *
 * <p>A torn last line of metrics.jsonl (a run killed while writing it) is skipped; any other line
 * that is not a JSON object with a whole-number "step" is an error naming file and line. A
 * missing or unreadable summary.json is left out (runs that did not finish have none).
 */
public record RunRecord(Path dir, ObjectNode config, List<RunMetrics.Evaluation> history, ObjectNode summary) {
  public static final String CONFIG = "config.json";
  public static final String METRICS = "metrics.jsonl";
  public static final String SUMMARY = "summary.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Thrown when a directory is not a readable run; the message names the directory and the problem. */
  public static final class NotARunException extends IllegalArgumentException {
    public NotARunException(String message) {
      super(message);
    }
  }

  /** Reads the run in dir. */
  public static RunRecord read(Path dir) throws IOException {
    if (!Files.exists(dir)) throw new NotARunException(dir + ": no such directory");
    if (!Files.isDirectory(dir)) {
      throw new NotARunException(dir + " is not a run directory (a run directory holds " + CONFIG + " and " + METRICS
          + ")");
    }
    Path metrics = dir.resolve(METRICS);
    if (!Files.isRegularFile(metrics)) {
      throw new NotARunException(dir + " is not a run directory: it has no " + METRICS + hintSubruns(dir));
    }
    Path configFile = dir.resolve(CONFIG);
    if (!Files.isRegularFile(configFile)) {
      throw new NotARunException(dir + " is not a complete run directory: it has " + METRICS + " but no " + CONFIG);
    }
    ObjectNode config;
    try {
      JsonNode c = JSON.readTree(Files.readString(configFile, StandardCharsets.UTF_8));
      if (!(c instanceof ObjectNode o)) throw new NotARunException(configFile + ": not a JSON object");
      config = o;
    } catch (JsonProcessingException e) {
      throw new NotARunException(configFile + ": not valid JSON: " + e.getOriginalMessage());
    }
    List<RunMetrics.Evaluation> history = readMetrics(metrics);
    if (history.isEmpty()) throw new NotARunException(metrics + " holds no evaluations yet");
    ObjectNode summary = null;
    Path summaryFile = dir.resolve(SUMMARY);
    if (Files.isRegularFile(summaryFile)) {
      try {
        if (JSON.readTree(Files.readString(summaryFile, StandardCharsets.UTF_8)) instanceof ObjectNode o) summary = o;
      } catch (JsonProcessingException e) {
        summary = null; // an unfinished write: treat the run as unsummarised
      }
    }
    return new RunRecord(dir, config, history, summary);
  }

  private static String hintSubruns(Path dir) {
    List<String> runs = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> Files.isRegularFile(p.resolve(METRICS))).sorted().forEach(p -> runs.add(p.toString()));
    } catch (IOException e) {
      return "";
    }
    if (runs.isEmpty()) return "";
    return " (it holds " + runs.size() + " run" + (runs.size() == 1 ? "" : "s") + ": "
        + String.join(", ", runs.subList(0, Math.min(3, runs.size()))) + (runs.size() > 3 ? ", ..." : "")
        + "; give those, e.g. " + dir.resolve("*") + ")";
  }

  private static List<RunMetrics.Evaluation> readMetrics(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    int last = lines.size() - 1;
    while (last >= 0 && lines.get(last).isBlank()) last--;
    List<JsonNode> objects = new ArrayList<>();
    for (int i = 0; i <= last; i++) {
      String line = lines.get(i);
      if (line.isBlank()) continue;
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        if (i == last) break; // torn last line of a killed run
        throw new NotARunException(file + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
      }
      if (!(n instanceof ObjectNode)) {
        throw new NotARunException(file + ":" + (i + 1) + ": expected a JSON object per line");
      }
      JsonNode step = n.get("step");
      if (step == null || !step.canConvertToLong() || (step.isFloatingPointNumber() && step.asDouble() != step.asLong())) {
        if (i == last && step == null) break;
        throw new NotARunException(file + ":" + (i + 1) + ": no whole-number \"step\"");
      }
      objects.add(n);
    }
    return RunMetrics.evaluations(objects);
  }

  /** The run metrics of this run's history, up to tMax when not null. */
  public RunMetrics metrics(Long tMax) {
    return RunMetrics.of(history, tMax);
  }

  /** The summary's wall_time_s, NaN when absent. */
  public double wallTimeSeconds() {
    if (summary == null) return Double.NaN;
    JsonNode w = summary.get("wall_time_s");
    return w != null && w.isNumber() ? w.asDouble() : Double.NaN;
  }

  /**
   * The config's leaves under dotted keys (e.g. task.p, model.config.hidden_size, train.seed),
   * in document order. Arrays are leaves (their compact JSON, e.g. [2,3]); strings are their
   * text; other values their JSON.
   */
  public Map<String, String> flatConfig() {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", config, out);
    return out;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      if (node.isEmpty() && !prefix.isEmpty()) out.put(prefix, "{}");
      for (var it = node.properties().iterator(); it.hasNext(); ) {
        var e = it.next();
        flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else {
      out.put(prefix, node.isTextual() ? node.asText() : node.toString());
    }
  }
}
