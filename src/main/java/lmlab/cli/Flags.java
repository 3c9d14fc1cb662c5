package lmlab.cli;

import picocli.CommandLine;

/** Range checks of numeric flags, failing as picocli usage errors (exit 2) that name the flag. */
final class Flags {
  private Flags() {}

  /** Fails with "FLAG must be >= MIN, got VALUE" unless value >= min. */
  static void atLeast(CommandLine cl, String flag, long value, long min) {
    if (value < min) throw new CommandLine.ParameterException(cl, flag + " must be >= " + min + ", got " + value);
  }
}
