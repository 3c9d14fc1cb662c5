package lmlab.nn.attention;

import java.util.Locale;

/** Turns a row of scores into attention weights (layers.md, "Normaliser"). */
public enum Normaliser {
  /** softmax over the allowed keys. */
  SOFTMAX("softmax"),
  /** ReLU attention (Wortsman et al. 2023): a[t, j] = relu(s[t, j]) / n_t, n_t the keys t may see. */
  RELU("relu");

  private final String configName;

  Normaliser(String configName) {
    this.configName = configName;
  }

  /** The config value of {@code attention}. */
  public String configName() {
    return configName;
  }

  /** Reads {@code softmax} or {@code relu} (the value of {@code attention}). */
  public static Normaliser parse(String s) {
    if (s != null) {
      String v = s.trim().toLowerCase(Locale.ROOT);
      for (Normaliser n : values()) if (n.configName.equals(v)) return n;
    }
    throw new IllegalArgumentException("attention: expected softmax or relu, got '" + s + "'");
  }
}
