package lmlab.nn.attention;

import java.util.Locale;

/**
 * How a query q_t and a key k_j make a score s[t, j] (layers.md, "Scores"; the fixtures' README,
 * "Score functions"). The parameters of the last three are one set per layer, shared by all
 * heads, stored as {@code score.W_s} / {@code score.w_s}.
 */
public enum ScoreFunction {
  /** q_t · k_j / sqrt(d_h), the default. */
  SCALED_DOT("scaled_dot"),
  /** q_t · k_j. */
  DOT("dot"),
  /** q_t^T W_s k_j / sqrt(d_h), W_s (d_h, d_h). */
  MULTIPLICATIVE("multiplicative"),
  /** w_s · [k_j ; q_t], w_s (2 d_h,). */
  CONCAT("concat"),
  /** w_s · tanh(W_s [k_j ; q_t]), W_s (d_a, 2 d_h), w_s (d_a,), d_a = d_h (Bahdanau). */
  ADDITIVE("additive");

  private final String configName;

  ScoreFunction(String configName) {
    this.configName = configName;
  }

  /** The config value, e.g. {@code scaled_dot}. */
  public String configName() {
    return configName;
  }

  /** Whether the score is a (possibly transformed) dot product the fused kernels compute. */
  public boolean isDotProduct() {
    return this == SCALED_DOT || this == DOT || this == MULTIPLICATIVE;
  }

  /** Reads the config value of {@code score}. */
  public static ScoreFunction parse(String s) {
    if (s != null) {
      String v = s.trim().toLowerCase(Locale.ROOT);
      for (ScoreFunction f : values()) if (f.configName.equals(v)) return f;
    }
    throw new IllegalArgumentException(
        "score: expected scaled_dot, dot, multiplicative, concat or additive, got '" + s + "'");
  }
}
