package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.runs.MeanStd;
import lmlab.train.RunDirectory;

/**
 * The figures, tables and samples of the character-level experiments (text.md, "Built-in
 * experiments: CMU 10-423 HW1"): char-rope, char-context, char-gqa and char-2026. They read each
 * run's steps.jsonl (batch loss, block size, time and memory per update), metrics.jsonl
 * (validation at every block size), samples.jsonl and config.json; nothing is recomputed.
 */
final class TextReports {
  static final double LOSS_LOW = 1.5;
  static final double LOSS_HIGH = 4.2;
  static final int RUNNING = 20;
  static final double MIB = 1024.0 * 1024.0;

  private TextReports() {}

  /** One run's logs. */
  record TextRun(String id, String position, int nkv, long parameters, List<ObjectNode> steps, List<ObjectNode> evals,
      List<ObjectNode> samples, JsonNode summary) {
    double[] x() {
      return steps.stream().mapToDouble(l -> l.get("step").asDouble()).toArray();
    }

    double[] field(String k) {
      return steps.stream().mapToDouble(l -> l.path(k).asDouble(Double.NaN)).toArray();
    }

    /** Values of a per-update field over updates from..end of the run (text.md: medians over updates 10 … end). */
    double[] tail(String k, int from) {
      double[] v = field(k);
      return v.length > from ? Arrays.copyOfRange(v, from, v.length) : v;
    }

    /** The evaluations' (step, value) of a metric key. */
    double[][] eval(String key) {
      List<double[]> pts = new ArrayList<>();
      for (ObjectNode e : evals) if (e.has(key)) pts.add(new double[] {e.get("step").asDouble(), e.get(key).asDouble()});
      double[][] out = new double[2][pts.size()];
      for (int i = 0; i < pts.size(); i++) {
        out[0][i] = pts.get(i)[0];
        out[1][i] = pts.get(i)[1];
      }
      return out;
    }

    double evalAt(String key, long step) {
      for (ObjectNode e : evals) if (e.get("step").asLong() == step && e.has(key)) return e.get(key).asDouble();
      return Double.NaN;
    }

    /** Mean of the last n batch losses before update `before` (exclusive), or of the run's last n. */
    double meanLoss(int n, int before) {
      double[] l = field("loss");
      int end = Math.min(before, l.length);
      int start = Math.max(0, end - n);
      double s = 0;
      for (int i = start; i < end; i++) s += l[i];
      return end > start ? s / (end - start) : Double.NaN;
    }
  }

