package lmlab.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import lmlab.runs.MeanStd;
import lmlab.train.RunMetrics;
import lmlab.runs.RunRecord;

/** Mean ± population std over the runs (seeds) of one configuration, per evaluated step. */
public final class Stats {
  private Stats() {}

  /** A curve: evaluated steps, the mean at each and its std, over the runs that have the step. */
  public record Curve(double[] steps, double[] mean, double[] std, int[] n) {
    public boolean isEmpty() {
      return steps.length == 0;
    }
  }

  /**
   * The curve of metric key over runs: at every step some run evaluated, the mean and std of the
   * runs that have a finite value there (an unfinished run's curve ends at its last evaluation).
   */
  public static Curve curve(List<RunRecord> runs, String key) {
    TreeMap<Long, List<Double>> bystep = new TreeMap<>();
    for (RunRecord r : runs) {
      TreeMap<Long, Double> own = new TreeMap<>(); // a step evaluated twice (resumed run): the later entry
      for (RunMetrics.Evaluation e : r.history()) {
        Double v = e.metrics().get(key);
        if (v != null && Double.isFinite(v)) own.put(e.step(), v);
        else own.remove(e.step());
      }
      for (Map.Entry<Long, Double> e : own.entrySet()) bystep.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
    int n = bystep.size();
    double[] steps = new double[n];
    double[] mean = new double[n];
    double[] std = new double[n];
    int[] count = new int[n];
    int i = 0;
    for (var e : bystep.entrySet()) {
      MeanStd m = MeanStd.of(e.getValue());
      steps[i] = e.getKey();
      mean[i] = m.mean();
      std[i] = m.std();
      count[i] = m.n();
      i++;
    }
    return new Curve(steps, mean, std, count);
  }

  /** A run metric (L_val, t_f_A_val, L_val_order2, …, see {@link #value}) over runs, each up to tMax when not null. */
  public static MeanStd metric(List<RunRecord> runs, String key, Long tMax) {
    double[] v = new double[runs.size()];
    for (int i = 0; i < v.length; i++) v[i] = value(runs.get(i), key, tMax);
    return MeanStd.of(v);
  }

  /** ‖θ‖₂ at the last evaluated step (up to tMax). */
  public static final String PARAM_NORM_LAST = "param_norm_last";
  /** The minimum ‖θ‖₂ over the evaluated steps (up to tMax). */
  public static final String PARAM_NORM_MIN = "param_norm_min";
  /** The maximum ‖θ‖₂ over the evaluated steps (up to tMax). */
  public static final String PARAM_NORM_MAX = "param_norm_max";

  /**
   * One number of one run: a run metric of arithmetic.md (RunMetrics keys, per-order suffixes) or
   * param_norm_last / _min / _max; NaN when the run has none.
   */
  public static double value(RunRecord r, String key, Long tMax) {
    if (key.startsWith("param_norm_")) {
      double last = Double.NaN;
      double min = Double.NaN;
      double max = Double.NaN;
      long lastStep = Long.MIN_VALUE;
      for (RunMetrics.Evaluation e : r.history()) {
        if (tMax != null && e.step() > tMax) continue;
        Double v = e.metrics().get("param_norm");
        if (v == null || !Double.isFinite(v)) continue;
        if (e.step() >= lastStep) {
          lastStep = e.step();
          last = v;
        }
        min = Double.isNaN(min) ? v : Math.min(min, v);
        max = Double.isNaN(max) ? v : Math.max(max, v);
      }
      return switch (key) {
        case PARAM_NORM_LAST -> last;
        case PARAM_NORM_MIN -> min;
        case PARAM_NORM_MAX -> max;
        default -> Double.NaN;
      };
    }
    return r.metrics(tMax).get(key);
  }
}
