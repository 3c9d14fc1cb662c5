package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import lmlab.train.TrainConfig;

/**
 * A sweep description (experiments.md, "Sweep description"): name, base settings, a grid (or a
 * list of grids), seeds, a run_name pattern and a runs_dir. {@link #expand} turns it into the
 * runs, each checked as {@link RunSpec} before any trains.
 */
public record Sweep(String name, ObjectNode description, Map<String, JsonNode> base,
    List<Map<String, List<JsonNode>>> grids, List<Long> seeds, String runName, String runsDir) {

  static final ObjectMapper JSON = new ObjectMapper();

  /** Top-level keys of a description. */
  public static final Set<String> KEYS = Set.of("name", "title", "description", "base", "grid", "seeds", "run_name",
      "runs_dir");

  public static final List<Long> DEFAULT_SEEDS = List.of(0L, 42L);

  /** Scales (experiments.md): steps, evaluation and grid of a smaller sweep of the same shape. */
  public enum Scale {
    FULL, SMOKE, TINY;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Scale parse(String s) {
      for (Scale x : values()) if (x.key().equals(s.trim().toLowerCase(Locale.ROOT))) return x;
      throw new IllegalArgumentException("--scale must be full, smoke or tiny, got '" + s + "'");
    }
  }

  /** One run of the sweep: its index, id and flat settings (defaults ← base ← grid point ← seed). */
  public record Run(int index, String id, Map<String, JsonNode> settings, Map<String, JsonNode> point, long seed) {}

  /** Parses a description; errors name the source and the key. */
  public static Sweep parse(JsonNode root, String source) {
    if (!(root instanceof ObjectNode o)) throw new IllegalArgumentException(source + ": expected a JSON object");
    for (String k : iterable(o)) {
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException(source + ": unknown key '" + k + "'; keys: " + String.join(", ", new java.util.TreeSet<>(KEYS)));
      }
    }
    JsonNode n = o.get("name");
    if (n == null || !n.isTextual() || n.asText().isBlank()) throw new IllegalArgumentException(source + ": \"name\" must be a non-empty string");
    String name = n.asText();
    if (!name.equals(RunIds.encode(name))) {
      throw new IllegalArgumentException(source + ": name '" + name + "' may use only letters, digits and . _ + -");
    }
    Map<String, JsonNode> base = new LinkedHashMap<>();
    JsonNode b = o.get("base");
    if (b != null) {
      if (!b.isObject()) throw new IllegalArgumentException(source + ": \"base\" must be an object of settings");
      for (String k : iterable(b)) {
        checkKey(source, "base", k);
        base.put(k, b.get(k));
      }
    }
    List<Map<String, List<JsonNode>>> grids = new ArrayList<>();
    JsonNode g = o.get("grid");
    if (g != null) {
      List<JsonNode> objs = new ArrayList<>();
      if (g.isArray()) g.forEach(objs::add);
      else objs.add(g);
      if (objs.isEmpty()) throw new IllegalArgumentException(source + ": \"grid\" is empty");
      for (JsonNode go : objs) {
        if (!go.isObject()) throw new IllegalArgumentException(source + ": a grid must be an object of key → list of values");
        if (go.isEmpty()) throw new IllegalArgumentException(source + ": \"grid\" is empty (give key → list of values, or leave it out)");
        Map<String, List<JsonNode>> grid = new LinkedHashMap<>();
        for (String k : iterable(go)) {
          checkKey(source, "grid", k);
          JsonNode vs = go.get(k);
          if (!vs.isArray()) throw new IllegalArgumentException(source + ": grid key '" + k + "' must be a list of values, got " + vs);
          if (vs.isEmpty()) throw new IllegalArgumentException(source + ": grid key '" + k + "' has no values");
          List<JsonNode> l = new ArrayList<>();
          vs.forEach(l::add);
          grid.put(k, l);
        }
        grids.add(grid);
      }
    }
    List<Long> seeds = DEFAULT_SEEDS;
    JsonNode s = o.get("seeds");
    if (s != null) seeds = seeds(s, source + ": seeds");
    String runName = text(o, "run_name", source);
    String runsDir = text(o, "runs_dir", source);
    return new Sweep(name, o.deepCopy(), base, grids, seeds, runName, runsDir);
  }

  static List<Long> seeds(JsonNode s, String what) {
    if (!s.isArray() || s.isEmpty()) throw new IllegalArgumentException(what + " must be a non-empty list of whole numbers, got " + s);
    List<Long> out = new ArrayList<>();
    for (JsonNode x : s) {
      if (!x.isIntegralNumber()) throw new IllegalArgumentException(what + " must be whole numbers, got " + x);
      out.add(x.asLong());
    }
    return out;
  }

  private static String text(JsonNode o, String key, String source) {
    JsonNode v = o.get(key);
    if (v == null || v.isNull()) return null;
    if (!v.isTextual()) throw new IllegalArgumentException(source + ": \"" + key + "\" must be a string, got " + v);
    return v.asText();
  }

  private static Iterable<String> iterable(JsonNode o) {
    List<String> l = new ArrayList<>();
    o.fieldNames().forEachRemaining(l::add);
    return l;
  }

  /** A key of base or grid: a settings key (not run_name / runs_dir, which the sweep sets) or set.KEY. */
  static void checkKey(String source, String where, String k) {
    if (k.startsWith("set.") && k.length() > 4) return;
    if (k.equals("run_name") || k.equals("runs_dir")) {
      throw new IllegalArgumentException(source + ": " + where + " key '" + k + "' is set by the sweep (use the top-level "
          + k + ")");
    }
    if (!RunSpec.keys().contains(k)) {
      throw new IllegalArgumentException(source + ": unknown " + where + " key '" + k + "'; keys: "
          + String.join(", ", RunSpec.keys()) + ", set.<model config key>");
    }
  }

  /** This sweep with overrides: seeds replaced (null: kept), base keys set (KEY → value). */
  public Sweep with(List<Long> newSeeds, Map<String, JsonNode> set, String newName) {
    Map<String, JsonNode> b = new LinkedHashMap<>(base);
    for (var e : set.entrySet()) {
      checkKey("--set", "base", e.getKey());
      b.put(e.getKey(), e.getValue());
    }
    return new Sweep(newName != null ? newName : name, description, b, grids, newSeeds != null ? newSeeds : seeds,
        runName, runsDir);
  }

  /** The sweep directory: runs_dir, else runs/&lt;name&gt;, with "-&lt;scale&gt;" unless full. */
  public Path directory(Scale scale) {
    if (runsDir != null) return Path.of(runsDir);
    return Path.of("runs").resolve(scale == Scale.FULL ? name : name + "-" + scale.key());
  }

  /** The grid keys in file order (the union over a list of grids). */
  public List<String> gridKeys() {
    Set<String> k = new LinkedHashSet<>();
    for (Map<String, List<JsonNode>> g : grids) k.addAll(g.keySet());
    return new ArrayList<>(k);
  }

  /**
   * The runs at a scale, in order (grid points in Hydra multirun order, the last key fastest;
   * seeds innermost), each checked: an unknown key, an invalid value or two runs with one id is an
   * error naming the run.
   */
  public List<Run> expand(Scale scale, Path dir) {
    List<Map<String, JsonNode>> points = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    if (grids.isEmpty()) points.add(new LinkedHashMap<>());
    for (Map<String, List<JsonNode>> g : grids) {
      List<Map<String, JsonNode>> product = new ArrayList<>();
      product.add(new LinkedHashMap<>());
      for (var e : g.entrySet()) {
        List<JsonNode> values = e.getValue();
        if (scale == Scale.TINY && values.size() > 2) values = List.of(values.getFirst(), values.getLast());
        List<Map<String, JsonNode>> next = new ArrayList<>();
        for (Map<String, JsonNode> p : product) {
          for (JsonNode v : values) {
            Map<String, JsonNode> q = new LinkedHashMap<>(p);
            q.put(e.getKey(), v);
            next.add(q);
          }
        }
        product = next;
      }
      for (Map<String, JsonNode> p : product) if (seen.add(p.toString())) points.add(p);
    }
    List<String> keys = gridKeys();
    List<Run> runs = new ArrayList<>();
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Map<String, JsonNode> point : points) {
      for (long seed : seeds) {
        int index = runs.size();
        Map<String, JsonNode> s = settings(point, seed, scale);
        String id = RunIds.id(runName, keys.stream().filter(point::containsKey).toList(), point, seed, s);
        Integer other = ids.put(id, index);
        if (other != null) {
          throw new IllegalArgumentException("sweep " + name + ": runs " + other + " and " + index + " have the same id '"
              + id + "' (make run_name name every grid key)");
        }
        s.put("runs_dir", JSON.getNodeFactory().textNode(dir.toString()));
        s.put("run_name", JSON.getNodeFactory().textNode(id));
        try {
          RunSpec.of(s, id);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("sweep " + name + ": run " + id + ": " + e.getMessage(), e);
        }
        runs.add(new Run(index, id, s, point, seed));
      }
    }
    return runs;
  }

  /** defaults ← base ← grid point ← seed, then the scale's steps and evaluation. */
  private Map<String, JsonNode> settings(Map<String, JsonNode> point, long seed, Scale scale) {
    Map<String, JsonNode> s = new LinkedHashMap<>();
    ObjectNode set = JSON.createObjectNode();
    for (Map<String, JsonNode> layer : List.of(base, point)) {
      for (var e : layer.entrySet()) {
        if (e.getKey().startsWith("set.")) set.set(e.getKey().substring(4), e.getValue());
        else if (e.getKey().equals("set") && e.getValue().isObject()) set.setAll((ObjectNode) e.getValue());
        else s.put(e.getKey(), e.getValue());
      }
    }
    if (!set.isEmpty()) s.put("set", set);
    s.put("seed", JSON.getNodeFactory().numberNode(seed));
    if (s.containsKey("task") && s.get("task").asText().equals(lmlab.lab.text.TextTaskType.NAME)) {
      scaleText(s, scale);
      return s;
    }
    long steps = s.containsKey("steps") && s.get("steps").canConvertToLong() ? s.get("steps").asLong()
        : TrainConfig.DEFAULT_STEPS;
    switch (scale) {
      case FULL -> {}
      case SMOKE -> {
        s.put("steps", JSON.getNodeFactory().numberNode((steps - 1) / 20 + 1));
        s.put("eval_period", JSON.getNodeFactory().numberNode(5));
        s.put("eval_first", JSON.getNodeFactory().numberNode(5));
      }
      case TINY -> {
        s.put("steps", JSON.getNodeFactory().numberNode(11L));
        s.put("eval_period", JSON.getNodeFactory().numberNode(5));
        s.put("eval_first", JSON.getNodeFactory().numberNode(0));
      }
    }
    return s;
  }

  /**
   * The text task's scales (text.md): smoke divides the iterations (of every stage) and
   * eval_period by 20 and caps eval_windows at 16; tiny is 5 iterations per stage, evaluation every
   * 5 steps and 4 windows.
   */
  private static void scaleText(Map<String, JsonNode> s, Scale scale) {
    if (scale == Scale.FULL) return;
    var f = JSON.getNodeFactory();
    boolean tiny = scale == Scale.TINY;
    JsonNode stages = s.get("stages");
    if (stages != null && stages.isArray()) {
      com.fasterxml.jackson.databind.node.ArrayNode out = JSON.createArrayNode();
      for (JsonNode st : stages) {
        ObjectNode o = st.isObject() ? ((ObjectNode) st).deepCopy() : JSON.createObjectNode();
        long iters = o.path("iters").asLong(1);
        o.put("iters", tiny ? 5 : Math.max(1, iters / 20));
        out.add(o);
      }
      s.put("stages", out);
    } else {
      long steps = s.containsKey("steps") && s.get("steps").canConvertToLong() ? s.get("steps").asLong() : 601;
      s.put("steps", f.numberNode(tiny ? 6 : (steps - 1) / 20 + 1));
    }
    long period = s.containsKey("eval_period") && s.get("eval_period").canConvertToLong() ? s.get("eval_period").asLong() : 100;
    s.put("eval_period", f.numberNode(tiny ? 5 : Math.max(1, period / 20)));
    s.put("eval_first", f.numberNode(0));
    long cap = tiny ? 4 : 16;
    long windows = s.containsKey("eval_windows") && s.get("eval_windows").canConvertToLong() ? s.get("eval_windows").asLong() : 0;
    s.put("eval_windows", f.numberNode(windows > 0 ? Math.min(windows, cap) : cap));
  }

  /**
   * sweep.json: the description as given, plus "scale", "overrides" (the --seeds / --set / --name
   * given on the command line, when any) and the expanded "runs" (index, id, settings).
   */
  public ObjectNode toJson(Scale scale, List<Run> runs, ObjectNode overrides) {
    ObjectNode o = description.deepCopy();
    o.put("scale", scale.key());
    if (overrides != null && !overrides.isEmpty()) o.set("overrides", overrides);
    ArrayNode rs = o.putArray("runs");
    for (Run r : runs) {
      ObjectNode x = rs.addObject();
      x.put("index", r.index());
      x.put("id", r.id());
      ObjectNode st = x.putObject("settings");
      r.settings().forEach(st::set);
    }
    return o;
  }

  /** The runs recorded in a sweep.json. */
  public static List<Run> runsOf(JsonNode sweepJson) {
    List<Run> out = new ArrayList<>();
    for (JsonNode r : sweepJson.path("runs")) {
      Map<String, JsonNode> s = new LinkedHashMap<>();
      r.get("settings").properties().forEach(e -> s.put(e.getKey(), e.getValue()));
      out.add(new Run(r.get("index").asInt(), r.get("id").asText(), s, Map.of(), s.get("seed").asLong()));
    }
    return out;
  }
}
