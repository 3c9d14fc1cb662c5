package lmlab.report;

import java.awt.Color;
import java.util.List;

/** A figure's legend, drawn once beside its grid of panels. */
public sealed interface Legend permits Legend.None, Legend.Categories, Legend.ColourBar {
  /** No legend (a single series). */
  record None() implements Legend {}

  /** Categorical keys: a coloured line (solid or dashed) or marker per entry (tab10). */
  record Categories(String title, List<Entry> entries) implements Legend {}

  record Entry(String label, Color color, boolean dashed, boolean marker) {}

  /**
   * A continuous colour bar (viridis) over [lower, upper], titled with the parameter; {@code keys}
   * (line styles such as "train" solid, "validation" dashed) are listed below it.
   */
  record ColourBar(String title, double lower, double upper, List<Entry> keys) implements Legend {
    public ColourBar(String title, double lower, double upper) {
      this(title, lower, upper, List.of());
    }
  }

  static Legend none() {
    return new None();
  }
}
