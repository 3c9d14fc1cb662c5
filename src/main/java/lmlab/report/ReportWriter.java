package lmlab.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes {@code <sweep>/report/}: report.md (figures as figures/&lt;id&gt;.png, tables inline),
 * report.html (one self-contained page: inline CSS, figures as inline SVG, no script, font or
 * request), figures/ (PNG at 2× and SVG), tables/ (.md, .csv, .tex) and metrics.csv. Figures
 * and tables are numbered through the report. Every file goes through a temporary sibling.
 */
public final class ReportWriter {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The page's head facts: title, scale, the command that reproduces it, version, machine, date. */
  public record Meta(String title, String scale, String command, String version, String machine, String date) {}

  private ReportWriter() {}

  /** Writes the report of sections (in order) for sweep; returns the report directory. */
  public static Path write(SweepView sweep, List<Section> sections, Meta meta, String metricsCsv) throws IOException {
    Path report = sweep.sweep().dir().resolve("report");
    Path figures = Files.createDirectories(report.resolve("figures"));
    Path tables = Files.createDirectories(report.resolve("tables"));
    int fk = 0;
    int tk = 0;
    List<Section> numbered = new ArrayList<>();
    for (Section s : sections) {
      List<Figure> fs = new ArrayList<>();
      for (Figure f : s.figures()) fs.add(f.withCaption("Figure " + (++fk) + ": " + f.caption()));
      List<Table> ts = new ArrayList<>();
      for (Table t : s.tables()) ts.add(t.withCaption("Table " + (++tk) + ": " + t.caption()));
      numbered.add(new Section(s.name(), s.title(), s.varies(), s.baseDiff(), fs, ts, s.statements(), s.extras()));
    }
    java.util.Map<String, String> svgs = new java.util.HashMap<>();
    for (Section s : numbered) {
      for (Figure f : s.figures()) {
        String svg = FigureWriter.svgElement(f);
        svgs.put(f.id(), svg);
        FigureWriter.write(f, figures, svg);
      }
      for (Table t : s.tables()) {
        write(tables.resolve(t.id() + ".md"), TableFormat.markdown(t));
        write(tables.resolve(t.id() + ".csv"), TableFormat.csv(t));
        write(tables.resolve(t.id() + ".tex"), TableFormat.latex(t));
      }
      for (Section.ExtraFile e : s.extras()) write(tables.resolve(e.name()), e.content());
    }
    write(report.resolve("metrics.csv"), metricsCsv);
    String sweepJson = sweep.sweep().description() == null ? null : JSON.writeValueAsString(sweep.sweep().description());
    write(report.resolve("report.md"), markdown(sweep, numbered, meta, sweepJson));
    write(report.resolve("report.html"), html(sweep, numbered, meta, sweepJson, svgs));
    return report;
  }

