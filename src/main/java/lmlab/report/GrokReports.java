package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.runs.MeanStd;
import lmlab.runs.RunRecord;
import lmlab.train.RunMetrics;

/**
 * The figures, tables and statements of the built-in grok experiments (experiments.md, "Built-in
 * experiments"), by experiment name; any other sweep gets curves per configuration and the
 * run-metric table.
 */
public final class GrokReports {
  private GrokReports() {}

  /** The sections of a sweep's report. */
  public static List<Section> sections(SweepView v) {
    Section s = switch (v.experiment()) {
      case "grok-sanity" -> sanity(v);
      case "grok-data" -> data(v);
      case "grok-orders" -> orders(v);
      case "grok-size" -> size(v);
      case "grok-compute" -> compute(v);
      case "grok-wd" -> wd(v);
      case "char-rope", "char-context", "char-gqa", "char-2026" -> TextReports.section(v);
      default -> generic(v);
    };
    return List.of(s);
  }

  // ---------------------------------------------------------------- shared pieces

  /** "mean over seeds 0 and 42, bands ±1 std" for this sweep's seeds. */
  static String seeds(SweepView v, String marks) {
    List<String> seeds = v.seeds();
    if (seeds.size() <= 1) return "seed " + String.join("", seeds) + " (one run per configuration)";
    return "mean over seeds " + Settings.and(seeds) + ", " + marks + " ±1 std";
  }

  static String tableTail(SweepView v, Long tMax) {
    List<String> seeds = v.seeds();
    String over = seeds.size() <= 1 ? "one seed (" + String.join("", seeds) + ")" : "mean ± std over seeds " + Settings.and(seeds)
        + " (population std)";
    return over + ", T_max = " + (tMax == null ? "the last step" : tMax) + "; best per column in bold.";
  }

