package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import lmlab.train.RunDirectory;

/**
 * A sweep on disk: {@code sweep.json} and one run directory per run id (experiments.md). Knows a
 * run's state, its {@code .lock}, and whether an existing run was made from the same settings.
 */
public final class SweepDirectory {
  public static final String SWEEP_JSON = "sweep.json";
  public static final String LOCK = ".lock";
  /** A lock older than this belongs to a process that died. */
  public static final long LOCK_STALE_MILLIS = 5 * 60_000L;
  /** How often the holder refreshes its lock. */
  public static final long LOCK_REFRESH_MILLIS = 30_000L;

  /** experiments.md, "Running and resuming". */
  public enum State {
    PENDING, INTERRUPTED, COMPLETED, FAILED;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Path dir;

  public SweepDirectory(Path dir) {
    this.dir = dir;
  }

  public Path path() {
    return dir;
  }

  public Path run(String id) {
    return dir.resolve(id);
  }

  /** Writes sweep.json atomically (temp file in the same folder, then a move). */
  public void writeSweepJson(ObjectNode json) throws IOException {
    Files.createDirectories(dir);
    Path f = dir.resolve(SWEEP_JSON);
    Path tmp = dir.resolve("." + SWEEP_JSON + ".tmp");
    Files.writeString(tmp, Sweep.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** sweep.json, or an error saying dir is not a sweep directory. */
  public ObjectNode readSweepJson() throws IOException {
    Path f = dir.resolve(SWEEP_JSON);
    if (!Files.isRegularFile(f)) throw new IllegalArgumentException(dir + " is not a sweep directory: it has no " + SWEEP_JSON);
    JsonNode n = Sweep.JSON.readTree(f.toFile());
    if (!(n instanceof ObjectNode o) || !o.has("runs")) throw new IllegalArgumentException(f + ": not a sweep.json (no \"runs\")");
    return o;
  }

  /** The state of run id from its directory (a checkpoint's "complete" and summary.json's status). */
  public State state(String id) {
    Path r = run(id);
    JsonNode summary = readQuietly(r.resolve(RunDirectory.SUMMARY));
    if (summary != null && summary.path("status").asText().equals("nonfinite_loss")) return State.FAILED;
    JsonNode trainer = readQuietly(r.resolve(RunDirectory.CHECKPOINTS).resolve(RunDirectory.LATEST).resolve(RunDirectory.TRAINER));
    if (trainer == null) return State.PENDING;
    return trainer.path("complete").asBoolean(false) ? State.COMPLETED : State.INTERRUPTED;
  }

  /** The run's trainer.json "step" (-1 when none) for status displays. */
  public long checkpointStep(String id) {
    JsonNode t = readQuietly(run(id).resolve(RunDirectory.CHECKPOINTS).resolve(RunDirectory.LATEST).resolve(RunDirectory.TRAINER));
    return t == null ? -1 : t.path("step").asLong(-1);
  }

  static JsonNode readQuietly(Path f) {
    if (!Files.isRegularFile(f)) return null;
    try {
      return Sweep.JSON.readTree(f.toFile());
    } catch (IOException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- settings check

  /**
   * Null when run id has no config.json or one made from settings; else the first differing key
   * (besides name and threads) with both values, for the error of experiments.md.
   */
  public String differingKey(String id, RunSpec spec) {
    JsonNode existing = readQuietly(run(id).resolve(RunDirectory.CONFIG));
    if (existing == null) return null;
    ObjectNode expected = spec.runConfig().deepCopy();
    ((ObjectNode) expected.get("model")).set("config", spec.model().toJson());
    expected.set("train", spec.train().toJson());
    Map<String, String> a = flat(expected);
    Map<String, String> b = flat(existing);
    for (var e : a.entrySet()) {
      String k = e.getKey();
      if (k.equals("name") || k.equals("threads")) continue;
      String v = b.get(k);
      if (!e.getValue().equals(v)) {
        return k + " (" + (v == null ? "absent" : v) + " in the run, " + e.getValue() + " in the sweep)";
      }
    }
    for (var e : b.entrySet()) {
      if (!a.containsKey(e.getKey()) && !e.getKey().equals("name") && !e.getKey().equals("threads")) {
        return e.getKey() + " (" + e.getValue() + " in the run, absent in the sweep)";
      }
    }
    return null;
  }

  private static Map<String, String> flat(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", n, out);
    return out;
  }

  private static void flatten(String prefix, JsonNode n, Map<String, String> out) {
    if (n.isObject()) {
      n.properties().forEach(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out));
    } else if (n.isNumber()) {
      out.put(prefix, Double.toString(n.asDouble())); // 1 and 1.0 are the same setting
    } else {
      out.put(prefix, n.isTextual() ? n.asText() : n.toString());
    }
  }

  // ---------------------------------------------------------------- locks

  /** A lock held by another live process: its pid and host; null when free or stale. */
  public String lockHolder(String id) {
    Path l = run(id).resolve(LOCK);
    try {
      FileTime t = Files.getLastModifiedTime(l);
      if (System.currentTimeMillis() - t.toMillis() > LOCK_STALE_MILLIS) return null;
      JsonNode n = readQuietly(l);
      if (n != null && n.path("pid").asLong() == ProcessHandle.current().pid() && n.path("host").asText().equals(host())) {
        return null;
      }
      return n == null ? "another process" : "pid " + n.path("pid").asLong() + " on " + n.path("host").asText();
    } catch (IOException e) {
      return null;
    }
  }

  /** Takes run id's lock (pid, host); false when another live process holds it. */
  public boolean lock(String id) throws IOException {
    if (lockHolder(id) != null) return false;
    Files.createDirectories(run(id));
    ObjectNode o = Sweep.JSON.createObjectNode();
    o.put("pid", ProcessHandle.current().pid());
    o.put("host", host());
    Path tmp = run(id).resolve(LOCK + ".tmp");
    Files.writeString(tmp, o.toString());
    Files.move(tmp, run(id).resolve(LOCK), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return true;
  }

  public void refreshLock(String id) {
    try {
      Files.setLastModifiedTime(run(id).resolve(LOCK), FileTime.fromMillis(System.currentTimeMillis()));
    } catch (IOException e) {
      // the run directory went away: nothing to refresh
    }
  }

  public void unlock(String id) {
    try {
      Files.deleteIfExists(run(id).resolve(LOCK));
    } catch (IOException e) {
      // already gone
    }
  }

  /** Empties a pending run's directory (killed before its first checkpoint), keeping its lock. */
  public void clear(String id) throws IOException {
    Path r = run(id);
    if (!Files.isDirectory(r)) return;
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(r)) {
      s.sorted(Comparator.reverseOrder()).forEach(all::add);
    }
    for (Path p : all) {
      if (p.equals(r) || p.equals(r.resolve(LOCK))) continue;
      Files.delete(p);
    }
  }

  static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
