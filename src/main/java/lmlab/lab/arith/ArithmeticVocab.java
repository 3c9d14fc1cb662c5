package lmlab.lab.arith;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokenizer of the arithmetic lab (arithmetic.md). Ids in this order: the numbers "0" …
 * "n-1" (id = value), then {@code + - * /}, {@code =}, BOS, EOS, PAD — n + 8 tokens, PAD last
 * (39 tokens for p = q = 31). Sequences read as space-separated token names, e.g.
 * {@code "BOS 3 + 5 = 8 EOS"}.
 */
public final class ArithmeticVocab {
  /** The tokens after the numbers: four operators, =, BOS, EOS, PAD. */
  public static final int SPECIAL_TOKENS = 8;
  public static final String EQ = "=";
  public static final String BOS = "BOS";
  public static final String EOS = "EOS";
  public static final String PAD = "PAD";

  private final int n;

  /** A vocabulary with the numbers 0..n-1. */
  public ArithmeticVocab(int n) {
    if (n < 2) throw new IllegalArgumentException("the vocabulary needs at least the numbers 0 and 1, got n = " + n);
    this.n = n;
  }

  /** The vocabulary of a data set: n = max(p, q). */
  public static ArithmeticVocab of(ArithmeticConfig config) {
    return new ArithmeticVocab(config.numbers());
  }

  /** How many numbers (n). */
  public int numbers() {
    return n;
  }

  /** V = n + 8. */
  public int size() {
    return n + SPECIAL_TOKENS;
  }

  /** The id of the number v (v itself). */
  public int number(int v) {
    if (v < 0 || v >= n) throw new IllegalArgumentException("number " + v + " is not in the vocabulary 0.." + (n - 1));
    return v;
  }

  public int operator(Operator op) {
    return n + op.ordinal();
  }

  public int eq() {
    return n + 4;
  }

  public int bos() {
    return n + 5;
  }

  public int eos() {
    return n + 6;
  }

  /** PAD, the last id (V - 1). */
  public int pad() {
    return n + 7;
  }

  /** The name of token id: "17", "+", "=", "BOS", "EOS", "PAD". */
  public String name(int id) {
    if (id < 0 || id >= size()) {
      throw new IllegalArgumentException("token id " + id + " is out of range 0.." + (size() - 1));
    }
    if (id < n) return Integer.toString(id);
    int k = id - n;
    if (k < 4) return Operator.values()[k].symbol();
    return switch (k) {
      case 4 -> EQ;
      case 5 -> BOS;
      case 6 -> EOS;
      default -> PAD;
    };
  }

  /** The id of a token name (as {@link #name}); the operator also as − × ÷. */
  public int id(String token) {
    String t = token.trim();
    switch (t) {
      case EQ -> { return eq(); }
      case BOS -> { return bos(); }
      case EOS -> { return eos(); }
      case PAD -> { return pad(); }
      default -> { }
    }
    if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
      int v;
      try {
        v = Integer.parseInt(t);
      } catch (NumberFormatException e) {
        v = -1;
      }
      if (v >= 0 && v < n) return v;
      throw new IllegalArgumentException("number " + t + " is not in the vocabulary 0.." + (n - 1));
    }
    try {
      return operator(Operator.parse(t));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown token '" + t + "': expected a number 0.." + (n - 1) + ", + - * /, =, BOS, EOS or PAD");
    }
  }

  /** Encodes space-separated token names, e.g. "BOS 3 + 5 = 8 EOS". */
  public int[] encode(String text) {
    String s = text.trim();
    if (s.isEmpty()) return new int[0];
    String[] parts = s.split("\\s+");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) ids[i] = id(parts[i]);
    return ids;
  }

  /** The token names of ids joined by single spaces (PAD included). */
  public String decode(int[] ids) {
    return decode(ids, 0, ids.length);
  }

  /** The token names of ids[from, to) joined by single spaces. */
  public String decode(int[] ids, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      if (i > from) sb.append(' ');
      sb.append(name(ids[i]));
    }
    return sb.toString();
  }

  /** All token names in id order. */
  public List<String> names() {
    List<String> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) out.add(name(i));
    return out;
  }
}
