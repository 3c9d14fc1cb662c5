package lmlab.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.runs.RunGroups;
import lmlab.runs.RunRecord;

/**
 * Training curves (metric vs step) as experiments.md draws them: at each evaluated step the mean
 * over seeds with a ±1 std band where a panel has at most four series; one configuration in
 * tab:blue (train) and tab:red (validation); several: colour = configuration (tab10, or viridis
 * with a colour bar for an ordered parameter), train solid, validation dashed.
 */
public final class CurveFigures {
  private CurveFigures() {}

  /** Which line of a panel a metric key is. */
  public enum Role { TRAIN, VAL, SINGLE }

  public record Part(String key, Role role) {}

  /** One panel: its title, y axis and the metrics.jsonl keys drawn in it. */
  public record MetricPanel(String title, Axis y, List<Part> parts) {
    boolean pair() {
      for (Part p : parts) if (p.role() == Role.VAL) return true;
      return false;
    }
  }

  /** A configuration: its label, runs (seeds), colour and, for an ordered colour, its value. */
  public record Group(String label, List<RunRecord> runs, Color color) {}

  public static final Axis STEP_AXIS = Axis.steps("training step t");

  /**
   * The panel for a --metrics name: loss (train and validation, log axis), acc, param_norm, any
   * metrics.jsonl key, or a name whose train_/val_ keys exist (loss_order2). Error when no run has it.
   */
  public static MetricPanel panel(String name, RunSet set) {
    MetricPanel p = switch (name) {
      case "loss" -> new MetricPanel("loss", Axis.log("loss (nats)"),
          List.of(new Part("train_loss", Role.TRAIN), new Part("val_loss", Role.VAL)));
      case "acc", "accuracy" -> new MetricPanel("accuracy", Axis.unit("accuracy"),
          List.of(new Part("train_acc", Role.TRAIN), new Part("val_acc", Role.VAL)));
      case "param_norm" -> new MetricPanel("parameter norm ‖θ‖₂", Axis.linear("‖θ‖₂"),
          List.of(new Part("param_norm", Role.SINGLE)));
      default -> {
        if (set.has(name)) yield new MetricPanel(name, axisFor(name, name), List.of(new Part(name, Role.SINGLE)));
        if (set.has("train_" + name) || set.has("val_" + name)) {
          yield new MetricPanel(name, axisFor(name, name),
              List.of(new Part("train_" + name, Role.TRAIN), new Part("val_" + name, Role.VAL)));
        }
        yield null;
      }
    };
    boolean any = false;
    if (p != null) for (Part part : p.parts()) any |= set.has(part.key());
    if (!any) {
      throw new RunSet.BadInputException("metric '" + name + "': no run has it in metrics.jsonl; expected loss, acc, "
          + "param_norm or one of " + String.join(", ", set.metricKeys()));
    }
    return p;
  }

  static Axis axisFor(String key, String title) {
    if (key.contains("loss")) return Axis.log(title + " (nats)");
    if (key.contains("acc")) return Axis.unit(title);
    return Axis.linear(title);
  }

  /** One panel per metric key alone (train loss, validation loss, … with one curve per configuration). */
  public static MetricPanel single(String title, String key) {
    return new MetricPanel(title, axisFor(key, title), List.of(new Part(key, Role.SINGLE)));
  }

