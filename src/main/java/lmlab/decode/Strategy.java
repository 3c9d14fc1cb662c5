package lmlab.decode;

import java.util.Arrays;
import java.util.Locale;

/** The decoding strategies of decoding.md, by their command-line names. */
public enum Strategy {
  GREEDY,
  BEAM,
  SAMPLE,
  EXHAUSTIVE;

  /** The lower-case name ("greedy"). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** By name, case-insensitive; an unknown name is an error listing the valid ones. */
  public static Strategy parse(String name) {
    for (Strategy s : values()) if (s.label().equalsIgnoreCase(name == null ? "" : name.trim())) return s;
    throw new IllegalArgumentException("strategy '" + name + "' is not one of "
        + String.join(", ", Arrays.stream(values()).map(Strategy::label).toList()));
  }
}
