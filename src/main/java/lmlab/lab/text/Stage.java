package lmlab.lab.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stage of a context-extension schedule (text.md, "Stages"): iters updates at block size S.
 * A run trains its stages in order with step numbers running on; at each later stage's first
 * update the optimizer starts afresh, as the course's second run does.
 */
public record Stage(long iters, int blockSize) {
  public Stage {
    if (iters < 1) throw new IllegalArgumentException("stages: iters must be >= 1, got " + iters);
    if (blockSize < 1) throw new IllegalArgumentException("stages: block_size must be >= 1, got " + blockSize);
  }

  /** Reads [{"iters": 600, "block_size": 128}, ...] (plain values from settings or config.json). */
  public static List<Stage> parse(Object value) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw new IllegalArgumentException("stages: expected a non-empty list of {\"iters\": N, \"block_size\": S}, got "
          + value);
    }
    List<Stage> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("stages[" + i + "]: expected {\"iters\": N, \"block_size\": S}, got " + list.get(i));
      }
      for (Object k : m.keySet()) {
        if (!k.equals("iters") && !k.equals("block_size")) {
          throw new IllegalArgumentException("stages[" + i + "]: unknown key '" + k + "'; keys: iters, block_size");
        }
      }
      out.add(new Stage(whole(m.get("iters"), "stages[" + i + "].iters"),
          (int) whole(m.get("block_size"), "stages[" + i + "].block_size")));
    }
    return List.copyOf(out);
  }

  private static long whole(Object v, String what) {
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        // below
      }
    }
    throw new IllegalArgumentException(what + " must be a whole number, got " + v);
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("iters", iters);
    m.put("block_size", blockSize);
    return m;
  }
}
