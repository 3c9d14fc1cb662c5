package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import lmlab.models.Models;
import lmlab.runs.RunRecord;

/**
 * Counts experiments.md derives from a run's config: the non-embedding parameters P (trainable
 * parameters minus the token embedding and a learned position table, counted on the model built
 * from config.json's model.config) and the training-set size N_train of the arithmetic task.
 */
public final class Parameters {
  private static final Map<String, Long> CACHE = new ConcurrentHashMap<>();

  private Parameters() {}

  /** P of the first run that has a model config (the runs of one group share it); NaN when none has. */
  public static double nonEmbedding(List<RunRecord> runs) {
    for (RunRecord r : runs) {
      JsonNode cfg = r.config().path("model").path("config");
      if (!cfg.isObject()) continue;
      try {
        return CACHE.computeIfAbsent(cfg.toString(), k -> Models.fromConfig(cfg, 0).numParameters(false));
      } catch (IllegalArgumentException e) {
        return Double.NaN; // a config this build cannot rebuild: P unknown
      }
    }
    return Double.NaN;
  }

  /**
   * N_train = Σ over orders of ⌊r_train · N_order⌋ (each order is split on its own), N_order = p^order
   * tuples (for / those without a zero divisor); -1 when the run is not an arithmetic run.
   */
  public static int trainSize(RunRecord r) {
    JsonNode t = r.config().path("task");
    if (!t.has("p") || !t.has("r_train")) return -1;
    int p = t.get("p").asInt();
    double rTrain = t.get("r_train").asDouble();
    String op = t.path("operator").asText("+");
    int n = 0;
    JsonNode orders = t.path("orders");
    if (!orders.isArray() || orders.isEmpty()) return -1;
    for (JsonNode o : orders) {
      int order = o.asInt();
      long tuples = op.equals("/") ? (long) p * (long) Math.pow(p - 1, order - 1) : (long) Math.pow(p, order);
      n += (int) Math.floor(rTrain * tuples);
    }
    return n;
  }
}
