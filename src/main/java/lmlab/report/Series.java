package lmlab.report;

import java.awt.Color;

/**
 * One series of a line panel: x, y and (optionally) a ±std per point, drawn as
 * <ul>
 *   <li>{@link Style#LINE}: a line; {@link Style#BAND}: a line over a ±std band (opacity 0.2);
 *   <li>{@link Style#ERRORBARS}: markers joined by a line, with ±std error bars;
 *   <li>{@link Style#POINTS}: markers only; {@link Style#MARKERS}: markers on a dashed line.
 *   <li>{@link Style#INTERVALS}: y ± std as bars alone (no line, no centre marker; a median drawn beside it).
 * </ul>
 * Points whose y is not finite are left out. {@code opacity} scales the line's alpha (raw batch
 * losses under their running mean).
 */
public record Series(String label, Color color, boolean dashed, Style style, double[] x, double[] y, double[] std,
    float opacity, float width) {
  public enum Style { LINE, BAND, ERRORBARS, INTERVALS, POINTS, MARKERS }

  public Series {
    if (x.length != y.length || (std != null && std.length != y.length)) {
      throw new IllegalArgumentException("series '" + label + "': x, y and std must have one value per point, got "
          + x.length + ", " + y.length + (std == null ? "" : ", " + std.length));
    }
  }

  public static Series line(String label, Color color, boolean dashed, double[] x, double[] y) {
    return new Series(label, color, dashed, Style.LINE, x, y, null, 1f, 1.6f);
  }

  public static Series band(String label, Color color, boolean dashed, double[] x, double[] y, double[] std) {
    return new Series(label, color, dashed, Style.BAND, x, y, std, 1f, 1.6f);
  }

  public static Series errorbars(String label, Color color, double[] x, double[] y, double[] std) {
    return new Series(label, color, false, Style.ERRORBARS, x, y, std, 1f, 1.4f);
  }

  /** Bars from y − half to y + half alone: an interquartile range beside its median. */
  public static Series intervals(String label, Color color, double[] x, double[] y, double[] half) {
    return new Series(label, color, false, Style.INTERVALS, x, y, half, 1f, 1.4f);
  }

  public Series withOpacity(float o, float w) {
    return new Series(label, color, dashed, style, x, y, std, o, w);
  }
}
