package lmlab.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import lmlab.runs.MeanStd;
import lmlab.runs.RunRecord;

/**
 * "Metrics vs X" (experiments.md): a 2 × 5 grid, row 1 L_train, L_val, A_train, A_val, Δt(L);
 * row 2 t_f(L_train), t_f(L_val), t_f(A_train), t_f(A_val), Δt(A). Mean markers joined by lines
 * with ±1 std error bars over seeds; loss axes log, accuracies on [0, 1], steps linear.
 */
public final class MetricFigures {
  private MetricFigures() {}

  /** The grid's keys in panel order. */
  public static final List<String> GRID = List.of(
      "L_train", "L_val", "A_train", "A_val", "delta_t_L",
      "t_f_L_train", "t_f_L_val", "t_f_A_train", "t_f_A_val", "delta_t_A");

  /** The grid of grok-wd: the ten, then ‖θ‖₂ at the last step and its minimum (2 × 6). */
  public static final List<String> GRID_WITH_NORM = List.of(
      "L_train", "L_val", "A_train", "A_val", "delta_t_L", Stats.PARAM_NORM_LAST,
      "t_f_L_train", "t_f_L_val", "t_f_A_train", "t_f_A_val", "delta_t_A", Stats.PARAM_NORM_MIN);

  /** One point: its x and the runs (seeds) averaged there. */
  public record Point(double x, List<RunRecord> runs) {}

  /** One line: label, colour, points in drawing order. */
  public record Line(String label, Color color, List<Point> points) {}

  /** The figure: one panel per key, one error-bar series per line. */
  public static Figure figure(String id, String title, Axis x, List<Line> lines, List<String> keys, Legend legend,
      Long tMax) {
    List<Panel> panels = new ArrayList<>();
    for (String key : keys) {
      List<Series> series = new ArrayList<>();
      for (Line l : lines) {
        double[] xs = new double[l.points().size()];
        double[] ys = new double[xs.length];
        double[] sd = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
          Point p = l.points().get(i);
          MeanStd m = Stats.metric(p.runs(), key, tMax);
          xs[i] = p.x();
          ys[i] = m.mean();
          sd[i] = m.std();
        }
        series.add(Series.errorbars(l.label(), l.color(), xs, ys, sd));
      }
      panels.add(new Panel.Lines(label(key), x, yAxis(key), series));
    }
    int cols = keys.size() / 2;
    return new Figure(id, title, 2, cols, panels, legend, null);
  }

  static String label(String key) {
    return switch (key) {
      case Stats.PARAM_NORM_LAST -> "‖θ‖₂ at the last step";
      case Stats.PARAM_NORM_MIN -> "min ‖θ‖₂";
      case Stats.PARAM_NORM_MAX -> "max ‖θ‖₂";
      default -> MetricColumns.label(key);
    };
  }

  static Axis yAxis(String key) {
    if (key.startsWith("L_")) return Axis.log(label(key) + " (nats)");
    if (key.startsWith("A_")) return Axis.unit(label(key));
    if (key.startsWith("param_norm")) return Axis.linear("‖θ‖₂");
    return Axis.steps(label(key) + " (steps)");
  }

  /**
   * An x axis for values: log2 with the values as ticks when they are three or more powers of two
   * (d, B), else linear.
   */
  public static Axis xAxis(String title, List<Double> values) {
    List<Double> distinct = values.stream().distinct().sorted().toList();
    boolean pow2 = distinct.size() >= 3;
    for (double v : distinct) {
      if (!(v > 0) || Math.abs(Math.log(v) / Math.log(2) - Math.rint(Math.log(v) / Math.log(2))) > 1e-9) pow2 = false;
    }
    if (pow2) return Axis.log2(title, distinct.stream().mapToDouble(Double::doubleValue).toArray());
    return Axis.linear(title);
  }

  /**
   * The figure of {@code lmlab plot metrics}: x = the numeric setting xKey, one line per value of
   * groupKey (tab10 legend) or one line for all runs.
   */
  public static Figure metricsVs(String id, RunSet set, String xKey, String groupKey) {
    List<RunRecord> runs = set.runs();
    Settings.require(runs, xKey, "--x");
    if (groupKey != null) Settings.require(runs, groupKey, "--group");
    Map<String, TreeMap<Double, List<RunRecord>>> byGroup = new java.util.LinkedHashMap<>();
    List<Double> xs = new ArrayList<>();
    for (RunRecord r : runs) {
      String xv = Settings.value(r, xKey);
      double x;
      try {
        x = Double.parseDouble(xv == null ? "" : xv);
      } catch (NumberFormatException e) {
        throw new RunSet.BadInputException("--x " + xKey + ": run " + r.dir() + " has " + xKey + " = "
            + (xv == null ? "(none)" : xv) + "; expected a number in every run");
      }
      xs.add(x);
      String g = groupKey == null ? "all runs" : String.valueOf(Settings.value(r, groupKey));
      byGroup.computeIfAbsent(g, k -> new TreeMap<>()).computeIfAbsent(x, k -> new ArrayList<>()).add(r);
    }
    List<Line> lines = new ArrayList<>();
    List<Legend.Entry> entries = new ArrayList<>();
    int i = 0;
    for (var e : byGroup.entrySet()) {
      List<Point> pts = new ArrayList<>();
      e.getValue().forEach((x, rs) -> pts.add(new Point(x, rs)));
      Color c = Palette.tab10(i++);
      String label = e.getKey();
      lines.add(new Line(label, c, pts));
      entries.add(new Legend.Entry(label, c, false, true));
    }
    Legend legend = lines.size() > 1 ? new Legend.Categories(groupKey, entries) : Legend.none();
    Figure f = figure(id, null, xAxis(xKey, xs), lines, GRID, legend, null);
    String fixed = Settings.fixed(runs, java.util.Set.of(xKey));
    return f.withCaption(String.format(Locale.ROOT, "Figure 1: run metrics vs %s%s%s; %s.", xKey,
        groupKey == null ? "" : " per " + groupKey, fixed.isEmpty() ? "" : " (" + fixed + ")",
        CurveFigures.seedPhrase(runs, false)));
  }
}