  static void write(Path file, String content) throws IOException {
    FigureWriter.writeAtomically(file, content.getBytes(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- Markdown

  static String markdown(SweepView sweep, List<Section> sections, Meta meta, String sweepJson) {
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(meta.title()).append(" (scale ").append(meta.scale()).append(")\n\n");
    sb.append("Reproduce: `").append(meta.command()).append("`\n\n");
    sb.append("- version: ").append(meta.version()).append('\n');
    sb.append("- machine: ").append(meta.machine()).append('\n');
    sb.append("- date: ").append(meta.date()).append("\n\n");
    for (Section s : sections) {
      sb.append("## ").append(s.title()).append("\n\n");
      sb.append("Varies: ").append(s.varies()).append(". Base settings that differ from `lmlab train`'s defaults: ")
          .append(s.baseDiff()).append(".\n\n");
      for (Figure f : s.figures()) {
        sb.append("![").append(f.id()).append("](figures/").append(f.id()).append(".png)\n\n");
        sb.append(f.caption()).append("\n\n");
      }
      for (Table t : s.tables()) sb.append(TableFormat.markdown(t)).append('\n');
      for (String st : s.statements()) sb.append("- ").append(st).append('\n');
      if (!s.statements().isEmpty()) sb.append('\n');
    }
    sb.append("## Runs\n\n").append(runTableMarkdown(sweep)).append('\n');
    if (sweepJson != null) sb.append("## Appendix: sweep.json\n\n```json\n").append(sweepJson).append("\n```\n");
    return sb.toString();
  }

  /** id, state, steps (last evaluated / T), wall time, steps/s. */
  static List<List<String>> runRows(SweepView sweep) {
    List<List<String>> rows = new ArrayList<>();
    for (Sweeps.Run r : sweep.runs()) {
      String steps = "–";
      String wall = "–";
      String rate = "–";
      double t = SweepView.number(r, "steps");
      if (r.record() != null) {
        long last = r.record().history().get(r.record().history().size() - 1).step();
        steps = last + " / " + (Double.isFinite(t) ? (long) t - 1 : "?");
        double w = r.record().wallTimeSeconds();
        if (Double.isFinite(w)) wall = String.format(Locale.ROOT, "%.1f s", w);
        if (r.record().summary() != null && r.record().summary().has("steps_per_s")) {
          rate = String.format(Locale.ROOT, "%.2f", r.record().summary().get("steps_per_s").asDouble());
        }
      }
      rows.add(List.of(r.id(), r.state().label(), steps, wall, rate));
    }
    return rows;
  }

  static final List<String> RUN_HEADER = List.of("run", "state", "steps", "wall time", "steps/s");

  static String runTableMarkdown(SweepView sweep) {
    StringBuilder sb = new StringBuilder("| " + String.join(" | ", RUN_HEADER) + " |\n| --- | --- | ---: | ---: | ---: |\n");
    for (List<String> row : runRows(sweep)) sb.append("| ").append(String.join(" | ", row)).append(" |\n");
    return sb.toString();
  }

  // ---------------------------------------------------------------- HTML

  static final String CSS = """
      body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
      h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
      code,pre{background:#f4f4f4;font-family:monospace}pre{padding:.8em;overflow-x:auto;font-size:.85em}
      figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;display:block}
      figcaption{font-size:.92em;color:#333;margin-top:.4em}
      table{border-collapse:collapse;margin:1.2em 0;font-size:.88em}
      caption{caption-side:top;text-align:left;font-size:.95em;padding-bottom:.4em}
      th,td{padding:.25em .6em;border-bottom:1px solid #ddd}thead th{border-bottom:2px solid #444}
      tbody+tbody{border-top:2px solid #888}.num{text-align:right;white-space:nowrap}
      .state-pending,.state-interrupted,.state-failed{color:#b00}
      """;

  static String html(SweepView sweep, List<Section> sections, Meta meta, String sweepJson, java.util.Map<String, String> svgs) {
    StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    sb.append("<title>").append(Html.escape(meta.title())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
    sb.append("<h1>").append(Html.escape(meta.title())).append(" (scale ").append(Html.escape(meta.scale())).append(")</h1>\n");
    sb.append("<p>Reproduce: <code>").append(Html.escape(meta.command())).append("</code></p>\n<ul>\n");
    sb.append("<li>version: ").append(Html.escape(meta.version())).append("</li>\n");
    sb.append("<li>machine: ").append(Html.escape(meta.machine())).append("</li>\n");
    sb.append("<li>date: ").append(Html.escape(meta.date())).append("</li>\n</ul>\n");
    for (Section s : sections) {
      sb.append("<h2>").append(Html.escape(s.title())).append("</h2>\n");
      sb.append("<p>Varies: ").append(Html.escape(s.varies())).append(". Base settings that differ from <code>lmlab train</code>'s defaults: ")
          .append(Html.escape(s.baseDiff())).append(".</p>\n");
      for (Figure f : s.figures()) {
        sb.append("<figure id=\"").append(Html.escape(f.id())).append("\">\n").append(svgs.get(f.id()))
            .append("\n<figcaption>").append(Html.escape(f.caption())).append("</figcaption>\n</figure>\n");
      }
      for (Table t : s.tables()) sb.append(TableFormat.html(t));
      if (!s.statements().isEmpty()) {
        sb.append("<ul>\n");
        for (String st : s.statements()) sb.append("<li>").append(Html.escape(st)).append("</li>\n");
        sb.append("</ul>\n");
      }
    }
    sb.append("<h2>Runs</h2>\n<table>\n<thead><tr>");
    for (String h : RUN_HEADER) sb.append("<th>").append(Html.escape(h)).append("</th>");
    sb.append("</tr></thead>\n<tbody>\n");
    for (List<String> row : runRows(sweep)) {
      sb.append("<tr>");
      for (int i = 0; i < row.size(); i++) {
        String cls = i == 1 ? " class=\"state-" + row.get(1) + "\"" : i >= 2 ? " class=\"num\"" : "";
        sb.append("<td").append(cls).append(">").append(Html.escape(row.get(i))).append("</td>");
      }
      sb.append("</tr>\n");
    }
    sb.append("</tbody>\n</table>\n");
    if (sweepJson != null) {
      sb.append("<h2>Appendix: sweep.json</h2>\n<pre>").append(Html.escape(sweepJson)).append("</pre>\n");
    }
    return sb.append("</body>\n</html>\n").toString();
  }
}
