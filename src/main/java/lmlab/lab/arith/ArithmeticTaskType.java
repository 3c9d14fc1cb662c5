package lmlab.lab.arith;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.lab.LabTask;
import lmlab.lab.TaskType;

/**
 * The modular-arithmetic task in the registry ({@code --task arith}): keys p, q, operator, orders,
 * r_train, data_seed (the split's seed; default: the run's seed) and loss_on.
 */
public final class ArithmeticTaskType implements TaskType {
  /** The name recorded in config.json's task.name. */
  public static final String RECORDED_NAME = "arithmetic";

  private static final Set<String> KEYS =
      new LinkedHashSet<>(List.of("p", "q", "operator", "orders", "r_train", "data_seed", "loss_on"));

  @Override
  public String name() {
    return "arith";
  }

  @Override
  public List<String> aliases() {
    return List.of(RECORDED_NAME);
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public LabTask create(Map<String, Object> settings, long seed) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (var e : settings.entrySet()) {
      if (!KEYS.contains(e.getKey())) {
        throw new IllegalArgumentException("unknown arith task key '" + e.getKey() + "'; keys: " + String.join(", ", KEYS));
      }
      if (!e.getKey().equals("data_seed")) m.put(e.getKey(), e.getValue());
    }
    Object ds = settings.get("data_seed");
    m.put("seed", ds != null ? ds : seed);
    return new ArithmeticTask(ArithmeticConfig.fromMap(m));
  }

  @Override
  public LabTask restore(Map<String, Object> recorded) {
    return new ArithmeticTask(ArithmeticConfig.fromMap(recorded));
  }
}
