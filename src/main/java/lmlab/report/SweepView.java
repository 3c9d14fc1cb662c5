package lmlab.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.runs.RunRecord;

/**
 * A sweep as the report reads it: each run's value of a sweep key (from sweep.json's settings,
 * else from its config.json), runs grouped by keys in sweep order, and the grid keys.
 */
public final class SweepView {
  private final Sweeps.Sweep sweep;

  public SweepView(Sweeps.Sweep sweep) {
    this.sweep = sweep;
  }

  public Sweeps.Sweep sweep() {
    return sweep;
  }

  public List<Sweeps.Run> runs() {
    return sweep.runs();
  }

  /** The grid keys of sweep.json in file order (the union over a list of grids). */
  public List<String> gridKeys() {
    Set<String> keys = new LinkedHashSet<>();
    JsonNode d = sweep.description();
    if (d != null && d.has("grid")) {
      JsonNode g = d.get("grid");
      List<JsonNode> grids = new ArrayList<>();
      if (g.isArray()) g.forEach(grids::add);
      else grids.add(g);
      for (JsonNode one : grids) one.fieldNames().forEachRemaining(keys::add);
    }
    return new ArrayList<>(keys);
  }

  /** A run's value of key as text (numbers as sweep.json wrote them), or null. */
  public static String value(Sweeps.Run r, String key) {
    JsonNode v = r.settings().get(key);
    if (v == null && key.startsWith("set.") && r.settings().get("set") instanceof JsonNode set && set.has(key.substring(4))) {
      v = set.get(key.substring(4));
    }
    if (v != null && !v.isNull()) return v.isTextual() ? v.asText() : v.toString();
    if (r.record() != null) return Settings.value(r.record(), key);
    return null;
  }

  /** A run's numeric value of key, NaN when absent or not a number. */
  public static double number(Sweeps.Run r, String key) {
    String v = value(r, key);
    if (v == null) return Double.NaN;
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** A group of runs sharing values of some keys: all its runs (any state) and those with evaluations. */
  public record Group(List<String> values, List<Sweeps.Run> runs) {
    public List<RunRecord> records() {
      List<RunRecord> out = new ArrayList<>();
      for (Sweeps.Run r : runs) if (r.record() != null) out.add(r.record());
      return out;
    }

    public String value(int i) {
      return values.get(i);
    }
  }

  /** Runs grouped by the values of keys, groups in order of first appearance. */
  public List<Group> groupBy(List<Sweeps.Run> runs, List<String> keys) {
    Map<List<String>, List<Sweeps.Run>> m = new LinkedHashMap<>();
    for (Sweeps.Run r : runs) {
      List<String> vals = new ArrayList<>();
      for (String k : keys) vals.add(String.valueOf(value(r, k)));
      m.computeIfAbsent(vals, x -> new ArrayList<>()).add(r);
    }
    List<Group> out = new ArrayList<>();
    m.forEach((k, v) -> out.add(new Group(k, v)));
    return out;
  }

  public List<Group> groupBy(List<String> keys) {
    return groupBy(sweep.runs(), keys);
  }

  /** The runs whose key has value. */
  public List<Sweeps.Run> where(String key, String value) {
    List<Sweeps.Run> out = new ArrayList<>();
    for (Sweeps.Run r : sweep.runs()) if (value.equals(value(r, key))) out.add(r);
    return out;
  }

  /** Distinct values of key in sweep order. */
  public List<String> values(String key) {
    Set<String> out = new LinkedHashSet<>();
    for (Sweeps.Run r : sweep.runs()) out.add(String.valueOf(value(r, key)));
    return new ArrayList<>(out);
  }

  /** The seeds of the sweep's runs. */
  public List<String> seeds() {
    return values("seed");
  }

  /** The last step T − 1 of the runs (their steps setting minus one), or null when unknown. */
  public Long lastStep() {
    for (Sweeps.Run r : sweep.runs()) {
      double s = number(r, "steps");
      if (Double.isFinite(s)) return (long) s - 1;
    }
    return null;
  }

  /** Experiment name without a scale suffix (grok-data-tiny → grok-data). */
  public String experiment() {
    String n = sweep.name();
    return n.replaceFirst("-(tiny|smoke)$", "");
  }

  /** The scale: sweep.json's "scale", else the name's suffix, else full. */
  public String scale() {
    JsonNode d = sweep.description();
    if (d != null && d.has("scale")) return d.get("scale").asText();
    String n = sweep.name();
    if (n.endsWith("-tiny")) return "tiny";
    if (n.endsWith("-smoke")) return "smoke";
    return "full";
  }

  /** sweep.json's title, else the name. */
  public String title() {
    JsonNode d = sweep.description();
    if (d != null && d.has("title")) return d.get("title").asText();
    return experiment();
  }
}
