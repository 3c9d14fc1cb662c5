package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import lmlab.train.RunMetrics;

/**
 * {@code lmlab experiment report DIR}: reads a sweep directory (experiments.md layout) and writes
 * its report from whatever runs exist, without training. Unfinished runs' curves end at their last
 * evaluation and their table cells say how many seeds they hold.
 */
public final class Reports {
  private Reports() {}

  /** Builds DIR/report/; meta's title and scale are filled from the sweep when null. */
  public static Path build(Path dir, ReportWriter.Meta meta) throws IOException {
    if (!Files.isDirectory(dir)) throw new RunSet.BadInputException(dir + ": no such directory (expected a sweep directory)");
    if (Files.isRegularFile(dir.resolve("metrics.jsonl"))) {
      throw new RunSet.BadInputException(dir + " is a run directory; expected a sweep directory (sweep.json and its runs)"
          + " — plot a single run with lmlab plot curves");
    }
    SweepView v = new SweepView(Sweeps.read(dir));
    List<Section> sections = GrokReports.sections(v);
    ReportWriter.Meta m = new ReportWriter.Meta(
        meta.title() != null ? meta.title() : v.experiment() + ": " + v.title(),
        meta.scale() != null ? meta.scale() : v.scale(), meta.command(), meta.version(), meta.machine() + threadsPerRun(v),
        meta.date());
    return ReportWriter.write(v, sections, m, metricsCsv(v));
  }

  /** ", 1 thread per run" (or "1–2 threads per run") from the runs' config.json; "" when none records it. */
  static String threadsPerRun(SweepView v) {
    java.util.TreeSet<Integer> counts = new java.util.TreeSet<>();
    for (Sweeps.Run r : v.runs()) {
      if (r.record() == null || r.record().config() == null) continue;
      var t = r.record().config().get("threads");
      if (t != null && t.canConvertToInt() && t.asInt() > 0) counts.add(t.asInt());
    }
    if (counts.isEmpty()) return "";
    String n = counts.size() == 1 ? Integer.toString(counts.first()) : counts.first() + "–" + counts.last();
    return ", " + n + (counts.last() == 1 ? " thread" : " threads") + " per run";
  }

  /** The command that reproduces a sweep's report: experiment run for built-ins at their scale. */
  public static String reproduce(Path dir) throws IOException {
    SweepView v = new SweepView(Sweeps.read(dir));
    if (v.experiment().startsWith("grok-") || v.experiment().startsWith("char-")) {
      return "lmlab experiment run " + v.experiment() + (v.scale().equals("full") ? "" : " --scale " + v.scale());
    }
    return "lmlab experiment report " + dir;
  }

  /**
   * metrics.csv: one row per run: id, its settings (sweep.json's keys), state, then every run metric
   * of every scope (all, order2, order3 when present), and for grok-compute each at every α.
   */
  static String metricsCsv(SweepView v) {
    Set<String> settingKeys = new LinkedHashSet<>();
    for (Sweeps.Run r : v.runs()) {
      for (String k : r.settings().keySet()) if (!k.equals("runs_dir") && !k.equals("run_name")) settingKeys.add(k);
    }
    if (settingKeys.isEmpty()) settingKeys.addAll(v.gridKeys());
    boolean orders = false;
    for (Sweeps.Run r : v.runs()) if (r.record() != null && !r.record().metrics(null).orders().isEmpty()) orders = true;
    List<String> metricKeys = new ArrayList<>(RunMetrics.KEYS);
    if (orders) {
      for (String k : RunMetrics.KEYS) metricKeys.add(k + "_order2");
      for (String k : RunMetrics.KEYS) metricKeys.add(k + "_order3");
    }
    metricKeys.add(Stats.PARAM_NORM_LAST);
    metricKeys.add(Stats.PARAM_NORM_MIN);
    metricKeys.add(Stats.PARAM_NORM_MAX);
    boolean alpha = v.experiment().equals("grok-compute");
    Long last = v.lastStep();
    List<String> header = new ArrayList<>(List.of("run"));
    header.addAll(settingKeys);
    header.add("state");
    header.add("last_step");
    header.addAll(metricKeys);
    if (alpha) for (double a : GrokReports.ALPHAS) for (String k : RunMetrics.KEYS) header.add(k + "@alpha" + a);
    StringBuilder sb = new StringBuilder(TableFormat.csvLine(header));
    for (Sweeps.Run r : v.runs()) {
      List<String> f = new ArrayList<>(List.of(r.id()));
      for (String k : settingKeys) {
        JsonNode s = r.settings().get(k);
        f.add(s == null || s.isNull() ? "" : s.isTextual() ? s.asText() : s.toString());
      }
      f.add(r.state().label());
      f.add(r.record() == null ? "" : Long.toString(r.record().metrics(null).lastStep()));
      for (String k : metricKeys) f.add(r.record() == null ? "" : TableFormat.number(Stats.value(r.record(), k, last)));
      if (alpha) {
        for (double a : GrokReports.ALPHAS) {
          Long tMax = last == null ? null : Math.round(a * last);
          for (String k : RunMetrics.KEYS) f.add(r.record() == null ? "" : TableFormat.number(Stats.value(r.record(), k, tMax)));
        }
      }
      sb.append(TableFormat.csvLine(f));
    }
    return sb.toString();
  }
}
