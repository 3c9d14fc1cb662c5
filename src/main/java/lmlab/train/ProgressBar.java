package lmlab.train;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Progress on stderr. On a terminal: one line redrawn in place (carriage return, then ANSI
 * "erase to end of line" ESC[K) at most ten times a second, with step, batch loss, the last
 * evaluation's train/val accuracy, and steps/s. Not on a terminal (a pipe or a log file): one plain
 * line per evaluation and per message, no control characters.
 */
public final class ProgressBar implements Progress {
  private static final String ERASE = "\r\u001b[K";
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter out;
  private final boolean terminal;
  private long lastDraw;
  private boolean drawn;
  private String accuracy = "";

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
        loss, accuracy, stepsPerSecond));
    out.flush();
  }

  @Override
  public void evaluated(long step, long total, Map<String, Double> m, double stepsPerSecond) {
    accuracy = String.format(Locale.ROOT, " | acc %.3f/%.3f", value(m, "train_acc"), value(m, "val_acc"));
    if (terminal) {
      clearLine();
      return;
    }
    out.println(String.format(Locale.ROOT,
        "step %d/%d  train_loss %.4f  train_acc %.4f  val_loss %.4f  val_acc %.4f  param_norm %.2f  %.1f steps/s",
        step, total - 1, value(m, "train_loss"), value(m, "train_acc"), value(m, "val_loss"), value(m, "val_acc"),
        value(m, "param_norm"), stepsPerSecond));
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
