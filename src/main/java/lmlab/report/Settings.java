package lmlab.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import lmlab.runs.RunRecord;

/**
 * Reading settings out of runs' config.json for legends and captions: a user's key names a
 * flattened config key exactly (train.seed) or by its last parts (seed, r_train, set.layers).
 */
public final class Settings {
  private Settings() {}

  /** Short names of the settings a caption lists when every run shares them, in caption order. */
  private static final Map<String, String> CAPTION_KEYS = new LinkedHashMap<>();

  static {
    CAPTION_KEYS.put("model.preset", "model");
    CAPTION_KEYS.put("task.p", "p");
    CAPTION_KEYS.put("task.operator", "operator");
    CAPTION_KEYS.put("task.orders", "orders");
    CAPTION_KEYS.put("task.r_train", "r_train");
    CAPTION_KEYS.put("model.config.num_hidden_layers", "L");
    CAPTION_KEYS.put("model.config.hidden_size", "d");
    CAPTION_KEYS.put("train.batch_size", "B");
    CAPTION_KEYS.put("train.lr", "lr");
    CAPTION_KEYS.put("train.weight_decay", "weight decay");
    CAPTION_KEYS.put("train.steps", "T");
  }

  /** Sweep and lmlab train keys whose config.json key has another name. */
  private static final Map<String, String> ALIASES = Map.of(
      "model", "model.preset",
      "layers", "model.config.num_hidden_layers",
      "d_model", "model.config.hidden_size",
      "heads", "model.config.num_attention_heads",
      "n_kv", "model.config.num_key_value_heads",
      "position", "model.config.position");

  /** The flattened key of run r that the user's key names (exactly, by alias, set.K, or by its last parts), or null. */
  public static String resolve(Map<String, String> flat, String user) {
    if (flat.containsKey(user)) return user;
    String alias = ALIASES.get(user);
    if (alias != null && flat.containsKey(alias)) return alias;
    if (user.startsWith("set.") && flat.containsKey("model.config." + user.substring(4))) {
      return "model.config." + user.substring(4);
    }
    String found = null;
    for (String k : flat.keySet()) {
      if (k.endsWith("." + user)) {
        // prefer the shortest path (task.r_train over model.config.something.r_train)
        if (found == null || k.length() < found.length()) found = k;
      }
    }
    return found;
  }

  /** The value of the user's key in run r, or null when r has no such key. */
  public static String value(RunRecord r, String user) {
    Map<String, String> flat = r.flatConfig();
    String k = resolve(flat, user);
    return k == null ? null : flat.get(k);
  }

  /** Checks some run has key; the error lists the keys runs do have. */
  public static void require(List<RunRecord> runs, String user, String option) {
    for (RunRecord r : runs) if (value(r, user) != null) return;
    Set<String> keys = new TreeSet<>();
    for (RunRecord r : runs) keys.addAll(r.flatConfig().keySet());
    throw new RunSet.BadInputException(option + " '" + user + "': no run's config.json has that key; expected one of "
        + String.join(", ", keys));
  }

  /** Whether every value parses as a number. */
  public static boolean numeric(List<String> values) {
    for (String v : values) {
      if (v == null) return false;
      try {
        Double.parseDouble(v);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return !values.isEmpty();
  }

  /** "p = 31, operator +, r_train 0.5, B 512": the caption keys every run shares. */
  public static String fixed(List<RunRecord> runs, Set<String> exclude) {
    List<String> parts = new ArrayList<>();
    for (var e : CAPTION_KEYS.entrySet()) {
      if (exclude.contains(e.getValue())) continue;
      Set<String> vals = new LinkedHashSet<>();
      for (RunRecord r : runs) vals.add(r.flatConfig().get(e.getKey()));
      if (vals.size() != 1 || vals.contains(null)) continue;
      String v = vals.iterator().next();
      parts.add(e.getValue().equals("p") ? "p = " + v : e.getValue() + " " + v);
    }
    return String.join(", ", parts);
  }

  /** "mean over seeds 0 and 42" / "seed 0" / "mean over seeds 0, 1 and 2". */
  public static List<String> seeds(List<RunRecord> runs) {
    Set<String> seeds = new LinkedHashSet<>();
    for (RunRecord r : runs) {
      String s = r.flatConfig().get("train.seed");
      if (s != null) seeds.add(s);
    }
    return new ArrayList<>(seeds);
  }

  /** "0 and 42", "0, 1 and 2", "0". */
  public static String and(List<String> items) {
    if (items.size() <= 1) return String.join("", items);
    return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
  }
}
