package lmlab.runs;

import java.util.Locale;

/**
 * Mean ± standard deviation across runs (seeds) with the population formula (divide by n), as
 * arithmetic.md asks: two seeds with t_f 7500 and 8200 give 7850 ± 350. Non-finite values (a
 * metric a run does not have) are left out; n counts the values used.
 */
public record MeanStd(double mean, double std, int n) {
  public static MeanStd of(double... values) {
    int n = 0;
    double sum = 0;
    for (double v : values) {
      if (Double.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    if (n == 0) return new MeanStd(Double.NaN, Double.NaN, 0);
    double mean = sum / n;
    double ss = 0;
    for (double v : values) if (Double.isFinite(v)) ss += (v - mean) * (v - mean);
    return new MeanStd(mean, Math.sqrt(ss / n), n);
  }

  public static MeanStd of(java.util.List<Double> values) {
    double[] a = new double[values.size()];
    for (int i = 0; i < a.length; i++) a[i] = values.get(i) == null ? Double.NaN : values.get(i);
    return of(a);
  }

  /** Whether there is at least one value. */
  public boolean present() {
    return n > 0;
  }

  /**
   * "mean ± std" with the given number of significant decimals for fractional values (losses,
   * accuracies); whole-number statistics (steps) print without decimals. "–" when absent.
   */
  public String format(boolean integral) {
    if (!present()) return "–";
    if (integral) return fmt(mean, true) + " ± " + fmt(std, true);
    return fmt(mean, false) + " ± " + fmt(std, false);
  }

  static String fmt(double v, boolean integral) {
    if (!Double.isFinite(v)) return String.valueOf(v);
    if (integral) {
      return v == Math.rint(v) ? String.format(Locale.ROOT, "%d", (long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
