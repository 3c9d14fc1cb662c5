package lmlab.train;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Progress on stderr. On a terminal: one line redrawn in place (carriage return, then ANSI
 * "erase to end of line" ESC[K) at most ten times a second, with step, batch loss, the last
 * evaluation's train/val values of the task's monitored metric ({@link Task#monitor()}: "acc" for
 * val_acc, "loss" for val_loss), and steps/s. Not on a terminal (a pipe or a log file): one plain
 * line per evaluation (train/val loss, the monitored pair, param_norm) and per message, no control
 * characters. Until a monitor is given the pair is the one the evaluation reports besides loss.
 */
public final class ProgressBar implements Progress {
  private static final String ERASE = "\r\u001b[K";
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter out;
  private final boolean terminal;
  private long lastDraw;
  private boolean drawn;
  private String watched = "";
  private Task.Monitor monitor;

  public ProgressBar(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** On out, redrawn in place when the JVM has a console (stdin and stdout are a terminal). */
  public static ProgressBar of(PrintWriter out) {
    java.io.Console c = System.console();
    return new ProgressBar(out, c != null && c.isTerminal());
  }

  @Override
  public void monitor(Task.Monitor m) {
    this.monitor = m;
  }

  /** The metric pair shown: the monitor's base name, else the first non-loss train_ metric evaluated. */
  private String base(Map<String, Double> m) {
    if (monitor != null) return monitor.base();
    for (String k : new java.util.TreeSet<>(m.keySet())) {
      if (k.startsWith("train_") && !k.equals("train_loss") && m.containsKey("val_" + k.substring(6))
          && !k.contains("_order")) {
        return k.substring(6);
      }
    }
    return "loss";
  }

  @Override
  public void step(long step, long total, double loss, double stepsPerSecond) {
    if (!terminal) return;
    long now = System.nanoTime();
    if (drawn && now - lastDraw < REDRAW_NANOS && step + 1 < total) return;
    lastDraw = now;
    drawn = true;
    int width = 24;
    int filled = (int) Math.min(width, width * (step + 1) / Math.max(1, total));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    out.print(ERASE + String.format(Locale.ROOT, "[%s] step %d/%d | loss %.4f%s | %.1f steps/s", bar, step, total - 1,
        loss, watched, stepsPerSecond));
    out.flush();
  }

  @Override
  public void evaluated(long step, long total, Map<String, Double> m, double stepsPerSecond) {
    String b = base(m);
    watched = String.format(Locale.ROOT, " | %s %.3f/%.3f", b, value(m, "train_" + b), value(m, "val_" + b));
    if (terminal) {
      clearLine();
      return;
    }
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "step %d/%d", step, total - 1));
    for (String split : new String[] {"train", "val"}) {
      line.append(String.format(Locale.ROOT, "  %s_loss %.4f", split, value(m, split + "_loss")));
      if (!b.equals("loss")) line.append(String.format(Locale.ROOT, "  %s_%s %.4f", split, b, value(m, split + "_" + b)));
    }
    line.append(String.format(Locale.ROOT, "  param_norm %.2f  %.1f steps/s", value(m, "param_norm"), stepsPerSecond));
    out.println(line);
    out.flush();
  }

  private static double value(Map<String, Double> m, String k) {
    Double v = m.get(k);
    return v == null ? Double.NaN : v;
  }

  @Override
  public void message(String line) {
    clearLine();
    out.println(line);
    out.flush();
  }

  private void clearLine() {
    if (terminal && drawn) {
      out.print(ERASE);
      drawn = false;
    }
  }

  @Override
  public void close() {
    if (terminal && drawn) out.println();
    drawn = false;
    out.flush();
  }
}