  /**
   * The figure of {@code lmlab plot curves}: runs grouped by configuration (seeds pooled),
   * coloured by colorBy's value when given (numeric: viridis with a colour bar), else one tab10
   * colour per configuration.
   */
  public static Figure curves(String id, RunSet set, List<String> metrics, String colorBy) {
    List<MetricPanel> panels = new ArrayList<>();
    for (String m : metrics) panels.add(panel(m, set));
    List<RunRecord> runs = set.runs();
    if (colorBy != null) Settings.require(runs, colorBy, "--color-by");
    List<RunGroups.Group> groups = RunGroups.group(runs, null);
    List<Group> coloured = new ArrayList<>();
    Legend legend;
    boolean pair = panels.stream().anyMatch(MetricPanel::pair);
    if (groups.size() == 1) {
      coloured.add(new Group(groups.get(0).label(), groups.get(0).runs(), Palette.TRAIN));
      legend = pair ? trainValidation(true) : Legend.none();
    } else if (colorBy != null) {
      List<String> values = new ArrayList<>();
      for (RunGroups.Group g : groups) values.add(Settings.value(g.runs().get(0), colorBy));
      if (Settings.numeric(values)) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (String v : values) {
          lo = Math.min(lo, Double.parseDouble(v));
          hi = Math.max(hi, Double.parseDouble(v));
        }
        for (int i = 0; i < groups.size(); i++) {
          double v = Double.parseDouble(values.get(i));
          coloured.add(new Group(groups.get(i).label(), groups.get(i).runs(), Palette.viridis(hi == lo ? 0.5 : (v - lo) / (hi - lo))));
        }
        legend = new Legend.ColourBar(colorBy, lo, hi, pair ? styleKeys() : List.of());
      } else {
        Map<String, Color> byValue = new LinkedHashMap<>();
        for (String v : values) byValue.computeIfAbsent(String.valueOf(v), k -> Palette.tab10(byValue.size()));
        for (int i = 0; i < groups.size(); i++) {
          coloured.add(new Group(groups.get(i).label(), groups.get(i).runs(), byValue.get(String.valueOf(values.get(i)))));
        }
        List<Legend.Entry> entries = new ArrayList<>();
        byValue.forEach((v, c) -> entries.add(new Legend.Entry(v, c, false, false)));
        if (pair) entries.addAll(styleKeys());
        legend = new Legend.Categories(colorBy, entries);
      }
    } else {
      List<Legend.Entry> entries = new ArrayList<>();
      for (int i = 0; i < groups.size(); i++) {
        Color c = Palette.tab10(i);
        coloured.add(new Group(groups.get(i).label(), groups.get(i).runs(), c));
        entries.add(new Legend.Entry(groups.get(i).label(), c, false, false));
      }
      if (pair) entries.addAll(styleKeys());
      legend = new Legend.Categories(null, entries);
    }
    String title = groups.size() == 1 ? configurationName(groups.get(0)) : null;
    Figure f = figure(id, title, coloured, panels, legend, 1, panels.size());
    return f.withCaption(caption(metrics, runs, f, panels, coloured));
  }

  /** A single configuration's name: its label, or its model preset when nothing differs. */
  static String configurationName(RunGroups.Group g) {
    if (!g.label().equals("all runs")) return g.label();
    String preset = g.runs().get(0).flatConfig().get("model.preset");
    return preset == null ? null : preset;
  }

  /** "train" solid and "validation" dashed keys in grey (several configurations). */
  public static List<Legend.Entry> styleKeys() {
    Color grey = new Color(0x444444);
    return List.of(new Legend.Entry("train", grey, false, false), new Legend.Entry("validation", grey, true, false));
  }

  /** train tab:blue, validation tab:red (one configuration). */
  public static Legend trainValidation(boolean withTitle) {
    return new Legend.Categories(null, List.of(new Legend.Entry("train", Palette.TRAIN, false, false),
        new Legend.Entry("validation", Palette.VALIDATION, false, false)));
  }

  /**
   * A curve figure: panels in a rows × cols grid, one series per (group, part); bands where a
   * panel has at most four series and some step has more than one run.
   */
  public static Figure figure(String id, String title, List<Group> groups, List<MetricPanel> panels, Legend legend,
      int rows, int cols) {
    boolean single = groups.size() == 1;
    List<Panel> out = new ArrayList<>();
    for (MetricPanel mp : panels) {
      List<Series> series = new ArrayList<>();
      int count = groups.size() * mp.parts().size();
      for (Group g : groups) {
        for (Part part : mp.parts()) {
          Stats.Curve c = Stats.curve(g.runs(), part.key());
          if (c.isEmpty()) continue;
          Color color = single ? (part.role() == Role.VAL ? Palette.VALIDATION : Palette.TRAIN) : g.color();
          boolean dashed = !single && part.role() == Role.VAL;
          String label = g.label() + " " + part.key();
          boolean spread = false;
          for (int n : c.n()) spread |= n > 1;
          series.add(count <= 4 && spread ? Series.band(label, color, dashed, c.steps(), c.mean(), c.std())
              : Series.line(label, color, dashed, c.steps(), c.mean()));
        }
      }
      out.add(new Panel.Lines(mp.title(), STEP_AXIS, mp.y(), series));
    }
    return new Figure(id, title, rows, cols, out, legend, null);
  }

  static String caption(List<String> metrics, List<RunRecord> runs, Figure f, List<MetricPanel> panels, List<Group> groups) {
    List<String> titles = new ArrayList<>();
    for (MetricPanel p : panels) titles.add(p.title());
    String what = Settings.and(titles) + " vs training step";
    String fixed = Settings.fixed(runs, Set.of());
    return "Figure 1: " + what + " for " + (f.title() != null ? f.title() : groups.size() + " configurations")
        + (fixed.isEmpty() ? "" : " (" + fixed + ")") + "; " + seedPhrase(runs, true) + ".";
  }

  /** "mean over seeds 0 and 42, bands ±1 std" (bars for error-bar figures), or "seed 0" alone. */
  public static String seedPhrase(List<RunRecord> runs, boolean bands) {
    List<String> seeds = Settings.seeds(runs);
    if (seeds.size() <= 1) return seeds.isEmpty() ? "one run per configuration" : "seed " + seeds.get(0);
    return "mean over seeds " + Settings.and(seeds) + ", " + (bands ? "bands" : "bars") + " ±1 std";
  }
}
