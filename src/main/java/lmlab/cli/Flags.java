package lmlab.cli;

import picocli.CommandLine;

/** Range checks of numeric flags, failing as picocli usage errors (exit 2) that name the flag. */
final class Flags {
  private Flags() {}

  /** Fails with "FLAG must be >= MIN, got VALUE" unless value >= min. */
  static void atLeast(CommandLine cl, String flag, long value, long min) {
    if (value < min) throw new CommandLine.ParameterException(cl, flag + " must be >= " + min + ", got " + value);
  }

  /** Fails with "FLAG must be in (0, 60], got VALUE" unless 0 < seconds <= 60 (NaN fails too). */
  static void seconds(CommandLine cl, String flag, double seconds) {
    if (!(seconds > 0 && seconds <= 60)) {
      throw new CommandLine.ParameterException(cl, flag + " must be in (0, 60], got " + seconds);
    }
  }
}
