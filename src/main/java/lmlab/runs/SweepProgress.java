package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.train.RunDirectory;

/**
 * Progress across the runs of a sweep: runs done / total, aggregate steps/s and ETA. On a terminal
 * one line redrawn in place (at most once a second); otherwise a log line when a run starts or
 * ends and a status line every minute. Steps come from each running run's metrics.jsonl (its last
 * evaluated step), so the display works the same for any executor.
 */
public final class SweepProgress {
  private static final String ERASE = "\r\u001b[K";

  private final PrintWriter out;
  private final boolean terminal;
  private final SweepDirectory sweep;
  private final int total;
  private final long stepsPerRun;
  private int done;
  private final Map<String, long[]> seen = new HashMap<>(); // id → {first step, first nanos, last step, last nanos}
  private long lastDraw;
  private long lastLog = System.nanoTime();
  private boolean drawn;

  /** total: runs in the sweep; done: already completed; stepsPerRun: T − 1 updates per run. */
  public SweepProgress(PrintWriter out, boolean terminal, SweepDirectory sweep, int total, int done, long stepsPerRun) {
    this.out = out;
    this.terminal = terminal;
    this.sweep = sweep;
    this.total = total;
    this.done = done;
    this.stepsPerRun = stepsPerRun;
  }

  public void started(String id, Path log) {
    message("started " + id + " (log " + log + ")");
  }

  public void ended(String id, int code, Path log) {
    seen.remove(id);
    String what = switch (code) {
      case 0 -> "completed";
      case 130 -> "interrupted (checkpointed)";
      case 3 -> "skipped: locked by another process";
      default -> "failed with exit code " + code + " (log " + log + ": " + LocalExecutor.lastLine(log) + ")";
    };
    if (code == 0) done++;
    message(id + " " + what + " [" + done + "/" + total + " done]");
  }

  public void message(String line) {
    if (terminal && drawn) out.print(ERASE);
    drawn = false;
    LocalExecutor.println(out, "lmlab sweep: " + line);
  }

  /** Called often: updates the running runs' steps and redraws (terminal) or logs (every minute). */
  public void tick(List<String> runningIds) {
    long now = System.nanoTime();
    if (now - lastDraw < 1_000_000_000L) return;
    lastDraw = now;
    double rate = 0;
    long remaining = (long) (total - done - runningIds.size()) * stepsPerRun;
    for (String id : runningIds) {
      long step = lastStep(sweep.run(id));
      long[] s = seen.computeIfAbsent(id, k -> new long[] {step, now, step, now});
      if (step != s[2]) {
        s[2] = step;
        s[3] = now;
      }
      if (s[3] > s[1]) rate += (s[2] - s[0]) / ((s[3] - s[1]) / 1e9);
      remaining += Math.max(0, stepsPerRun - Math.max(step, 0));
    }
    String line = String.format(Locale.ROOT, "%d/%d runs done, %d running, %.1f steps/s, ETA %s", done, total,
        runningIds.size(), rate, rate > 0 ? LocalExecutor.duration(remaining / rate) : "-");
    if (terminal) {
      out.print(ERASE + line);
      out.flush();
      drawn = true;
    } else if (now - lastLog >= 60_000_000_000L) {
      lastLog = now;
      LocalExecutor.println(out, "lmlab sweep: " + line);
    }
  }

  public void close() {
    if (terminal && drawn) out.println();
    drawn = false;
    out.flush();
  }

  /** The last evaluated step in a run's metrics.jsonl (-1 when none). */
  static long lastStep(Path run) {
    Path f = run.resolve(RunDirectory.METRICS);
    try {
      if (!Files.isRegularFile(f)) return -1;
      List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        try {
          JsonNode n = Sweep.JSON.readTree(lines.get(i));
          if (n != null && n.has("step")) return n.get("step").asLong();
        } catch (IOException e) {
          // torn line
        }
      }
    } catch (IOException e) {
      // not there yet
    }
    return -1;
  }
}
