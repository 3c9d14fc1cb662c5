package lmlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import lmlab.runs.MeanStd;

/**
 * Table cells and files as experiments.md formats them.
 *
 * <ul>
 *   <li>Losses: the mean to 4 significant digits, the std to the same decimal place
 *       ({@code 0.01031 ± 0.00012}); accuracies to 3 decimals; steps whole ({@code 7850 ± 350}),
 *       a half shown ({@code 7850.5 ± 349.5}); fewer runs than the group has: {@code (n = 1)}
 *       appended; no value: {@code –}.
 *   <li>Bold: per column and block, every cell whose displayed mean is the best displayed mean
 *       (lowest loss, t_f, Δt; highest accuracy), ties all bold; none where fewer than two cells of
 *       the block have a value, none in columns without a best.
 *   <li>Markdown ({@code **…**}), CSV (mean, std and n in separate columns, full precision),
 *       LaTeX booktabs ({@code \textbf{}}) and HTML ({@code <strong>}).
 * </ul>
 */
public final class TableFormat {
  private TableFormat() {}

  /** The displayed mean (without the std), or null when the cell has no value. */
  static String mean(Table.Kind kind, MeanStd m) {
    if (m == null || !m.present()) return null;
    return switch (kind) {
      case LOSS, NUMBER -> fixed(m.mean(), significantDecimals(m.mean()));
      case ACCURACY -> fixed(m.mean(), 3);
      case STEP -> step(m.mean());
      case TEXT -> throw new IllegalArgumentException("a text column has no statistic");
    };
  }

  /** "mean ± std" (plus "(n = k)" when fewer than expected runs have a value), "–" when none has. */
  public static String cell(Table.Kind kind, MeanStd m, int expected) {
    String mean = mean(kind, m);
    if (mean == null) return "–";
    String std = switch (kind) {
      case LOSS, NUMBER -> fixed(m.std(), significantDecimals(m.mean()));
      case ACCURACY -> fixed(m.std(), 3);
      case STEP -> step(m.std());
      case TEXT -> "";
    };
    return mean + " ± " + std + (m.n() < expected ? " (n = " + m.n() + ")" : "");
  }

  /** Decimals that give v four significant digits (none for |v| ≥ 1000, four for 0). */
  static int significantDecimals(double v) {
    if (v == 0 || !Double.isFinite(v)) return 4;
    int exponent = (int) Math.floor(Math.log10(Math.abs(v)));
    // rounding can carry into the next power of ten (9.9996 → 10.00)
    if (Math.abs(v) >= Math.pow(10, exponent + 1) - 0.5 * Math.pow(10, exponent - 3)) exponent++;
    return Math.max(0, 3 - exponent);
  }

  private static String fixed(double v, int decimals) {
    String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
    return s.startsWith("-") && Double.parseDouble(s) == 0 ? s.substring(1) : s;
  }

  private static String step(double v) {
    double r = Math.rint(v);
    return Math.abs(v - r) < 1e-9 ? String.format(Locale.ROOT, "%d", (long) r) : fixed(v, 1);
  }

  /** bold[block][row][column]: which cells are the best of their column within their block. */
  static boolean[][][] bold(Table t) {
    boolean[][][] out = new boolean[t.blocks().size()][][];
    for (int b = 0; b < t.blocks().size(); b++) {
      List<Table.Row> rows = t.blocks().get(b);
      out[b] = new boolean[rows.size()][t.columns().size()];
      for (int c = 0; c < t.columns().size(); c++) {
        Table.Column col = t.columns().get(c);
        if (col.best() == Table.Best.NONE || col.kind() == Table.Kind.TEXT) continue;
        double[] shown = new double[rows.size()];
        int present = 0;
        double best = Double.NaN;
        for (int r = 0; r < rows.size(); r++) {
          shown[r] = Double.NaN;
          if (rows.get(r).cells().get(c) instanceof Table.Stat s) {
            String m = mean(col.kind(), s.value());
            if (m != null) {
              shown[r] = Double.parseDouble(m);
              present++;
              if (Double.isNaN(best) || (col.best() == Table.Best.LOW ? shown[r] < best : shown[r] > best)) best = shown[r];
            }
          }
        }
        if (present < 2) continue;
        for (int r = 0; r < rows.size(); r++) out[b][r][c] = shown[r] == best;
      }
    }
    return out;
  }

