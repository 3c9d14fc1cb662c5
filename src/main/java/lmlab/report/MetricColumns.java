package lmlab.report;

import java.util.ArrayList;
import java.util.List;
import lmlab.train.RunMetrics;

/** The ten run-metric columns of experiments.md's tables, in order, with their kinds and LaTeX headers. */
public final class MetricColumns {
  private MetricColumns() {}

  /** The column of one run-metric key (L_train … delta_t_A). */
  public static Table.Column of(String key) {
    int i = RunMetrics.KEYS.indexOf(key);
    if (i < 0) throw new IllegalArgumentException("unknown run metric '" + key + "'; expected one of " + RunMetrics.KEYS);
    String label = RunMetrics.LABELS.get(i);
    Table.Kind kind = key.startsWith("L_") ? Table.Kind.LOSS : key.startsWith("A_") ? Table.Kind.ACCURACY : Table.Kind.STEP;
    Table.Best best = key.startsWith("A_") ? Table.Best.HIGH : Table.Best.LOW;
    return new Table.Column(key, label, latex(key), kind, best);
  }

  /** All ten. */
  public static List<Table.Column> all() {
    List<Table.Column> out = new ArrayList<>();
    for (String k : RunMetrics.KEYS) out.add(of(k));
    return out;
  }

  /** Math for a metric key: $L_\mathrm{train}$, $t_f(A_\mathrm{val})$, $\Delta t(L)$. */
  static String latex(String key) {
    if (key.startsWith("delta_t_")) return "$\\Delta t(" + key.substring(8) + ")$";
    if (key.startsWith("t_f_")) return "$t_f(" + symbol(key.substring(4)) + ")$";
    return "$" + symbol(key) + "$";
  }

  private static String symbol(String m) {
    int u = m.indexOf('_');
    return m.substring(0, u) + "_\\mathrm{" + m.substring(u + 1) + "}";
  }

  /** Display label of a key (L_train, t_f(A_val), Δt(L)). */
  public static String label(String key) {
    int i = RunMetrics.KEYS.indexOf(key);
    return i < 0 ? key : RunMetrics.LABELS.get(i);
  }
}
