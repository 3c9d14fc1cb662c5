package lmlab.train;

import java.util.Map;

/** What the trainer reports while it runs (a progress bar, log lines, or nothing). */
public interface Progress {
  /** Before the first step: the metric the run watches (shown on the progress line). */
  default void monitor(Task.Monitor monitor) {}

  /** After each training step: its batch loss. */
  default void step(long step, long total, double loss, double stepsPerSecond) {}

  /** After each evaluation, with the metrics line written to metrics.jsonl. */
  default void evaluated(long step, long total, Map<String, Double> metrics, double stepsPerSecond) {}

  /** A message line (resume, checkpoint, stop). */
  default void message(String line) {}

  /** Ends the display (a progress bar moves to a fresh line). */
  default void close() {}

  Progress NONE = new Progress() {};
}
