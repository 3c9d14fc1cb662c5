package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The run metrics of arithmetic.md from one run's evaluation history:
 *
 * <ul>
 *   <li>L_train, L_val: the minimum train/val loss over the evaluated steps (up to T_max when
 *       given); A_train, A_val: the maximum train/val accuracy;
 *   <li>t_f(M): the first evaluated step at which M reaches that extremum;
 *   <li>Δt(L) = t_f(L_val) − t_f(L_train), Δt(A) = t_f(A_val) − t_f(A_train).
 * </ul>
 *
 * The same for each order when the history has per-order metrics ({@code train_loss_order2}, …).
 * Evaluations are taken in step order; when a step appears twice (a resumed run that evaluated it
 * again) the later entry wins. Non-finite values (NaN, ±inf) are skipped. A metric with no value
 * in range is NaN, and so are the t_f and Δt that depend on it.
 *
 * <p>Keys ({@link #KEYS}): L_train, L_val, A_train, A_val, t_f_L_train, t_f_L_val, t_f_A_train,
 * t_f_A_val, delta_t_L, delta_t_A (the keys of the trainer's summary.json), with a suffix
 * {@code _order2} / {@code _order3} for the per-order scopes.
 */
public final class RunMetrics {
  /** One evaluation: its step and its metrics (train_loss, train_acc, val_loss, val_acc, …). */
  public record Evaluation(long step, Map<String, Double> metrics) {}

  /** The metric keys of one scope, in table order. */
  public static final List<String> KEYS = List.of(
      "L_train", "L_val", "A_train", "A_val",
      "t_f_L_train", "t_f_L_val", "t_f_A_train", "t_f_A_val",
      "delta_t_L", "delta_t_A");

  /** Display names of {@link #KEYS}, in the same order. */
  public static final List<String> LABELS = List.of(
      "L_train", "L_val", "A_train", "A_val",
      "t_f(L_train)", "t_f(L_val)", "t_f(A_train)", "t_f(A_val)",
      "Δt(L)", "Δt(A)");

  /** Whether a key is a step count (t_f, Δt) rather than a loss or accuracy. */
  public static boolean isStep(String key) {
    return key.startsWith("t_f_") || key.startsWith("delta_t_");
  }

  /** The scope "" (all sequences) and "order2"/"order3" when present. */
  private final Map<String, Map<String, Double>> scopes;
  private final long lastStep;
  private final int evaluations;

  private RunMetrics(Map<String, Map<String, Double>> scopes, long lastStep, int evaluations) {
    this.scopes = scopes;
    this.lastStep = lastStep;
    this.evaluations = evaluations;
  }

  /** The run metrics of a history, using only evaluations with step <= tMax when tMax is not null. */
  public static RunMetrics of(List<Evaluation> history, Long tMax) {
    TreeMap<Long, Map<String, Double>> bystep = new TreeMap<>();
    for (Evaluation e : history) {
      if (tMax != null && e.step() > tMax) continue;
      bystep.put(e.step(), e.metrics());
    }
    List<Evaluation> sorted = new ArrayList<>();
    for (var e : bystep.entrySet()) sorted.add(new Evaluation(e.getKey(), e.getValue()));
    sorted.sort(Comparator.comparingLong(Evaluation::step));
    Map<String, Map<String, Double>> scopes = new LinkedHashMap<>();
    scopes.put("", scope(sorted, ""));
    for (int ord : new int[] {2, 3}) {
      String suffix = "_order" + ord;
      boolean has = false;
      for (Evaluation e : sorted) {
        for (String k : e.metrics().keySet()) if (k.endsWith(suffix)) has = true;
      }
      if (has) scopes.put("order" + ord, scope(sorted, suffix));
    }
    long last = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1).step();
    return new RunMetrics(scopes, last, sorted.size());
  }

  /** The run metrics of a whole history. */
  public static RunMetrics of(List<Evaluation> history) {
    return of(history, null);
  }

  /**
   * From metrics.jsonl lines as JSON objects (each with "step" and numeric metrics; other fields
   * ignored).
   */
  public static RunMetrics fromJson(List<? extends JsonNode> lines, Long tMax) {
    return of(evaluations(lines), tMax);
  }

  /**
   * summary.json's run_metrics from the metrics.jsonl lines of a whole run, per-order metrics
   * included: {@code trainer.runMetrics(RunMetrics::summaryJson)}.
   */
  public static ObjectNode summaryJson(List<? extends JsonNode> lines) {
    return fromJson(lines, null).toJson();
  }

  /** metrics.jsonl objects as evaluations: "step" and every numeric field (null → NaN). */
  public static List<Evaluation> evaluations(List<? extends JsonNode> lines) {
    List<Evaluation> out = new ArrayList<>();
    for (JsonNode l : lines) {
      JsonNode step = l.get("step");
      if (step == null || !step.canConvertToLong()) continue;
      Map<String, Double> m = new LinkedHashMap<>();
      for (var it = l.properties().iterator(); it.hasNext(); ) {
        var f = it.next();
        if (f.getKey().equals("step")) continue;
        JsonNode v = f.getValue();
        if (v.isNumber()) m.put(f.getKey(), v.asDouble());
        else if (v.isNull()) m.put(f.getKey(), Double.NaN);
        else if (v.isTextual() && isNonFinite(v.asText())) m.put(f.getKey(), Double.parseDouble(v.asText()));
      }
      out.add(new Evaluation(step.asLong(), m));
    }
    return out;
  }

  private static boolean isNonFinite(String s) {
    return s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity");
  }

  private static Map<String, Double> scope(List<Evaluation> sorted, String suffix) {
    double[] lTrain = extremum(sorted, "train_loss" + suffix, true);
    double[] lVal = extremum(sorted, "val_loss" + suffix, true);
    double[] aTrain = extremum(sorted, "train_acc" + suffix, false);
    double[] aVal = extremum(sorted, "val_acc" + suffix, false);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("L_train", lTrain[0]);
    m.put("L_val", lVal[0]);
    m.put("A_train", aTrain[0]);
    m.put("A_val", aVal[0]);
    m.put("t_f_L_train", lTrain[1]);
    m.put("t_f_L_val", lVal[1]);
    m.put("t_f_A_train", aTrain[1]);
    m.put("t_f_A_val", aVal[1]);
    m.put("delta_t_L", lVal[1] - lTrain[1]);
    m.put("delta_t_A", aVal[1] - aTrain[1]);
    return m;
  }

  /** {extremum, first step reaching it}, NaN for both when the metric never has a finite value. */
  private static double[] extremum(List<Evaluation> sorted, String key, boolean min) {
    double best = Double.NaN;
    long at = -1;
    for (Evaluation e : sorted) {
      Double v = e.metrics().get(key);
      if (v == null || !Double.isFinite(v)) continue;
      if (at < 0 || (min ? v < best : v > best)) {
        best = v;
        at = e.step();
      }
    }
    return at < 0 ? new double[] {Double.NaN, Double.NaN} : new double[] {best, at};
  }

  /** The metrics over all sequences, keyed by {@link #KEYS}. */
  public Map<String, Double> values() {
    return scopes.get("");
  }

  /** The metrics of one order (2 or 3), or null when the history has none for it. */
  public Map<String, Double> values(int order) {
    return scopes.get("order" + order);
  }

  /** The orders with per-order metrics (empty, or [2, 3] with both orders). */
  public List<Integer> orders() {
    List<Integer> out = new ArrayList<>();
    for (String s : scopes.keySet()) if (!s.isEmpty()) out.add(Integer.parseInt(s.substring(5)));
    return out;
  }

  /** One metric, e.g. get("t_f_A_val") or get("L_val_order3"). NaN when absent. */
  public double get(String key) {
    for (String s : scopes.keySet()) {
      if (s.isEmpty()) continue;
      String suffix = "_" + s;
      if (key.endsWith(suffix)) {
        Double v = scopes.get(s).get(key.substring(0, key.length() - suffix.length()));
        return v == null ? Double.NaN : v;
      }
    }
    Double v = scopes.get("").get(key);
    return v == null ? Double.NaN : v;
  }

  /** The last evaluated step in range (-1 when none). */
  public long lastStep() {
    return lastStep;
  }

  /** How many evaluations were in range. */
  public int evaluations() {
    return evaluations;
  }

  /**
   * All values flat: KEYS, then KEYS + "_order2", KEYS + "_order3" when present. Steps as whole
   * numbers; absent values as null in {@link #toJson()}.
   */
  public Map<String, Double> flat() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (var s : scopes.entrySet()) {
      String suffix = s.getKey().isEmpty() ? "" : "_" + s.getKey();
      for (var e : s.getValue().entrySet()) out.put(e.getKey() + suffix, e.getValue());
    }
    return out;
  }

  /** {@link #flat()} as a JSON object (for summary.json's run_metrics): steps as integers, NaN as null. */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    for (var e : flat().entrySet()) {
      double v = e.getValue();
      String base = e.getKey().replaceFirst("_order[23]$", "");
      if (!Double.isFinite(v)) o.putNull(e.getKey());
      else if (isStep(base)) o.put(e.getKey(), (long) v);
      else o.put(e.getKey(), v);
    }
    return o;
  }
}
