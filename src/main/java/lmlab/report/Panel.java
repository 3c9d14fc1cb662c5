package lmlab.report;

import java.util.List;

/** One panel of a figure (480 × 360 units): a line panel or a heat map. */
public sealed interface Panel permits Panel.Lines, Panel.Heatmap {
  String title();

  /**
   * A line panel. {@code vlines}: vertical reference lines (a dotted line at a stage boundary),
   * each with its label.
   */
  record Lines(String title, Axis x, Axis y, List<Series> series, List<VLine> vlines) implements Panel {
    public Lines(String title, Axis x, Axis y, List<Series> series) {
      this(title, x, y, series, List.of());
    }
  }

  record VLine(double x, String label) {}

  /**
   * A heat map: values[row][col] (NaN: a blank cell, e.g. a future key), rows top to bottom,
   * axes labelled with tokens, colour on [lower, upper] (viridis, the figure's shared colour
   * bar), each cell annotated with its value to 2 decimals when {@code annotate}.
   */
  record Heatmap(String title, String xTitle, List<String> xTokens, String yTitle, List<String> yTokens,
      double[][] values, double lower, double upper, boolean annotate) implements Panel {}
}