  static List<TextRun> runs(SweepView v) {
    List<TextRun> out = new ArrayList<>();
    for (Sweeps.Run r : v.runs()) {
      if (r.record() == null) continue;
      Path dir = r.record().dir();
      try {
        JsonNode mc = r.record().config().path("model").path("config");
        int nq = mc.path("num_attention_heads").asInt();
        int nkv = mc.path("num_key_value_heads").asInt(nq);
        String position = mc.path("position").asText("learned");
        long params = r.record().summary() == null ? -1 : r.record().summary().path("parameters").asLong(-1);
        if (params < 0) params = lmlab.models.Models.parseConfig(mc).numParameters();
        out.add(new TextRun(r.id(), position, nkv, params, RunDirectory.readLines(dir.resolve(RunDirectory.STEPS)),
            RunDirectory.readLines(dir.resolve(RunDirectory.METRICS)), RunDirectory.readLines(dir.resolve("samples.jsonl")),
            r.record().summary()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  static Section section(SweepView v) {
    List<TextRun> runs = runs(v);
    return switch (v.experiment()) {
      case "char-rope" -> rope(v, runs);
      case "char-context" -> context(v, runs);
      case "char-gqa" -> gqa(v, runs);
      default -> handout(v, runs);
    };
  }

  // ---------------------------------------------------------------- shared pieces

  static String machineNote(SweepView v) {
    return "times from one machine and thread count (the report's header)";
  }

  static String scaleNote(SweepView v) {
    return v.scale().equals("full") ? "" : " at scale " + v.scale();
  }

  /** The running mean over the last n values (fewer at the start). */
  static double[] running(double[] y, int n) {
    double[] out = new double[y.length];
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += y[i];
      if (i >= n) s -= y[i - n];
      out[i] = s / Math.min(i + 1, n);
    }
    return out;
  }

  static double median(double[] v) {
    return quantile(v, 0.5);
  }

  /** Linear-interpolation quantile (numpy's default). */
  static double quantile(double[] v, double q) {
    double[] s = Arrays.stream(v).filter(Double::isFinite).sorted().toArray();
    if (s.length == 0) return Double.NaN;
    double pos = q * (s.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(s.length - 1, lo + 1);
    return s[lo] + (pos - lo) * (s[hi] - s[lo]);
  }

  static Axis lossAxis() {
    return Axis.range("loss (nats per character)", LOSS_LOW, LOSS_HIGH);
  }

  /** Raw batch losses (thin, opacity 0.35) under their 20-iteration running mean, and validation markers. */
  static List<Series> lossSeries(TextRun r, Color c, String label, String valKey, double maxStep) {
    double[] x = r.x();
    double[] y = r.field("loss");
    if (maxStep < Double.MAX_VALUE) {
      int n = 0;
      while (n < x.length && x[n] <= maxStep) n++;
      x = Arrays.copyOf(x, n);
      y = Arrays.copyOf(y, n);
    }
    List<Series> out = new ArrayList<>();
    out.add(Series.line(label + " (batch)", c, false, x, y).withOpacity(0.35f, 0.8f));
    out.add(Series.line(label, c, false, x, running(y, RUNNING)));
    if (valKey != null) {
      double[][] e = r.eval(valKey);
      out.add(new Series(label + " validation", c, true, Series.Style.MARKERS, e[0], e[1], null, 1f, 1.2f));
    }
    return out;
  }

  static Legend categories(List<String> labels, List<Color> colours, boolean validation) {
    List<Legend.Entry> e = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) e.add(new Legend.Entry(labels.get(i), colours.get(i), false, false));
    e.add(new Legend.Entry("batch loss, 20-iteration mean", Color.DARK_GRAY, false, false));
    if (validation) e.add(new Legend.Entry("validation", Color.DARK_GRAY, true, true));
    return new Legend.Categories(null, e);
  }

  static Table.Cell stat(double v) {
    return new Table.Stat(Double.isFinite(v) ? MeanStd.of(v) : MeanStd.of(new double[0]), 1);
  }

  static Table.Column loss(String key, String header) {
    return new Table.Column(key, header, null, Table.Kind.LOSS, Table.Best.LOW);
  }

  static Table.Column number(String key, String header) {
    return new Table.Column(key, header, null, Table.Kind.NUMBER, Table.Best.NONE);
  }

  static Table.Column whole(String key, String header) {
    return new Table.Column(key, header, null, Table.Kind.STEP, Table.Best.NONE);
  }

  /** Samples as statements (first 300 characters, line breaks shown as ⏎) and full text as extra files. */
  static void samples(TextRun r, List<String> statements, List<Section.ExtraFile> extras, String what) {
    StringBuilder full = new StringBuilder();
    for (ObjectNode s : r.samples) {
      String text = s.path("text").asText();
      String head = text.length() > 300 ? text.substring(0, 300) + "…" : text;
      statements.add(String.format(Locale.ROOT, "Sample of %s at step %d%s (prompt \"%s\", τ %s, top-k %d, seed %d): %s",
          r.id, s.path("step").asLong(), what, s.path("prompt").asText(), s.path("temperature").asText(),
          s.path("top_k").asInt(), s.path("seed").asLong(), head.replace("\n", " ⏎ ")));
      full.append("== step ").append(s.path("step").asLong()).append(" ==\n").append(text).append("\n\n");
    }
    if (!full.isEmpty()) extras.add(new Section.ExtraFile("samples-" + r.id + ".txt", full.toString()));
  }

  static Color colour(int i) {
    return Palette.tab10(i);
  }

  static String caption(SweepView v, String what) {
    return what + " for " + GrokReports.title(v) + scaleNote(v) + " (chargpt, B 64, seed " + String.join(", ", v.seeds())
        + "; one run per configuration).";
  }

  // ---------------------------------------------------------------- char-rope

  static Section rope(SweepView v, List<TextRun> runs) {
    List<Series> series = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Color> colours = new ArrayList<>();
    List<Table.Row> rows = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    List<Section.ExtraFile> extras = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      TextRun r = runs.get(i);
      series.addAll(lossSeries(r, colour(i), r.position, "val_loss", Double.MAX_VALUE));
      labels.add(r.position);
      colours.add(colour(i));
      double[] val = r.eval("val_loss")[1];
      rows.add(new Table.Row(List.of(new Table.Text(r.position), new Table.Text(String.format(Locale.ROOT, "%,d", r.parameters)),
          stat(r.meanLoss(RUNNING, Integer.MAX_VALUE)), stat(val.length == 0 ? Double.NaN : val[val.length - 1]),
          stat(Arrays.stream(val).min().orElse(Double.NaN)), stat(median(r.tail("iter_ms", 10))))));
      samples(r, statements, extras, "");
    }
    Figure f = new Figure("rope-loss", null, 1, 1, List.of(new Panel.Lines("batch and validation loss", Axis.steps("iteration"),
        lossAxis(), series)), categories(labels, colours, true), caption(v,
        "batch loss vs iteration (raw, opacity 0.35, under the 20-iteration running mean) and validation loss (markers, dashed), one colour per position"));
    Table t = new Table("rope-summary", "learned vs RoPE positions of " + GrokReports.title(v) + scaleNote(v)
        + ": final train loss = mean of the last 20 batch losses; ms per iteration = median over updates 10 … end ("
        + machineNote(v) + "); best per column in bold.", List.of(Table.Column.text("position", "position"),
        Table.Column.text("parameters", "parameters"), loss("train_loss", "final train loss"), loss("val_loss", "final val loss"),
        loss("best_val_loss", "best val loss"), number("iter_ms", "ms / iteration")), List.of(rows));
    return new Section(v.experiment(), GrokReports.title(v), "position (learned, rope)", GrokReports.baseDiff(v), List.of(f),
        List.of(t), statements, extras);
  }

  // ---------------------------------------------------------------- char-context

  /** The first step of the second stage (600 at full scale), from the runs' block sizes. */
  static long boundary(TextRun r) {
    double[] bs = r.field("block_size");
    for (int i = 1; i < bs.length; i++) if (bs[i] != bs[i - 1]) return (long) r.x()[i];
    return -1;
  }

  static Section context(SweepView v, List<TextRun> runs) {
    List<Series> loss = new ArrayList<>();
    List<Series> val = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Color> colours = new ArrayList<>();
    List<Table.Row> rows = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    List<Section.ExtraFile> extras = new ArrayList<>();
    long b = runs.isEmpty() ? -1 : boundary(runs.getFirst());
    List<Integer> sizes = new ArrayList<>();
    for (TextRun r : runs) {
      for (double s : r.field("block_size")) if (!sizes.contains((int) s)) sizes.add((int) s);
    }
    for (int i = 0; i < runs.size(); i++) {
      TextRun r = runs.get(i);
      loss.addAll(lossSeries(r, colour(i), r.position, null, Double.MAX_VALUE));
      for (int k = 0; k < sizes.size(); k++) {
        double[][] e = r.eval("val_loss_S" + sizes.get(k));
        val.add(new Series(r.position + " S " + sizes.get(k), colour(i), k > 0, Series.Style.MARKERS, e[0], e[1], null, 1f, 1.4f));
      }
      labels.add(r.position);
      colours.add(colour(i));
      long end = r.steps.isEmpty() ? -1 : (long) r.x()[r.x().length - 1] + 1;
      List<Table.Cell> cells = new ArrayList<>(List.of(new Table.Text(r.position)));
      for (long at : new long[] {b, end}) for (int s : sizes) cells.add(stat(r.evalAt("val_loss_S" + s, at)));
      int bi = (int) b;
      double before = r.meanLoss(RUNNING, bi);
      double[] l = r.field("loss");
      double jump = bi >= 0 && bi < l.length ? l[bi] - before : Double.NaN;
      double[] rm = running(Arrays.copyOfRange(l, Math.max(0, bi), l.length), RUNNING);
      int back = -1;
      for (int k = 0; k < rm.length && bi >= 0; k++) {
        if (rm[k] <= before) {
          back = k + 1;
          break;
        }
      }
      cells.add(stat(jump));
      cells.add(new Table.Text(back < 0 ? "> " + rm.length : Integer.toString(back)));
      rows.add(new Table.Row(cells));
      samples(r, statements, extras, "");
    }
    List<Panel.VLine> vl = b < 0 ? List.of() : List.of(new Panel.VLine(b, "S " + sizes.getFirst() + " → " + sizes.getLast()));
    Figure f1 = new Figure("context-loss", null, 1, 1, List.of(new Panel.Lines("batch loss", Axis.steps("iteration"), lossAxis(),
        loss, vl)), categories(labels, colours, false), caption(v,
        "batch loss vs iteration (raw, opacity 0.35, under the 20-iteration running mean), the block size changing at the dotted line"));
    List<Legend.Entry> ve = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) ve.add(new Legend.Entry(labels.get(i), colours.get(i), false, false));
    for (int k = 0; k < sizes.size(); k++) ve.add(new Legend.Entry("val at S " + sizes.get(k), Color.DARK_GRAY, k > 0, true));
    Figure f2 = new Figure("context-val", null, 1, 1, List.of(new Panel.Lines("validation loss", Axis.steps("iteration"),
        lossAxis(), val, vl)), new Legend.Categories(null, ve), caption(v,
        "validation loss at each block size of the schedule (solid: the first, dashed: the second) vs iteration, one colour per position"));
    List<Table.Column> cols = new ArrayList<>(List.of(Table.Column.text("position", "position")));
    for (String when : List.of("end of stage 1", "end")) {
      for (int s : sizes) cols.add(loss("val_S" + s + "_" + when.replace(' ', '_'), "val S " + s + " (" + when + ")"));
    }
    cols.add(number("jump", "jump"));
    cols.add(Table.Column.text("recovery", "iterations to recover"));
    Table t = new Table("context-summary", "context extension of " + GrokReports.title(v) + scaleNote(v) + " (stage boundary at step "
        + b + "): validation loss at both block sizes at the end of each stage; jump = first stage-2 batch loss − mean of the last 20 "
        + "of stage 1; iterations until the 20-iteration running mean is back at that value; best per column in bold.", cols,
        List.of(rows));
    return new Section(v.experiment(), GrokReports.title(v), "position (learned, rope)", GrokReports.baseDiff(v),
        List.of(f1, f2), List.of(t), statements, extras);
  }

  // ---------------------------------------------------------------- char-gqa

  static Section gqa(SweepView v, List<TextRun> runs) {
    runs = new ArrayList<>(runs);
    runs.sort(java.util.Comparator.comparingInt(TextRun::nkv));
    List<Series> perIter = new ArrayList<>();
    List<Series> lossCurves = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Color> colours = new ArrayList<>();
    int n = runs.size();
    double[] nkv = new double[n], core = new double[n], kv = new double[n], formula = new double[n], alloc = new double[n];
    double[] attMed = new double[n], attMid = new double[n], attHalf = new double[n];
    double[] itMed = new double[n], itMid = new double[n], itHalf = new double[n];
    List<Table.Row> rows = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TextRun r = runs.get(i);
      Color c = colour(i);
      String label = "n_kv " + r.nkv;
      labels.add(label);
      colours.add(c);
      double[] x = r.x();
      perIter.add(Series.line(label, c, false, x, Arrays.stream(r.field("attn_core_bytes")).map(b -> b / MIB).toArray()));
      lossCurves.add(Series.line(label, c, false, x, running(r.field("loss"), RUNNING)));
      nkv[i] = r.nkv;
      core[i] = median(r.field("attn_core_bytes")) / MIB;
      kv[i] = median(r.field("kv_bytes")) / MIB;
      alloc[i] = median(r.field("step_alloc_bytes")) / MIB;
      double peak = median(r.field("peak_live_bytes")) / MIB;
      double[] bs = r.field("block_size");
      int s = bs.length == 0 ? 0 : (int) bs[0];
      int batch = batchOf(v);
      formula[i] = 2.0 * batch * s * r.nkv * 32 * 4 / MIB;
      double[] a = r.tail("attn_ms", 10);
      double[] t = r.tail("iter_ms", 10);
      attMed[i] = median(a);
      attMid[i] = (quantile(a, 0.25) + quantile(a, 0.75)) / 2;
      attHalf[i] = (quantile(a, 0.75) - quantile(a, 0.25)) / 2;
      itMed[i] = median(t);
      itMid[i] = (quantile(t, 0.25) + quantile(t, 0.75)) / 2;
      itHalf[i] = (quantile(t, 0.75) - quantile(t, 0.25)) / 2;
      double[] val = r.eval("val_loss")[1];
      rows.add(new Table.Row(List.of(new Table.Text(Integer.toString(r.nkv)), new Table.Text(Integer.toString(6 / Math.max(1, r.nkv))),
          new Table.Text(String.format(Locale.ROOT, "%,d", r.parameters)), stat(kv[i]), stat(core[i]), stat(alloc[i]), stat(peak),
          stat(attMed[i]), stat(itMed[i]), stat(r.meanLoss(RUNNING, Integer.MAX_VALUE)),
          stat(val.length == 0 ? Double.NaN : val[val.length - 1]))));
    }
    Legend legend = new Legend.Categories("n_kv", entries(labels, colours));
    // linear, so that "K + V linear in n_kv" shows as a straight line
    Axis nkvAxis = Axis.steps("n_kv (key/value heads)");
    Figure f1 = new Figure("gqa-memory-per-iteration", null, 1, 1, List.of(new Panel.Lines("attention core memory",
        Axis.steps("iteration"), Axis.linear("attention core (MiB per layer)"), perIter)), legend,
        caption(v, "attention core memory per layer (attn_core_bytes, MiB) vs iteration, one line per n_kv (the course's plot)"));
    Color m = Palette.TRAIN;
    Figure f2 = new Figure("gqa-memory", null, 1, 3, List.of(
        new Panel.Lines("attention core per layer", nkvAxis, Axis.linear("MiB"), List.of(points("measured", m, nkv, core))),
        new Panel.Lines("K + V per layer", nkvAxis, Axis.linear("MiB"), List.of(points("measured", m, nkv, kv),
            new Series("2·B·S·n_kv·d_h·4", Color.GRAY, true, Series.Style.LINE, nkv, formula, null, 1f, 1.2f))),
        new Panel.Lines("allocated per iteration", nkvAxis, Axis.linear("MiB"), List.of(points("measured", m, nkv, alloc)))),
        new Legend.Categories(null, List.of(new Legend.Entry("measured", m, false, true),
            new Legend.Entry("formula 2·B·S·n_kv·d_h·4", Color.GRAY, true, false))),
        caption(v, "attention core MiB per layer, K + V MiB per layer (measured points, the formula dashed) and MiB the engine "
            + "allocates per iteration vs n_kv (medians over updates)"));
    Figure f3 = new Figure("gqa-time", null, 1, 2, List.of(
        new Panel.Lines("attention forward per layer", nkvAxis, Axis.linear("ms"), timeSeries(nkv, attMed, attMid, attHalf)),
        new Panel.Lines("training iteration", nkvAxis, Axis.linear("ms"), timeSeries(nkv, itMed, itMid, itHalf))),
        new Legend.Categories(null, List.of(new Legend.Entry("median", m, false, true),
            new Legend.Entry("interquartile range", Color.GRAY, false, false))),
        caption(v, "attention ms per layer and ms per iteration vs n_kv, median over updates 10 … end with interquartile-range bars ("
            + machineNote(v) + ")"));
    Figure f4 = new Figure("gqa-loss", null, 1, 1, List.of(new Panel.Lines("batch loss (20-iteration mean)", Axis.steps("iteration"),
        lossAxis(), lossCurves)), legend, caption(v, "20-iteration running mean of the batch loss vs iteration, one line per n_kv"));
    Table t = new Table("gqa-summary", "grouped-query attention of " + GrokReports.title(v) + scaleNote(v)
        + ": per-layer K + V and attention-core MiB, MiB the engine allocates per iteration and its peak live MiB, attention "
        + "and iteration ms (medians over updates 10 … end, " + machineNote(v) + "), final train loss (mean of the last 20 batch "
        + "losses) and val loss; best per column in bold.", List.of(Table.Column.text("n_kv", "n_kv"),
        Table.Column.text("group", "group n_q/n_kv"), Table.Column.text("parameters", "parameters"), number("kv_mib", "K + V MiB"),
        number("core_mib", "core MiB"), number("alloc_mib", "MiB / iteration"), number("peak_mib", "peak MiB"),
        number("attn_ms", "attention ms"), number("iter_ms", "iteration ms"), loss("train_loss", "final train loss"),
        loss("val_loss", "final val loss")), List.of(rows));
    for (int i = 0; i < n; i++) {
      statements.add(String.format(Locale.ROOT, "n_kv %d: K + V %.3f MiB per layer (formula 2·B·S·n_kv·d_h·4 = %.3f MiB), "
          + "attention core %.3f MiB per layer, %.1f MiB allocated per iteration.", (int) nkv[i], kv[i], formula[i], core[i], alloc[i]));
    }
    return new Section(v.experiment(), GrokReports.title(v), "n_kv (1, 2, 3, 6)", GrokReports.baseDiff(v),
        List.of(f1, f2, f3, f4), List.of(t), statements, List.of());
  }

  static int batchOf(SweepView v) {
    for (Sweeps.Run r : v.runs()) {
      if (r.record() != null) return r.record().config().path("train").path("batch_size").asInt(64);
    }
    return 64;
  }

  static List<Legend.Entry> entries(List<String> labels, List<Color> colours) {
    List<Legend.Entry> e = new ArrayList<>();
    for (int i = 0; i < labels.size(); i++) e.add(new Legend.Entry(labels.get(i), colours.get(i), false, false));
    return e;
  }

  static Series points(String label, Color c, double[] x, double[] y) {
    return new Series(label, c, false, Series.Style.MARKERS, x, y, null, 1f, 1.4f);
  }

  /** The median as markers and the interquartile range as a bar (centre ± half the range). */
  static List<Series> timeSeries(double[] x, double[] median, double[] mid, double[] half) {
    return List.of(Series.intervals("interquartile range", Color.GRAY, x, mid, half),
        points("median", Palette.TRAIN, x, median));
  }

  // ---------------------------------------------------------------- char-2026

  static TextRun find(List<TextRun> runs, String position, int nkv, boolean staged) {
    for (TextRun r : runs) {
      if (r.position.equals(position) && r.nkv == nkv && (boundary(r) >= 0) == staged) return r;
    }
    for (TextRun r : runs) if (r.position.equals(position) && r.nkv == nkv) return r;
    return null;
  }

  static Section handout(SweepView v, List<TextRun> runs) {
    List<Figure> figures = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    List<Section.ExtraFile> extras = new ArrayList<>();
    TextRun rope6 = find(runs, "rope", 6, true);
    if (rope6 != null) samples(rope6, statements, extras, " (5.1/5.2: rope, n_kv 6)");
    // 5.4: learned/6 and rope/6 over both stages
    Map<String, TextRun> four = new LinkedHashMap<>();
    for (String p : List.of("learned", "rope")) {
      for (int k : new int[] {6, 2}) {
        TextRun r = find(runs, p, k, true);
        if (r != null) four.put(p + "/" + k, r);
      }
    }
    long b = four.isEmpty() ? -1 : boundary(four.values().iterator().next());
    List<Panel.VLine> vl = b < 0 ? List.of() : List.of(new Panel.VLine(b, "S 16 → 256"));
    figures.add(curves("handout-5.4-loss", four, List.of("learned/6", "rope/6"), Double.MAX_VALUE, vl,
        caption(v, "5.4: batch loss of learned/6 and rope/6 over both stages (20-iteration running mean over the raw losses)")));
    // 5.5: attention ms per layer vs n_kv at S 16 (learned)
    List<Double> xs = new ArrayList<>();
    List<double[]> ys = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 6}) {
      TextRun r = find(runs, "learned", k, false);
      if (r == null) r = find(runs, "learned", k, true);
      if (r == null) continue;
      List<Double> at16 = new ArrayList<>();
      double[] bs = r.field("block_size");
      double[] a = r.field("attn_ms");
      for (int i = 10; i < a.length; i++) if (bs[i] == bs[0]) at16.add(a[i]);
      double[] arr = at16.stream().mapToDouble(Double::doubleValue).toArray();
      if (arr.length == 0) arr = r.tail("attn_ms", 0);
      xs.add((double) k);
      ys.add(new double[] {median(arr), (quantile(arr, 0.25) + quantile(arr, 0.75)) / 2, (quantile(arr, 0.75) - quantile(arr, 0.25)) / 2});
    }
    double[] x = xs.stream().mapToDouble(Double::doubleValue).toArray();
    figures.add(new Figure("handout-5.5-attention-time", null, 1, 1, List.of(new Panel.Lines("attention forward per layer at S 16",
        Axis.steps("n_kv (key/value heads)"), Axis.linear("ms"), timeSeries(x, col(ys, 0), col(ys, 1), col(ys, 2)))),
        new Legend.Categories(null, List.of(new Legend.Entry("median", Palette.TRAIN, false, true),
            new Legend.Entry("interquartile range", Color.GRAY, false, false))),
        caption(v, "5.5: attention ms per layer vs n_kv at S 16 (learned positions; median over updates 10 … end of the first stage, "
            + machineNote(v) + ")")));
    // 5.6: learned/2 vs learned/6 over the first 200 iterations, read from the long runs
    figures.add(curves("handout-5.6-gqa-loss", four, List.of("learned/2", "learned/6"), 200, List.of(),
        caption(v, "5.6: batch loss of learned/2 vs learned/6 over iterations 0 … 200, read from the long runs")));
    // 5.7: the four curves
    figures.add(curves("handout-5.7-loss", four, new ArrayList<>(four.keySet()), Double.MAX_VALUE, vl,
        caption(v, "5.7: batch loss of the four runs over both stages (20-iteration running means)")));
    return new Section(v.experiment(), GrokReports.title(v), "position × n_kv (long runs: 16 → 256; short: n_kv 1, 3 at S 16)",
        GrokReports.baseDiff(v), figures, List.of(), statements, extras);
  }

  static double[] col(List<double[]> rows, int c) {
    return rows.stream().mapToDouble(r -> r[c]).toArray();
  }

  static Figure curves(String id, Map<String, TextRun> runs, List<String> which, double maxStep, List<Panel.VLine> vl, String caption) {
    List<Series> s = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Color> colours = new ArrayList<>();
    int i = 0;
    for (String k : which) {
      TextRun r = runs.get(k);
      Color c = colour(i++);
      if (r == null) continue;
      s.addAll(lossSeries(r, c, k, null, maxStep));
      labels.add(k);
      colours.add(c);
    }
    return new Figure(id, null, 1, 1, List.of(new Panel.Lines("batch loss", Axis.steps("iteration"), lossAxis(), s, vl)),
        categories(labels, colours, false), caption);
  }
}
