package lmlab.runs;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Groups runs by their configs for {@code lmlab runs summarize}: runs that differ only in their
 * seed are repeats of one experiment, and their run metrics are reported as mean ± std.
 *
 * <p>Configs are compared through their flattened keys ({@link RunRecord#flatConfig()}, e.g.
 * {@code task.p}, {@code model.config.hidden_size}, {@code train.seed}).
 *
 * <ul>
 *   <li>Default: every key except the seeds (a leaf named {@code seed} or ending in
 *       {@code _seed}) and bookkeeping that does not change the experiment ({@link #IGNORED}).
 *       The label shows the keys whose values differ between groups (leaf names where unique;
 *       keys of a derived {@code config} subtree only when nothing briefer differs).
 *   <li>{@code --group-by K} (repeatable): K names a key exactly, a subtree (K.*) or a leaf
 *       (*.K); runs with equal values of every matched key form a group, labelled K=value (for
 *       a subtree: its leaves that differ between runs). A K that matches no key of any run is
 *       an error listing the keys there are.
 * </ul>
 *
 * Groups keep the order in which their first run was given, runs the order given.
 */
public final class RunGroups {
  /** Leaves left out of the default grouping besides the seeds: they do not change what a run computes. */
  public static final Set<String> IGNORED = Set.of(
      "threads", "name", "run_name", "run_dir", "out", "out_dir", "output_dir", "runs_dir", "dir", "resume",
      "checkpoint_period", "progress", "created", "created_at", "started_at", "date", "time", "host", "hostname",
      "git", "git_commit", "version");

  /** One group: its label, the values that define it, and its runs. */
  public record Group(String label, Map<String, String> values, List<RunRecord> runs) {}

  private RunGroups() {}

  /** Whether a flattened key is a seed. */
  public static boolean isSeed(String key) {
    String leaf = leaf(key);
    return leaf.equals("seed") || leaf.endsWith("_seed");
  }

  private static String leaf(String key) {
    int dot = key.lastIndexOf('.');
    return dot < 0 ? key : key.substring(dot + 1);
  }

  /** Whether flattened key k is named by the user's key (exactly, as a subtree, or as a leaf / dotted suffix). */
  static boolean matches(String k, String user) {
    return k.equals(user) || k.startsWith(user + ".") || k.endsWith("." + user) || k.contains("." + user + ".");
  }

  /** Groups runs by groupBy keys (null or empty: the default, every non-seed key). */
  public static List<Group> group(List<RunRecord> runs, List<String> groupBy) {
    List<Map<String, String>> flats = new ArrayList<>();
    for (RunRecord r : runs) flats.add(r.flatConfig());
    Map<String, Group> groups = new LinkedHashMap<>();
    if (groupBy != null && !groupBy.isEmpty()) {
      for (String user : groupBy) {
        boolean found = false;
        for (Map<String, String> f : flats) for (String k : f.keySet()) if (matches(k, user)) found = true;
        if (!found) {
          TreeSet<String> keys = new TreeSet<>();
          for (Map<String, String> f : flats) keys.addAll(f.keySet());
          throw new IllegalArgumentException("--group-by '" + user + "': no run's config.json has that key; keys: "
              + String.join(", ", keys));
        }
      }
      // the keys each user key names (an exact key names only itself)
      Map<String, List<String>> named = new LinkedHashMap<>();
      for (String user : groupBy) {
        Set<String> ks = new LinkedHashSet<>();
        boolean exact = false;
        for (Map<String, String> f : flats) if (f.containsKey(user)) exact = true;
        for (Map<String, String> f : flats) {
          for (String k : f.keySet()) if (exact ? k.equals(user) : matches(k, user)) ks.add(k);
        }
        named.put(user, new ArrayList<>(ks));
      }
      for (int i = 0; i < runs.size(); i++) {
        Map<String, String> id = new LinkedHashMap<>();
        Map<String, String> shown = new LinkedHashMap<>();
        for (String user : groupBy) {
          List<String> ks = named.get(user);
          if (ks.size() == 1) {
            String v = flats.get(i).getOrDefault(ks.get(0), "(none)");
            id.put(ks.get(0), v);
            shown.put(user, v);
            continue;
          }
          for (String k : ks) {
            String v = flats.get(i).getOrDefault(k, "(none)");
            id.put(k, v);
            if (differs(flats, k)) shown.put(k, v);
          }
        }
        groups.computeIfAbsent(id.toString(), x -> new Group(label(shown), shown, new ArrayList<>()))
            .runs().add(runs.get(i));
      }
      return new ArrayList<>(groups.values());
    }
    // default: all keys but seeds and bookkeeping
    Set<String> keys = new LinkedHashSet<>();
    for (Map<String, String> f : flats) {
      for (String k : f.keySet()) if (!isSeed(k) && !IGNORED.contains(leaf(k))) keys.add(k);
    }
    List<Map<String, String>> ids = new ArrayList<>();
    for (Map<String, String> f : flats) {
      Map<String, String> id = new LinkedHashMap<>();
      for (String k : keys) id.put(k, f.getOrDefault(k, "(none)"));
      ids.add(id);
    }
    // keys whose values differ between runs (after removing seeds) name the groups
    List<String> differing = new ArrayList<>();
    for (String k : keys) if (differs(flats, k)) differing.add(k);
    List<String> named = labelKeys(differing);
    for (int i = 0; i < runs.size(); i++) {
      Map<String, String> id = ids.get(i);
      Map<String, String> shown = new LinkedHashMap<>();
      for (String k : named) shown.put(shortName(k, named), id.get(k));
      groups.computeIfAbsent(id.toString(), x -> new Group(label(shown), shown, new ArrayList<>())).runs().add(runs.get(i));
    }
    return new ArrayList<>(groups.values());
  }

  /**
   * The differing keys worth showing in a label: a key inside a derived "config" subtree (e.g.
   * model.config.hidden_size, the full model config) is left out when another differing key of
   * the same top-level section says it more briefly (model.preset, model.overrides.hidden_size).
   */
  private static List<String> labelKeys(List<String> differing) {
    List<String> out = new ArrayList<>();
    for (String k : differing) {
      if (k.contains(".config.")) {
        String top = k.substring(0, k.indexOf('.'));
        boolean brief = false;
        for (String o : differing) if (o.startsWith(top + ".") && !o.contains(".config.")) brief = true;
        if (brief) continue;
      }
      out.add(k);
    }
    return out;
  }

  /** The leaf name of k when no other shown key has the same leaf, else k itself. */
  private static String shortName(String k, List<String> shown) {
    String leaf = leaf(k);
    for (String o : shown) if (!o.equals(k) && leaf(o).equals(leaf)) return k;
    return leaf;
  }

  private static boolean differs(List<Map<String, String>> flats, String k) {
    Set<String> vals = new LinkedHashSet<>();
    for (Map<String, String> f : flats) vals.add(f.getOrDefault(k, "(none)"));
    return vals.size() > 1;
  }

  private static final int MAX_LABEL_KEYS = 4;

  private static String label(Map<String, String> values) {
    if (values.isEmpty()) return "all runs";
    List<String> parts = new ArrayList<>();
    for (var e : values.entrySet()) {
      if (parts.size() == MAX_LABEL_KEYS) {
        parts.add(String.format(Locale.ROOT, "… (+%d keys)", values.size() - MAX_LABEL_KEYS));
        break;
      }
      parts.add(e.getKey() + "=" + e.getValue());
    }
    return String.join(", ", parts);
  }
}
