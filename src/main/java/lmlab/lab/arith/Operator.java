package lmlab.lab.arith;

import java.util.Locale;

/**
 * The binary operation of a modular-arithmetic data set, applied modulo q. Division is
 * multiplication by the modular inverse, so it needs a prime q and a divisor that is not 0 mod q.
 */
public enum Operator {
  PLUS("+"),
  MINUS("-"),
  TIMES("*"),
  DIVIDE("/");

  private final String symbol;

  Operator(String symbol) {
    this.symbol = symbol;
  }

  /** The token text: +, -, * or /. */
  public String symbol() {
    return symbol;
  }

  /**
   * The operator written as + - * / (also accepted: the Unicode signs − × ÷ and the words plus,
   * minus, times, divide).
   */
  public static Operator parse(String text) {
    if (text != null) {
      String s = text.trim().toLowerCase(Locale.ROOT);
      switch (s) {
        case "+", "plus", "add" -> { return PLUS; }
        case "-", "\u2212", "minus", "sub" -> { return MINUS; }
        case "*", "\u00d7", "x", "times", "mul" -> { return TIMES; }
        case "/", "\u00f7", "divide", "div" -> { return DIVIDE; }
        default -> { }
      }
    }
    throw new IllegalArgumentException(
        "unknown operator '" + text + "': use one of + - * /");
  }

  /**
   * (a ∘ b) mod q for operands already reduced mod q, as a value in [0, q). For DIVIDE, b must be
   * nonzero and q prime.
   */
  public int apply(int a, int b, int q) {
    return switch (this) {
      case PLUS -> (int) Math.floorMod((long) a + b, (long) q);
      case MINUS -> (int) Math.floorMod((long) a - b, (long) q);
      case TIMES -> (int) Math.floorMod((long) a * b, (long) q);
      case DIVIDE -> {
        if (Math.floorMod(b, q) == 0) throw new ArithmeticException("division by 0 mod " + q);
        yield (int) Math.floorMod((long) a * inverse(b, q), (long) q);
      }
    };
  }

  /** The inverse of b modulo the prime q (Fermat: b^(q-2) mod q). */
  static int inverse(int b, int q) {
    long base = Math.floorMod(b, q);
    long result = 1;
    long e = q - 2L;
    while (e > 0) {
      if ((e & 1) == 1) result = result * base % q;
      base = base * base % q;
      e >>= 1;
    }
    return (int) result;
  }

  static boolean isPrime(int n) {
    if (n < 2) return false;
    for (long d = 2; d * d <= n; d++) if (n % d == 0) return false;
    return true;
  }

  @Override
  public String toString() {
    return symbol;
  }
}
