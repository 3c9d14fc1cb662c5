package lmlab.report;

import java.util.List;
import lmlab.runs.MeanStd;

/**
 * A table of experiments.md: key columns (what varies) and statistic columns (mean ± std over
 * seeds), rows in blocks (per model or scope; the best-per-column rule works within a block).
 * Formatting, bold and the Markdown / CSV / LaTeX / HTML output are {@link TableFormat}'s.
 */
public record Table(String id, String caption, List<Column> columns, List<List<Row>> blocks) {
  /** How a statistic column reads: losses (4 significant digits), accuracies (3 decimals), steps (whole). */
  public enum Kind { TEXT, LOSS, ACCURACY, STEP, NUMBER }

  /** Which displayed mean is best: LOW (losses, t_f, Δt), HIGH (accuracies), NONE (P, ‖θ‖₂, wall time). */
  public enum Best { LOW, HIGH, NONE }

  /**
   * A column: {@code key} names it in CSV (L_train, t_f_A_val, …), {@code header} in Markdown and
   * HTML, {@code latex} in LaTeX (math allowed).
   */
  public record Column(String key, String header, String latex, Kind kind, Best best) {
    public static Column text(String key, String header) {
      return new Column(key, header, null, Kind.TEXT, Best.NONE);
    }
  }

  /** A cell: text (a key value) or a statistic over {@code expected} runs (fewer present: "(n = k)"). */
  public sealed interface Cell permits Text, Stat {}

  public record Text(String text) implements Cell {}

  public record Stat(MeanStd value, int expected) implements Cell {}

  public record Row(List<Cell> cells) {}

  public Table {
    for (List<Row> b : blocks) {
      for (Row r : b) {
        if (r.cells().size() != columns.size()) {
          throw new IllegalArgumentException("table " + id + ": a row has " + r.cells().size() + " cells for "
              + columns.size() + " columns");
        }
      }
    }
  }

  public Table withCaption(String c) {
    return new Table(id, c, columns, blocks);
  }
}
