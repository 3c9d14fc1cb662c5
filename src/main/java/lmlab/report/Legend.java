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

  /** A continuous colour bar (viridis) over [lower, upper], titled with the parameter. */
  record ColourBar(String title, double lower, double upper) implements Legend {}

  static Legend none() {
    return new None();
  }
}
