package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The run metrics of arithmetic.md from one run's evaluation history (metrics.jsonl lines):
 * L_train, L_val = the minimum loss over evaluated steps, A_train, A_val = the maximum accuracy,
 * t_f(M) = the first evaluated step at which M reaches its extremum, Δt(L) = t_f(L_val) −
 * t_f(L_train), Δt(A) = t_f(A_val) − t_f(A_train). A generic fallback for summary.json; labs may
 * plug in their own ({@link Trainer#runMetrics}).
 */
public final class RunSummary {
  private RunSummary() {}

  public static JsonNode runMetrics(List<ObjectNode> lines) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    long[] tf = new long[4];
    String[] keys = {"train_loss", "val_loss", "train_acc", "val_acc"};
    String[] names = {"L_train", "L_val", "A_train", "A_val"};
    for (int k = 0; k < 4; k++) {
      boolean min = k < 2;
      double best = Double.NaN;
      long at = -1;
      for (ObjectNode l : lines) {
        JsonNode v = l.get(keys[k]);
        if (v == null || !v.isNumber()) continue;
        double x = v.asDouble();
        if (at < 0 || (min ? x < best : x > best)) {
          best = x;
          at = l.get("step").asLong();
        }
      }
      if (at < 0) return o;
      o.put(names[k], best);
      o.put("t_f_" + names[k], at);
      tf[k] = at;
    }
    o.put("delta_t_L", tf[1] - tf[0]);
    o.put("delta_t_A", tf[3] - tf[2]);
    return o;
  }
}
