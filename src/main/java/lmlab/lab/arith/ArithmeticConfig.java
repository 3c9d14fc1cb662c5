package lmlab.lab.arith;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The settings of a modular-arithmetic data set (arithmetic.md): operands 0..p-1, modulus q
 * (default p), the operator, the equation orders ({2}, {3} or {2, 3}: a ∘ b and a ∘ b ∘ c), the
 * training fraction r_train in (0, 1), the split seed, and which positions the training loss
 * covers. Every constructor validates, with errors that name the setting and the allowed values.
 */
public record ArithmeticConfig(
    int p, int q, Operator operator, List<Integer> orders, double rTrain, long seed, LossSpan lossSpan) {

  /** The course defaults: p = q = 31, +, orders {2}, r_train 0.5, seed 0, RHS loss. */
  public static final int DEFAULT_P = 31;
  public static final double DEFAULT_R_TRAIN = 0.5;
  /** Largest number of equations a data set may hold (p^2 + p^3 with both orders). */
  public static final long MAX_EQUATIONS = 10_000_000L;

  public ArithmeticConfig {
    if (operator == null) throw new IllegalArgumentException("operator is missing: use one of + - * /");
    if (lossSpan == null) lossSpan = LossSpan.RHS;
    if (p < 2) throw new IllegalArgumentException("p must be >= 2 (operands 0 .. p-1), got " + p);
    if (q < 2) throw new IllegalArgumentException("q (the modulus) must be >= 2, got " + q);
    if (!(rTrain > 0 && rTrain < 1)) {
      throw new IllegalArgumentException(
          "r_train must lie strictly between 0 and 1 (the training fraction), got " + rTrain);
    }
    if (operator == Operator.DIVIDE && !Operator.isPrime(q)) {
      throw new IllegalArgumentException(
          "operator / needs a prime modulus q (division is multiplication by the modular inverse), got q = "
              + q + (q == p ? " (q defaults to p)" : ""));
    }
    if (orders == null || orders.isEmpty()) {
      throw new IllegalArgumentException("orders must be 2, 3 or 2,3 (binary and/or ternary equations), got none");
    }
    TreeSet<Integer> set = new TreeSet<>();
    for (Integer o : orders) {
      if (o == null || (o != 2 && o != 3)) {
        throw new IllegalArgumentException(
            "orders must be 2, 3 or 2,3 (binary a∘b and/or ternary a∘b∘c equations), got " + orders);
      }
      set.add(o);
    }
    orders = List.copyOf(set);
    long total = 0;
    for (int o : orders) total += pow(p, o);
    if (total > MAX_EQUATIONS) {
      throw new IllegalArgumentException(
          "p = " + p + " with orders " + orders + " gives " + total + " equations, more than the limit of "
              + MAX_EQUATIONS);
    }
  }

  /** Config with q = p and the RHS loss. */
  public ArithmeticConfig(int p, Operator operator, List<Integer> orders, double rTrain, long seed) {
    this(p, p, operator, orders, rTrain, seed, LossSpan.RHS);
  }

  /** The course defaults (p = q = 31, +, orders {2}, r_train 0.5, seed 0, RHS loss). */
  public static ArithmeticConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder().p(p).operator(operator).orders(orders).rTrain(rTrain).seed(seed).lossSpan(lossSpan);
    return q == p ? b : b.q(q);
  }

  /** The same data set with another split seed. */
  public ArithmeticConfig withSeed(long newSeed) {
    return new ArithmeticConfig(p, q, operator, orders, rTrain, newSeed, lossSpan);
  }

  /** n = max(p, q): the numbers 0..n-1 in the vocabulary. */
  public int numbers() {
    return Math.max(p, q);
  }

  /** Vocabulary size n + 8. */
  public int vocabSize() {
    return numbers() + ArithmeticVocab.SPECIAL_TOKENS;
  }

  /** Whether both orders are used (binary sequences then carry PAD). */
  public boolean mixedOrders() {
    return orders.size() > 1;
  }

  /** Sequence length (tokens per full sequence): 7 for binary only, else 9. */
  public int sequenceLength() {
    return orders.contains(3) ? 9 : 7;
  }

  /** Model input length S = sequenceLength - 1 (6 or 8). */
  public int inputLength() {
    return sequenceLength() - 1;
  }

  /**
   * The settings under config.json keys: p, q, operator, orders, r_train, seed, loss_on. The
   * insertion order is stable.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p", p);
    m.put("q", q);
    m.put("operator", operator.symbol());
    m.put("orders", new ArrayList<>(orders));
    m.put("r_train", rTrain);
    m.put("seed", seed);
    m.put("loss_on", lossSpan.key());
    return m;
  }

  /**
   * Reads the keys of {@link #toMap()} (missing keys take the defaults; unknown keys are the
   * caller's). Values may be numbers or strings; orders a list, a number or a string like "2,3".
   */
  public static ArithmeticConfig fromMap(Map<String, ?> m) {
    Builder b = builder();
    if (m.get("p") != null) b.p(toInt("p", m.get("p")));
    if (m.get("q") != null) b.q(toInt("q", m.get("q")));
    if (m.get("operator") != null) b.operator(String.valueOf(m.get("operator")));
    if (m.get("orders") != null) b.orders(parseOrders(m.get("orders")));
    if (m.get("r_train") != null) b.rTrain(toDouble("r_train", m.get("r_train")));
    if (m.get("seed") != null) b.seed(toLong("seed", m.get("seed")));
    if (m.get("loss_on") != null) b.lossSpan(LossSpan.parse(String.valueOf(m.get("loss_on"))));
    return b.build();
  }

  /** Orders from "2", "3", "2,3" (also "{2,3}", "[2, 3]"), a number, or a list of numbers. */
  public static List<Integer> parseOrders(Object value) {
    List<Integer> out = new ArrayList<>();
    if (value instanceof Iterable<?> it) {
      for (Object o : it) out.add(toInt("orders", o));
    } else if (value instanceof Number n) {
      out.add(toInt("orders", n));
    } else {
      String s = String.valueOf(value).replaceAll("[\\[\\]{}()\\s]", "");
      if (s.isEmpty()) {
        throw new IllegalArgumentException("orders must be 2, 3 or 2,3, got '" + value + "'");
      }
      for (String part : s.split(",")) {
        try {
          out.add(Integer.parseInt(part));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("orders must be 2, 3 or 2,3, got '" + value + "'");
        }
      }
    }
    return out;
  }

  private static int toInt(String key, Object v) {
    long l = toLong(key, v);
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(key + " = " + v + " is out of range");
    }
    return (int) l;
  }

  private static long toLong(String key, Object v) {
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if (d != Math.rint(d)) throw new IllegalArgumentException(key + " must be a whole number, got " + v);
      return n.longValue();
    }
    try {
      return Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number, got '" + v + "'");
    }
  }

  private static double toDouble(String key, Object v) {
    if (v instanceof Number n) return n.doubleValue();
    try {
      return Double.parseDouble(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
    }
  }

  private static long pow(int base, int e) {
    long r = 1;
    for (int i = 0; i < e; i++) r *= base;
    return r;
  }

  @Override
  public String toString() {
    return "p=" + p + " q=" + q + " operator=" + operator.symbol() + " orders=" + orders + " r_train=" + rTrain
        + " seed=" + seed + " loss_on=" + lossSpan.key();
  }

  /** Builder with the course defaults; q follows p unless set. */
  public static final class Builder {
    private int p = DEFAULT_P;
    private Integer q;
    private Operator operator = Operator.PLUS;
    private List<Integer> orders = List.of(2);
    private double rTrain = DEFAULT_R_TRAIN;
    private long seed;
    private LossSpan lossSpan = LossSpan.RHS;

    private Builder() {}

    public Builder p(int value) {
      p = value;
      return this;
    }

    /** The modulus (default: p). */
    public Builder q(int value) {
      q = value;
      return this;
    }

    public Builder operator(Operator value) {
      operator = value;
      return this;
    }

    /** + - * / (see {@link Operator#parse}). */
    public Builder operator(String value) {
      operator = Operator.parse(value);
      return this;
    }

    public Builder orders(List<Integer> value) {
      orders = value;
      return this;
    }

    public Builder orders(int... value) {
      List<Integer> l = new ArrayList<>();
      for (int v : value) l.add(v);
      orders = l;
      return this;
    }

    /** "2", "3" or "2,3". */
    public Builder orders(String value) {
      orders = parseOrders(value);
      return this;
    }

    public Builder rTrain(double value) {
      rTrain = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public Builder lossSpan(LossSpan value) {
      lossSpan = value;
      return this;
    }

    public ArithmeticConfig build() {
      return new ArithmeticConfig(p, q == null ? p : q, operator, orders, rTrain, seed, lossSpan);
    }
  }
}
