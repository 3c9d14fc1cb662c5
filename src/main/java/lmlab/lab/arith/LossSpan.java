package lmlab.lab.arith;

import java.util.Locale;

/**
 * Which target positions a sequence's loss averages over: {@link #RHS} the right-hand side only
 * (the result and EOS, the course's default), or {@link #SEQUENCE} every non-PAD position
 * (next-token training on whole sequences).
 */
public enum LossSpan {
  /** RHS(i) = { j : j > eq_position_i and mask[i, j] }. */
  RHS("rhs"),
  /** RHS(i) = { j : mask[i, j] }. */
  SEQUENCE("sequence");

  private final String key;

  LossSpan(String key) {
    this.key = key;
  }

  /** The name in config.json: rhs or sequence. */
  public String key() {
    return key;
  }

  public static LossSpan parse(String text) {
    if (text != null) {
      String s = text.trim().toLowerCase(Locale.ROOT);
      for (LossSpan l : values()) if (l.key.equals(s)) return l;
      if (s.equals("all") || s.equals("whole")) return SEQUENCE;
    }
    throw new IllegalArgumentException("unknown loss span '" + text + "': use rhs or sequence");
  }

  @Override
  public String toString() {
    return key;
  }
}