  /** "steps 10001, p = 11" from sweep.json's base (the settings that differ from lmlab train's defaults). */
  static String baseDiff(SweepView v) {
    JsonNode d = v.sweep().description();
    if (d == null || !d.has("base") || d.get("base").isEmpty()) return "none";
    // the values the runs have (a scale replaces steps), else the description's
    List<String> parts = new ArrayList<>();
    d.get("base").properties().forEach(e -> {
      String actual = v.runs().isEmpty() ? null : SweepView.value(v.runs().get(0), e.getKey());
      parts.add(e.getKey() + " " + (actual != null ? actual : e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
    });
    return String.join(", ", parts);
  }

  /** "Data scaling (IFT6135 HW2 P4)": the experiment title of captions. */
  static String title(SweepView v) {
    return v.experiment() + (v.title().equals(v.experiment()) ? "" : " (" + v.title() + ")");
  }

  static String fixed(SweepView v, String... more) {
    List<String> parts = new ArrayList<>();
    for (String m : more) if (m != null && !m.isEmpty()) parts.add(m);
    String b = baseDiff(v);
    if (!b.equals("none")) parts.add(b);
    return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
  }

  static Legend.ColourBar colourBar(String title, List<Double> values, boolean keys) {
    double lo = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double hi = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    return new Legend.ColourBar(title, lo, hi, keys ? CurveFigures.styleKeys() : List.of());
  }

  static Color viridisOf(double v, List<Double> values) {
    double lo = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double hi = values.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    return Palette.viridis(hi == lo ? 0.5 : (v - lo) / (hi - lo));
  }

  static List<Double> numbers(List<String> values) {
    List<Double> out = new ArrayList<>();
    for (String s : values) {
      try {
        out.add(Double.parseDouble(s));
      } catch (NumberFormatException e) {
        out.add(Double.NaN);
      }
    }
    return out;
  }

  /** The four panels of a 2 × 2 curve figure: train loss, validation loss, train accuracy, validation accuracy. */
  static List<CurveFigures.MetricPanel> fourPanels() {
    return List.of(CurveFigures.single("train loss", "train_loss"), CurveFigures.single("validation loss", "val_loss"),
        CurveFigures.single("train accuracy", "train_acc"), CurveFigures.single("validation accuracy", "val_acc"));
  }

  static List<CurveFigures.MetricPanel> lossAcc() {
    return List.of(
        new CurveFigures.MetricPanel("loss", Axis.log("loss (nats)"), List.of(
            new CurveFigures.Part("train_loss", CurveFigures.Role.TRAIN), new CurveFigures.Part("val_loss", CurveFigures.Role.VAL))),
        new CurveFigures.MetricPanel("accuracy", Axis.unit("accuracy"), List.of(
            new CurveFigures.Part("train_acc", CurveFigures.Role.TRAIN), new CurveFigures.Part("val_acc", CurveFigures.Role.VAL))));
  }

  /** One configuration's curves (train tab:blue, validation tab:red, bands). */
  static Figure singleCurves(String id, String name, List<RunRecord> runs, List<CurveFigures.MetricPanel> panels, int rows,
      int cols) {
    List<CurveFigures.Group> g = List.of(new CurveFigures.Group(name, runs, Palette.TRAIN));
    return CurveFigures.figure(id, name, g, panels, CurveFigures.trainValidation(true), rows, cols);
  }

  /** A table row: key texts then the run metrics (mean ± std over the group's runs, up to tMax), then extras. */
  static Table.Row row(List<String> keys, SweepView.Group g, List<String> metricKeys, Long tMax) {
    List<Table.Cell> cells = new ArrayList<>();
    for (String k : keys) cells.add(new Table.Text(k));
    for (String m : metricKeys) cells.add(new Table.Stat(Stats.metric(g.records(), m, tMax), g.runs().size()));
    return new Table.Row(cells);
  }

  static List<Table.Column> columns(List<String> keyHeaders) {
    List<Table.Column> cols = new ArrayList<>();
    for (String k : keyHeaders) cols.add(Table.Column.text(k, k));
    cols.addAll(MetricColumns.all());
    return cols;
  }

  /** Metric-vs-X lines from groups: one line per lineKey value, points at xKey values. */
  static List<MetricFigures.Line> lines(SweepView v, List<Sweeps.Run> runs, String lineKey, String xKey,
      Map<String, Color> colours, java.util.function.Function<String, String> label) {
    List<MetricFigures.Line> out = new ArrayList<>();
    for (SweepView.Group lg : v.groupBy(runs, List.of(lineKey))) {
      List<MetricFigures.Point> pts = new ArrayList<>();
      for (SweepView.Group xg : v.groupBy(lg.runs(), List.of(xKey))) {
        double x = Double.parseDouble(xg.value(0));
        if (!xg.records().isEmpty()) pts.add(new MetricFigures.Point(x, xg.records()));
      }
      pts.sort(java.util.Comparator.comparingDouble(MetricFigures.Point::x));
      out.add(new MetricFigures.Line(label.apply(lg.value(0)), colours.get(lg.value(0)), pts));
    }
    return out;
  }

  static Map<String, Color> tab10(List<String> values) {
    Map<String, Color> m = new LinkedHashMap<>();
    for (String s : values) m.put(s, Palette.tab10(m.size()));
    return m;
  }

  static Legend.Categories categories(String title, Map<String, Color> colours, java.util.function.Function<String, String> label,
      boolean markers) {
    List<Legend.Entry> e = new ArrayList<>();
    colours.forEach((k, c) -> e.add(new Legend.Entry(label.apply(k), c, false, markers)));
    return new Legend.Categories(title, e);
  }

  // ---------------------------------------------------------------- grok-sanity

  static Section sanity(SweepView v) {
    Long tMax = v.lastStep();
    List<Figure> figures = new ArrayList<>();
    List<List<Table.Row>> blocks = new ArrayList<>();
    List<Table.Row> rows = new ArrayList<>();
    for (SweepView.Group g : v.groupBy(List.of("model"))) {
      String model = g.value(0);
      if (!g.records().isEmpty()) {
        figures.add(singleCurves("sanity-curves-" + model, model, g.records(), lossAcc(), 1, 2)
            .withCaption("loss and accuracy vs training step t, train and validation, for " + title(v) + fixed(v, "model " + model)
                + "; " + seeds(v, "bands") + "."));
      }
      rows.add(row(List.of(model), g, RunMetrics.KEYS, tMax));
    }
    blocks.add(rows);
    Table t = new Table("sanity-metrics", "run metrics of " + title(v) + fixed(v) + "; " + tableTail(v, tMax), columns(List.of("model")),
        blocks);
    return new Section(v.experiment(), title(v), "model", baseDiff(v), figures, List.of(t), List.of(), List.of());
  }

  // ---------------------------------------------------------------- grok-data

  static Section data(SweepView v) {
    Long tMax = v.lastStep();
    List<Figure> figures = new ArrayList<>();
    List<Table> tables = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    List<String> models = v.values("model");
    List<Double> rs = numbers(v.values("r_train"));
    List<Table.Row> thresholds = new ArrayList<>();
    for (String model : models) {
      List<Sweeps.Run> runs = v.where("model", model);
      List<CurveFigures.Group> groups = new ArrayList<>();
      List<Table.Row> rows = new ArrayList<>();
      List<SweepView.Group> byR = v.groupBy(runs, List.of("r_train"));
      for (SweepView.Group g : byR) {
        double r = Double.parseDouble(g.value(0));
        if (!g.records().isEmpty()) groups.add(new CurveFigures.Group("r_train " + g.value(0), g.records(), viridisOf(r, rs)));
        rows.add(row(List.of(g.value(0)), g, RunMetrics.KEYS, tMax));
      }
      figures.add(CurveFigures.figure("data-curves-" + model, model, groups, fourPanels(), colourBar("r_train", rs, false), 2, 2)
          .withCaption("train and validation loss and accuracy vs training step t, one curve per r_train, for " + title(v)
              + fixed(v, "model " + model) + "; " + seeds(v, "no bands;").replace(", no bands; ±1 std", "; no bands")
              + "."));
      tables.add(new Table("data-metrics-" + model, "run metrics vs r_train of " + title(v) + fixed(v, "model " + model) + "; "
          + tableTail(v, tMax), columns(List.of("r_train")), List.of(rows)));
      // thresholds on seed means
      String rMin = "none";
      String rMax = "none";
      for (SweepView.Group g : byR) {
        MeanStd aVal = Stats.metric(g.records(), "A_val", tMax);
        MeanStd aTrain = Stats.metric(g.records(), "A_train", tMax);
        if (aVal.present() && aVal.mean() >= 0.9 && rMin.equals("none")) rMin = g.value(0);
        if (aTrain.present() && aVal.present() && aTrain.mean() >= 0.99 && aVal.mean() <= 0.5) rMax = g.value(0);
      }
      thresholds.add(new Table.Row(List.of(new Table.Text(model), new Table.Text(rMin), new Table.Text(rMax))));
      statements.add(model + ": r_min (the smallest r_train with mean A_val ≥ 0.9) = " + rMin
          + "; r_max (the largest r_train with mean A_train ≥ 0.99 and mean A_val ≤ 0.5) = " + rMax + ".");
    }
    Map<String, Color> colours = tab10(models);
    figures.add(MetricFigures.figure("data-metrics", null, Axis.linear("r_train"),
        lines(v, v.runs(), "model", "r_train", colours, m -> m), MetricFigures.GRID, categories("model", colours, m -> m, true), tMax)
        .withCaption("run metrics vs r_train, one line per model, for " + title(v) + fixed(v) + "; " + seeds(v, "bars") + "."));
    tables.add(new Table("data-thresholds", "r_min and r_max per model of " + title(v) + fixed(v)
        + "; on the means over seeds " + Settings.and(v.seeds()) + ", T_max = " + tMax + ".",
        List.of(Table.Column.text("model", "model"), Table.Column.text("r_min", "r_min"), Table.Column.text("r_max", "r_max")),
        List.of(thresholds)));
    return new Section(v.experiment(), title(v), "model × r_train", baseDiff(v), figures, tables, statements, List.of());
  }

  // ---------------------------------------------------------------- grok-orders

  static Section orders(SweepView v) {
    Long tMax = v.lastStep();
    List<Figure> figures = new ArrayList<>();
    List<List<Table.Row>> blocks = new ArrayList<>();
    for (SweepView.Group g : v.groupBy(List.of("model"))) {
      String model = g.value(0);
      if (!g.records().isEmpty()) {
        figures.add(singleCurves("orders-curves-" + model, model, g.records(), lossAcc(), 1, 2)
            .withCaption("loss and accuracy vs training step t over binary and ternary equations, for " + title(v)
                + fixed(v, "model " + model) + "; " + seeds(v, "bands") + "."));
        List<CurveFigures.MetricPanel> panels = new ArrayList<>();
        for (String what : List.of("loss", "acc")) {
          for (int order : new int[] {2, 3}) {
            String name = (order == 2 ? "binary " : "ternary ") + (what.equals("loss") ? "loss" : "accuracy");
            panels.add(new CurveFigures.MetricPanel(name, what.equals("loss") ? Axis.log("loss (nats)") : Axis.unit("accuracy"),
                List.of(new CurveFigures.Part("train_" + what + "_order" + order, CurveFigures.Role.TRAIN),
                    new CurveFigures.Part("val_" + what + "_order" + order, CurveFigures.Role.VAL))));
          }
        }
        figures.add(singleCurves("orders-by-order-" + model, model, g.records(), panels, 2, 2)
            .withCaption("loss and accuracy per order (columns binary, ternary) vs training step t, for " + title(v)
                + fixed(v, "model " + model) + "; " + seeds(v, "bands") + "."));
      }
      List<Table.Row> rows = new ArrayList<>();
      for (String[] scope : new String[][] {{"all", ""}, {"binary", "_order2"}, {"ternary", "_order3"}}) {
        List<String> keys = new ArrayList<>();
        for (String k : RunMetrics.KEYS) keys.add(k + scope[1]);
        rows.add(row(List.of(model, scope[0]), g, keys, tMax));
      }
      blocks.add(rows);
    }
    Table t = new Table("orders-metrics", "run metrics per order of " + title(v) + fixed(v) + "; " + tableTail(v, tMax),
        columns(List.of("model", "scope")), blocks);
    return new Section(v.experiment(), title(v), "model", baseDiff(v), figures, List.of(t), List.of(), List.of());
  }

  // ---------------------------------------------------------------- grok-size

  static Section size(SweepView v) {
    Long tMax = v.lastStep();
    List<Figure> figures = new ArrayList<>();
    List<Table> tables = new ArrayList<>();
    List<String> layers = v.values("layers");
    List<String> ds = v.values("d_model");
    double[] dTicks = numbers(ds).stream().mapToDouble(Double::doubleValue).sorted().toArray();
    Map<String, Color> dColours = tab10(ds);
    Map<String, Color> lColours = tab10(layers);
    for (String model : v.values("model")) {
      List<Sweeps.Run> runs = v.where("model", model);
      List<Panel> panels = new ArrayList<>();
      for (String l : layers) {
        List<CurveFigures.Group> groups = new ArrayList<>();
        for (SweepView.Group g : v.groupBy(runs, List.of("layers", "d_model"))) {
          if (g.value(0).equals(l) && !g.records().isEmpty()) {
            groups.add(new CurveFigures.Group("d " + g.value(1), g.records(), dColours.get(g.value(1))));
          }
        }
        Figure one = CurveFigures.figure("x", null, groups, List.of(CurveFigures.single("L = " + l, "val_acc")), Legend.none(), 1, 1);
        panels.addAll(one.panels());
      }
      figures.add(new Figure("size-curves-" + model, model, 1, panels.size(), panels,
          categories("d_model", dColours, d -> "d = " + d, false), null)
          .withCaption("validation accuracy vs training step t, one panel per number of layers L, one curve per width d, for "
              + title(v) + fixed(v, "model " + model) + "; " + seeds(v, "bands") + "."));
      figures.add(MetricFigures.figure("size-metrics-vs-d-" + model, model, Axis.log2("d_model", dTicks),
          lines(v, runs, "layers", "d_model", lColours, l -> "L = " + l), MetricFigures.GRID,
          categories("layers", lColours, l -> "L = " + l, true), tMax)
          .withCaption("run metrics vs width d (log2 axis), one line per number of layers L, for " + title(v)
              + fixed(v, "model " + model) + "; " + seeds(v, "bars") + "."));
      // vs non-embedding parameters P
      List<MetricFigures.Line> pLines = new ArrayList<>();
      for (SweepView.Group lg : v.groupBy(runs, List.of("layers"))) {
        List<MetricFigures.Point> pts = new ArrayList<>();
        for (SweepView.Group dg : v.groupBy(lg.runs(), List.of("d_model"))) {
          double p = Parameters.nonEmbedding(dg.records());
          if (!dg.records().isEmpty() && Double.isFinite(p)) pts.add(new MetricFigures.Point(p, dg.records()));
        }
        pLines.add(new MetricFigures.Line("L = " + lg.value(0), lColours.get(lg.value(0)), pts));
      }
      figures.add(MetricFigures.figure("size-metrics-vs-params-" + model, model, Axis.log("non-embedding parameters P"),
          pLines, MetricFigures.GRID, categories("layers", lColours, l -> "L = " + l, true), tMax)
          .withCaption("run metrics vs non-embedding parameters P (log axis), colour per L, points of one L joined in order of d, for "
              + title(v) + fixed(v, "model " + model) + "; " + seeds(v, "bars") + "."));
      List<Table.Column> cols = new ArrayList<>(List.of(Table.Column.text("layers", "L"), Table.Column.text("d_model", "d"),
          Table.Column.text("P", "P")));
      cols.addAll(MetricColumns.all());
      List<Table.Row> rows = new ArrayList<>();
      for (SweepView.Group g : v.groupBy(runs, List.of("layers", "d_model"))) {
        double p = Parameters.nonEmbedding(g.records());
        rows.add(row(List.of(g.value(0), g.value(1), Double.isFinite(p) ? String.format(Locale.ROOT, "%,d", (long) p) : "–"), g,
            RunMetrics.KEYS, tMax));
      }
      tables.add(new Table("size-metrics-" + model, "run metrics per size of " + title(v) + fixed(v, "model " + model) + "; "
          + tableTail(v, tMax), cols, List.of(rows)));
    }
    return new Section(v.experiment(), title(v), "model × layers × d_model", baseDiff(v), figures, tables, List.of(), List.of());
  }

  // ---------------------------------------------------------------- grok-compute

  static final double[] ALPHAS = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

  static Section compute(SweepView v) {
    Long last = v.lastStep();
    List<Figure> figures = new ArrayList<>();
    List<Table> tables = new ArrayList<>();
    List<Section.ExtraFile> extras = new ArrayList<>();
    List<String> bs = v.values("batch_size");
    List<Double> log2b = new ArrayList<>();
    for (double b : numbers(bs)) log2b.add(Math.log(b) / Math.log(2));
    double[] bTicks = numbers(bs).stream().mapToDouble(Double::doubleValue).sorted().toArray();
    List<Double> alphas = new ArrayList<>();
    for (double a : ALPHAS) alphas.add(a);
    for (String model : v.values("model")) {
      List<Sweeps.Run> runs = v.where("model", model);
      List<SweepView.Group> byB = v.groupBy(runs, List.of("batch_size"));
      int nTrain = byB.isEmpty() || byB.get(0).records().isEmpty() ? -1 : Parameters.trainSize(byB.get(0).records().get(0));
      String bPrime = nTrain > 0 ? "B' = min(B, N_train), N_train = " + nTrain : "";
      List<CurveFigures.Group> groups = new ArrayList<>();
      for (SweepView.Group g : byB) {
        double b = Double.parseDouble(g.value(0));
        if (!g.records().isEmpty()) groups.add(new CurveFigures.Group("B " + g.value(0), g.records(), viridisOf(Math.log(b) / Math.log(2), log2b)));
      }
      figures.add(CurveFigures.figure("compute-curves-" + model, model, groups, fourPanels(), colourBar("log2 B", log2b, false), 2, 2)
          .withCaption("train and validation loss and accuracy vs training step t, one curve per batch size B, for " + title(v)
              + fixed(v, "model " + model, bPrime) + "; " + seeds(v, "bands").replace(", bands ±1 std", "; no bands") + "."));
      List<MetricFigures.Line> aLines = new ArrayList<>();
      for (double a : ALPHAS) {
        Long tMax = last == null ? null : Math.round(a * last);
        List<MetricFigures.Point> pts = new ArrayList<>();
        for (SweepView.Group g : byB) if (!g.records().isEmpty()) pts.add(new MetricFigures.Point(Double.parseDouble(g.value(0)), g.records()));
        aLines.add(new MetricFigures.Line("α " + a, Palette.viridis((a - 0.1) / 0.9), pts));
      }
      figures.add(alphaFigure("compute-metrics-vs-B-" + model, model, Axis.log2("batch size B", bTicks), aLines, last,
          colourBar("α", alphas, false))
          .withCaption("run metrics vs batch size B (log2 axis), one line per α (metrics up to T_max = α·(T − 1)), for " + title(v)
              + fixed(v, "model " + model, bPrime) + "; " + seeds(v, "bars") + "."));
      // vs compute C = P·B'·t, one point per (B, α)
      List<MetricFigures.Line> cPoints = new ArrayList<>();
      double p = Parameters.nonEmbedding(v.groupBy(runs, List.of("model")).get(0).records());
      for (SweepView.Group g : byB) {
        double b = Double.parseDouble(g.value(0));
        double bEff = nTrain > 0 ? Math.min(b, nTrain) : b;
        for (double a : ALPHAS) {
          if (g.records().isEmpty() || last == null) continue;
          double c = p * bEff * Math.round(a * last);
          cPoints.add(new MetricFigures.Line("B " + g.value(0) + " α " + a, viridisOf(Math.log(b) / Math.log(2), log2b),
              List.of(new MetricFigures.Point(c, g.records()))));
        }
      }
      figures.add(alphaFigure("compute-metrics-vs-C-" + model, model, Axis.log("compute C = P·B'·t"), cPoints, last,
          colourBar("log2 B", log2b, false))
          .withCaption("run metrics vs compute C = P·B'·t (log axis), one point per (B, α), for " + title(v)
              + fixed(v, "model " + model, bPrime) + "; " + seeds(v, "bars") + "."));
      List<Table.Column> cols = new ArrayList<>(List.of(Table.Column.text("batch_size", "B"), Table.Column.text("B_eff", "B'"),
          Table.Column.text("C", "C")));
      cols.addAll(MetricColumns.all());
      List<Table.Row> rows = new ArrayList<>();
      StringBuilder alphaCsv = new StringBuilder();
      List<String> header = new ArrayList<>(List.of("batch_size", "B_eff", "alpha", "T_max", "C"));
      for (String k : RunMetrics.KEYS) {
        header.add(k + "_mean");
        header.add(k + "_std");
        header.add(k + "_n");
      }
      alphaCsv.append(TableFormat.csvLine(header));
      for (SweepView.Group g : byB) {
        double b = Double.parseDouble(g.value(0));
        long bEff = (long) (nTrain > 0 ? Math.min(b, nTrain) : b);
        String c = last == null || !Double.isFinite(p) ? "–" : String.format(Locale.ROOT, "%.3g", p * bEff * last);
        rows.add(row(List.of(g.value(0), Long.toString(bEff), c), g, RunMetrics.KEYS, last));
        for (double a : ALPHAS) {
          Long tMax = last == null ? null : Math.round(a * last);
          List<String> f = new ArrayList<>(List.of(g.value(0), Long.toString(bEff), Double.toString(a), String.valueOf(tMax),
              Double.isFinite(p) && tMax != null ? TableFormat.number(p * bEff * tMax) : ""));
          for (String k : RunMetrics.KEYS) {
            MeanStd m = Stats.metric(g.records(), k, tMax);
            f.add(TableFormat.number(m.mean()));
            f.add(TableFormat.number(m.std()));
            f.add(Integer.toString(m.n()));
          }
          alphaCsv.append(TableFormat.csvLine(f));
        }
      }
      tables.add(new Table("compute-metrics-" + model, "run metrics per batch size at α = 1 of " + title(v)
          + fixed(v, "model " + model, bPrime) + "; " + tableTail(v, last), cols, List.of(rows)));
      extras.add(new Section.ExtraFile("compute-metrics-alpha-" + model + ".csv", alphaCsv.toString()));
    }
    return new Section(v.experiment(), title(v), "model × batch_size; α = 0.1 … 1.0 cuts the runs at T_max = α·(T − 1)",
        baseDiff(v), figures, tables, List.of(), extras);
  }

  /** Metric-vs-X where each line carries its own α: the line's label "… α a" sets its T_max. */
  static Figure alphaFigure(String id, String title, Axis x, List<MetricFigures.Line> lines, Long last, Legend legend) {
    List<Figure> perLine = new ArrayList<>();
    for (MetricFigures.Line l : lines) {
      double a = Double.parseDouble(l.label().substring(l.label().lastIndexOf(' ') + 1));
      Long tMax = last == null ? null : Math.round(a * last);
      perLine.add(MetricFigures.figure(id, title, x, List.of(l), MetricFigures.GRID, legend, tMax));
    }
    List<Panel> panels = new ArrayList<>();
    for (int i = 0; i < MetricFigures.GRID.size(); i++) {
      List<Series> series = new ArrayList<>();
      Panel.Lines first = null;
      for (Figure f : perLine) {
        Panel.Lines pl = (Panel.Lines) f.panels().get(i);
        first = pl;
        series.addAll(pl.series());
      }
      if (first != null) panels.add(new Panel.Lines(first.title(), first.x(), first.y(), series));
    }
    return new Figure(id, title, 2, 5, panels, legend, null);
  }

  // ---------------------------------------------------------------- grok-wd

  static Section wd(SweepView v) {
    Long tMax = v.lastStep();
    List<String> wds = v.values("weight_decay");
    List<Double> lambdas = numbers(wds);
    List<CurveFigures.Group> groups = new ArrayList<>();
    List<Table.Row> rows = new ArrayList<>();
    List<SweepView.Group> byWd = v.groupBy(List.of("weight_decay"));
    for (SweepView.Group g : byWd) {
      double w = Double.parseDouble(g.value(0));
      if (!g.records().isEmpty()) groups.add(new CurveFigures.Group("λ " + g.value(0), g.records(), viridisOf(w, lambdas)));
      List<String> keys = new ArrayList<>(RunMetrics.KEYS);
      keys.add(Stats.PARAM_NORM_LAST);
      keys.add(Stats.PARAM_NORM_MIN);
      rows.add(row(List.of(g.value(0)), g, keys, tMax));
    }
    List<CurveFigures.MetricPanel> panels = new ArrayList<>(lossAcc());
    panels.add(new CurveFigures.MetricPanel("parameter norm ‖θ‖₂", Axis.linear("‖θ‖₂"),
        List.of(new CurveFigures.Part("param_norm", CurveFigures.Role.SINGLE))));
    String model = v.values("model").size() == 1 && !v.values("model").get(0).equals("null") ? v.values("model").get(0) : null;
    List<Figure> figures = new ArrayList<>();
    figures.add(CurveFigures.figure("wd-curves", model, groups, panels, colourBar("weight decay λ", lambdas, true), 1, 3)
        .withCaption("loss, accuracy and ‖θ‖₂ vs training step t, one curve per weight decay λ (train solid, validation dashed), for "
            + title(v) + fixed(v) + "; " + seeds(v, "bands").replace(", bands ±1 std", "; no bands") + "."));
    Map<String, Color> one = new LinkedHashMap<>();
    one.put("all", Palette.TRAIN);
    List<MetricFigures.Point> pts = new ArrayList<>();
    for (SweepView.Group g : byWd) if (!g.records().isEmpty()) pts.add(new MetricFigures.Point(Double.parseDouble(g.value(0)), g.records()));
    figures.add(MetricFigures.figure("wd-metrics", model, Axis.linear("weight decay λ"),
        List.of(new MetricFigures.Line(model == null ? "runs" : model, Palette.TRAIN, pts)), MetricFigures.GRID_WITH_NORM,
        Legend.none(), tMax)
        .withCaption("run metrics, ‖θ‖₂ at the last step and its minimum vs weight decay λ, for " + title(v) + fixed(v) + "; "
            + seeds(v, "bars") + "."));
    List<Table.Column> cols = columns(List.of("weight_decay"));
    cols.set(0, Table.Column.text("weight_decay", "λ"));
    cols.add(new Table.Column(Stats.PARAM_NORM_LAST, "‖θ‖₂(T − 1)", "$\\|\\theta\\|_2(T-1)$", Table.Kind.NUMBER, Table.Best.NONE));
    cols.add(new Table.Column(Stats.PARAM_NORM_MIN, "min ‖θ‖₂", "$\\min \\|\\theta\\|_2$", Table.Kind.NUMBER, Table.Best.NONE));
    Table t = new Table("wd-metrics", "run metrics per weight decay of " + title(v) + fixed(v) + "; " + tableTail(v, tMax), cols,
        List.of(rows));
    return new Section(v.experiment(), title(v), "weight_decay", baseDiff(v), figures, List.of(t), List.of(), List.of());
  }

  // ---------------------------------------------------------------- any other sweep

  static Section generic(SweepView v) {
    Long tMax = v.lastStep();
    List<String> keys = v.gridKeys();
    List<SweepView.Group> groups = v.groupBy(keys);
    List<CurveFigures.Group> cg = new ArrayList<>();
    List<Table.Row> rows = new ArrayList<>();
    List<Legend.Entry> entries = new ArrayList<>();
    for (SweepView.Group g : groups) {
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) parts.add(keys.get(i) + " " + g.value(i));
      String label = keys.isEmpty() ? "all runs" : String.join(", ", parts);
      Color c = groups.size() == 1 ? Palette.TRAIN : Palette.tab10(cg.size());
      if (!g.records().isEmpty()) {
        cg.add(new CurveFigures.Group(label, g.records(), c));
        entries.add(new Legend.Entry(label, c, false, false));
      }
      rows.add(row(g.values().subList(0, keys.size()), g, RunMetrics.KEYS, tMax));
    }
    List<Figure> figures = new ArrayList<>();
    if (!cg.isEmpty()) {
      Legend legend = cg.size() == 1 ? CurveFigures.trainValidation(true) : new Legend.Categories(null, appendStyle(entries));
      figures.add(CurveFigures.figure(v.experiment() + "-curves", cg.size() == 1 ? cg.get(0).label() : null, cg, lossAcc(), legend, 1, 2)
          .withCaption("loss and accuracy vs training step t for " + title(v) + fixed(v) + "; " + seeds(v, "bands") + "."));
    }
    Table t = new Table(v.experiment() + "-metrics", "run metrics of " + title(v) + fixed(v) + "; " + tableTail(v, tMax),
        columns(keys), List.of(rows));
    return new Section(v.experiment(), title(v), keys.isEmpty() ? "nothing (one configuration)" : String.join(" × ", keys),
        baseDiff(v), figures, List.of(t), List.of(), List.of());
  }

  static List<Legend.Entry> appendStyle(List<Legend.Entry> e) {
    List<Legend.Entry> out = new ArrayList<>(e);
    out.addAll(CurveFigures.styleKeys());
    return out;
  }
}
