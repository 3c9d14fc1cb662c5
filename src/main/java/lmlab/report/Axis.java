package lmlab.report;

/**
 * One axis of a line panel: its title (with units) and scale. {@code ticks}, when not null,
 * fixes the tick positions (the log2 axes of experiments.md: 64, 128, 256 or 32 … 512).
 */
public record Axis(String title, Scale scale, double[] ticks) {
  /**
   * LINEAR; STEPS: linear with whole-number ticks (training steps, t_f, Δt); LOG base 10 (losses,
   * compute); LOG2 (d, B); UNIT: linear on [0, 1] (accuracies); RANGE: linear on [ticks[0], ticks[1]].
   */
  public enum Scale { LINEAR, STEPS, LOG, LOG2, UNIT, RANGE }

  public static Axis linear(String title) {
    return new Axis(title, Scale.LINEAR, null);
  }

  public static Axis steps(String title) {
    return new Axis(title, Scale.STEPS, null);
  }

  public static Axis log(String title) {
    return new Axis(title, Scale.LOG, null);
  }

  public static Axis log2(String title, double... ticks) {
    return new Axis(title, Scale.LOG2, ticks.length == 0 ? null : ticks);
  }

  /** Linear on a fixed [lower, upper] (text.md: loss axes from 1.5 to 4.2 nats per character). */
  public static Axis range(String title, double lower, double upper) {
    return new Axis(title, Scale.RANGE, new double[] {lower, upper});
  }

  public static Axis unit(String title) {
    return new Axis(title, Scale.UNIT, null);
  }

  public boolean logarithmic() {
    return scale == Scale.LOG || scale == Scale.LOG2;
  }
}
