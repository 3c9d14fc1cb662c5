package lmlab.report;

import java.util.List;

/**
 * A figure of experiments.md: a grid of {@code rows × cols} panels of 480 × 360 units, an
 * optional title above (the equation of an attention map, the configuration of a curve figure)
 * and one legend or colour bar to the right of the grid. Written as {@code <id>.png} at 2×
 * pixel density and {@code <id>.svg} by {@link FigureWriter}; the caption goes to the report.
 */
public record Figure(String id, String title, int rows, int cols, List<Panel> panels, Legend legend, String caption) {
  public static final int PANEL_WIDTH = 480;
  public static final int PANEL_HEIGHT = 360;
  public static final int TITLE_HEIGHT = 34;
  /** The legend strip's narrowest width; longer labels widen it (up to {@link #LEGEND_MAX_WIDTH}). */
  public static final int LEGEND_WIDTH = 150;
  public static final int LEGEND_MAX_WIDTH = 360;
  /** PNG pixels per unit. */
  public static final int PIXEL_DENSITY = 2;

  public Figure {
    if (rows < 1 || cols < 1 || panels.size() > rows * cols) {
      throw new IllegalArgumentException("figure " + id + ": " + panels.size() + " panels do not fit a " + rows + " × "
          + cols + " grid");
    }
  }

  public Figure withCaption(String c) {
    return new Figure(id, title, rows, cols, panels, legend, c);
  }

  public boolean hasTitle() {
    return title != null && !title.isEmpty();
  }

  public boolean hasLegend() {
    return !(legend instanceof Legend.None);
  }

  /** Width in units (SVG user units; the PNG has {@link #PIXEL_DENSITY} pixels per unit). */
  public int width() {
    return cols * PANEL_WIDTH + legendWidth();
  }

  /** The legend strip: wide enough for the longest label at 12 pt (about 7 units a character). */
  public int legendWidth() {
    if (!hasLegend()) return 0;
    int chars = 0;
    switch (legend) {
      case Legend.Categories c -> {
        for (Legend.Entry e : c.entries()) chars = Math.max(chars, e.label().length());
        if (c.title() != null) chars = Math.max(chars, c.title().length() - 6);
      }
      case Legend.ColourBar b -> {
        for (Legend.Entry e : b.keys()) chars = Math.max(chars, e.label().length());
      }
      case Legend.None n -> {}
    }
    return Math.max(LEGEND_WIDTH, Math.min(LEGEND_MAX_WIDTH, 60 + 7 * chars));
  }

  public int height() {
    return rows * PANEL_HEIGHT + (hasTitle() ? TITLE_HEIGHT : 0);
  }
}