  private static String text(Table.Column col, Table.Cell cell) {
    return switch (cell) {
      case Table.Text t -> t.text();
      case Table.Stat s -> cell(col.kind(), s.value(), s.expected());
    };
  }

  // ---------------------------------------------------------------- Markdown

  /** The caption, a blank line, then a pipe table; text columns left-aligned, statistics right-aligned. */
  public static String markdown(Table t) {
    StringBuilder sb = new StringBuilder();
    if (t.caption() != null) sb.append(t.caption()).append("\n\n");
    sb.append(markdownBody(t));
    return sb.toString();
  }

  /** The pipe table alone. */
  public static String markdownBody(Table t) {
    StringBuilder sb = new StringBuilder("|");
    for (Table.Column c : t.columns()) sb.append(' ').append(mdEscape(c.header())).append(" |");
    sb.append("\n|");
    for (Table.Column c : t.columns()) sb.append(c.kind() == Table.Kind.TEXT ? " --- |" : " ---: |");
    sb.append('\n');
    boolean[][][] bold = bold(t);
    for (int b = 0; b < t.blocks().size(); b++) {
      List<Table.Row> rows = t.blocks().get(b);
      for (int r = 0; r < rows.size(); r++) {
        sb.append('|');
        for (int c = 0; c < t.columns().size(); c++) {
          String s = mdEscape(text(t.columns().get(c), rows.get(r).cells().get(c)));
          sb.append(' ').append(bold[b][r][c] ? "**" + s + "**" : s).append(" |");
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  private static String mdEscape(String s) {
    return s.replace("|", "\\|");
  }

  // ---------------------------------------------------------------- CSV

  /** One row per table row: text columns as is, each statistic as key_mean, key_std, key_n (full precision). */
  public static String csv(Table t) {
    List<String> header = new ArrayList<>();
    for (Table.Column c : t.columns()) {
      if (c.kind() == Table.Kind.TEXT) header.add(c.key());
      else {
        header.add(c.key() + "_mean");
        header.add(c.key() + "_std");
        header.add(c.key() + "_n");
      }
    }
    StringBuilder sb = new StringBuilder(csvLine(header));
    for (List<Table.Row> block : t.blocks()) {
      for (Table.Row r : block) {
        List<String> f = new ArrayList<>();
        for (int c = 0; c < t.columns().size(); c++) {
          switch (r.cells().get(c)) {
            case Table.Text x -> f.add(x.text());
            case Table.Stat s -> {
              f.add(number(s.value().mean()));
              f.add(number(s.value().std()));
              f.add(Integer.toString(s.value().n()));
            }
          }
        }
        sb.append(csvLine(f));
      }
    }
    return sb.toString();
  }

  /** Full precision (the shortest decimal that reads back to the same double), empty when absent. */
  static String number(double v) {
    if (!Double.isFinite(v)) return "";
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
    return Double.toString(v);
  }

  static String csvLine(List<String> fields) {
    List<String> q = new ArrayList<>();
    for (String f : fields) {
      q.add(f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replace("\"", "\"\"") + "\"" : f);
    }
    return String.join(",", q) + "\n";
  }

  // ---------------------------------------------------------------- LaTeX

  /** A booktabs table: \toprule, header, \midrule, blocks separated by \midrule, \bottomrule. */
  public static String latex(Table t) {
    StringBuilder sb = new StringBuilder();
    sb.append("\\begin{table}[ht]\n  \\centering\n");
    if (t.caption() != null) sb.append("  \\caption{").append(latexText(t.caption())).append("}\n");
    sb.append("  \\label{tab:").append(t.id()).append("}\n");
    sb.append("  \\begin{tabular}{");
    for (Table.Column c : t.columns()) sb.append(c.kind() == Table.Kind.TEXT ? 'l' : 'r');
    sb.append("}\n    \\toprule\n    ");
    List<String> head = new ArrayList<>();
    for (Table.Column c : t.columns()) head.add(c.latex() != null ? c.latex() : latexText(c.header()));
    sb.append(String.join(" & ", head)).append(" \\\\\n    \\midrule\n");
    boolean[][][] bold = bold(t);
    for (int b = 0; b < t.blocks().size(); b++) {
      if (b > 0) sb.append("    \\midrule\n");
      List<Table.Row> rows = t.blocks().get(b);
      for (int r = 0; r < rows.size(); r++) {
        List<String> cells = new ArrayList<>();
        for (int c = 0; c < t.columns().size(); c++) {
          String s = latexText(text(t.columns().get(c), rows.get(r).cells().get(c)));
          cells.add(bold[b][r][c] ? "\\textbf{" + s + "}" : s);
        }
        sb.append("    ").append(String.join(" & ", cells)).append(" \\\\\n");
      }
    }
    sb.append("    \\bottomrule\n  \\end{tabular}\n\\end{table}\n");
    return sb.toString();
  }

  /** Text with LaTeX's special characters escaped and the report's symbols as math. */
  static String latexText(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '\\' -> sb.append("\\textbackslash{}");
        case '&', '%', '$', '#', '_', '{', '}' -> sb.append('\\').append(ch);
        case '~' -> sb.append("\\textasciitilde{}");
        case '^' -> sb.append("\\textasciicircum{}");
        case '±' -> sb.append("$\\pm$");
        case '–' -> sb.append("--");
        case '…' -> sb.append("\\ldots{}");
        case '×' -> sb.append("$\\times$");
        case '→' -> sb.append("$\\to$");
        case '≥' -> sb.append("$\\geq$");
        case '≤' -> sb.append("$\\leq$");
        case 'Δ' -> sb.append("$\\Delta$");
        case 'α' -> sb.append("$\\alpha$");
        case 'λ' -> sb.append("$\\lambda$");
        case 'θ' -> sb.append("$\\theta$");
        case '‖' -> sb.append("$\\|$");
        case '₂' -> sb.append("$_2$");
        case '′' -> sb.append("$'$");
        default -> sb.append(ch);
      }
    }
    return sb.toString().replace("$$", "");
  }

  // ---------------------------------------------------------------- HTML

  /** A &lt;table&gt; with a &lt;caption&gt;; best cells in &lt;strong&gt;. */
  public static String html(Table t) {
    StringBuilder sb = new StringBuilder("<table id=\"tab-").append(Html.escape(t.id())).append("\">\n");
    if (t.caption() != null) sb.append("<caption>").append(Html.escape(t.caption())).append("</caption>\n");
    sb.append("<thead><tr>");
    for (Table.Column c : t.columns()) {
      sb.append(c.kind() == Table.Kind.TEXT ? "<th>" : "<th class=\"num\">").append(Html.escape(c.header())).append("</th>");
    }
    sb.append("</tr></thead>\n");
    boolean[][][] bold = bold(t);
    for (int b = 0; b < t.blocks().size(); b++) {
      sb.append("<tbody>\n");
      List<Table.Row> rows = t.blocks().get(b);
      for (int r = 0; r < rows.size(); r++) {
        sb.append("<tr>");
        for (int c = 0; c < t.columns().size(); c++) {
          Table.Column col = t.columns().get(c);
          String s = Html.escape(text(col, rows.get(r).cells().get(c)));
          sb.append(col.kind() == Table.Kind.TEXT ? "<td>" : "<td class=\"num\">")
              .append(bold[b][r][c] ? "<strong>" + s + "</strong>" : s).append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</tbody>\n");
    }
    return sb.append("</table>\n").toString();
  }
}
