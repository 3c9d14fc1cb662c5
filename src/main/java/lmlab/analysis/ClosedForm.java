package lmlab.analysis;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A closed-form expression in the course notation ({@code N_layer·(4d^2 + 2·d·d_ff) + 2·L·d·V})
 * that can be evaluated exactly for given symbol values and rendered as LaTeX. Every number the
 * analyser prints is the evaluation of the expression it prints, so the two cannot disagree.
 *
 * <p>Grammar: sums and differences of products; {@code ·}, {@code *} or juxtaposition
 * ({@code 4d}, {@code L(L+1)}) multiply, {@code /} divides (exact rationals), {@code ^} raises to
 * an integer power; functions {@code min}, {@code max}, {@code ceil}, {@code floor}, {@code mod}.
 * Symbols are letters, digits and underscores ({@code n_kv}, {@code d_ff}, {@code N_layer}).
 */
public final class ClosedForm {
  private static final List<String> FUNCTIONS = List.of("min", "max", "ceil", "floor", "mod");

  private final String text;
  private final List<String> tokens;

  private ClosedForm(String text) {
    this.text = text;
    this.tokens = tokenize(text);
  }

  public static ClosedForm of(String text) {
    ClosedForm f = new ClosedForm(text);
    new Parser(f.tokens, null).parseAll(); // syntax check
    return f;
  }

  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }

  /** The exact value; every symbol must be bound, and the result must be an integer. */
  public BigInteger evaluate(Map<String, ? extends Number> symbols) {
    Rational r = new Parser(tokens, symbols).parseAll();
    if (!r.den.equals(BigInteger.ONE)) {
      throw new ArithmeticException("'" + text + "' evaluates to the non-integer " + r.num + "/" + r.den);
    }
    return r.num;
  }

  /** The expression as LaTeX math (without the surrounding $). */
  public String latex() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t.equals("·") || t.equals("*")) sb.append(" \\cdot ");
      else if (t.equals("+") || t.equals("-")) sb.append(' ').append(t).append(' ');
      else if (t.equals(",")) sb.append(",\\ ");
      else if (FUNCTIONS.contains(t)) sb.append(t.equals("min") || t.equals("max") ? "\\" + t : "\\operatorname{" + t + "}");
      else if (Character.isLetter(t.charAt(0))) sb.append(latexSymbol(t));
      else if (t.equals("^") && i + 1 < tokens.size()) sb.append("^{").append(tokens.get(++i)).append('}');
      else sb.append(t);
    }
    return sb.toString();
  }

  /** d_ff → d_{\mathrm{ff}}, N_layer → N_{\mathrm{layer}}, n_q → n_{q}. */
  static String latexSymbol(String s) {
    int u = s.indexOf('_');
    if (u < 0) return s;
    String sub = s.substring(u + 1).replace("_", ",");
    return s.substring(0, u) + "_{" + (sub.length() == 1 ? sub : "\\mathrm{" + sub + "}") + "}";
  }

  private static List<String> tokenize(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (Character.isDigit(c)) {
        int j = i;
        while (j < s.length() && Character.isDigit(s.charAt(j))) j++;
        out.add(s.substring(i, j));
        i = j;
      } else if (Character.isLetter(c)) {
        int j = i;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
        out.add(s.substring(i, j));
        i = j;
      } else if ("+-·*/^(),".indexOf(c) >= 0) {
        out.add(String.valueOf(c));
        i++;
      } else {
        throw new IllegalArgumentException("closed form '" + s + "': unexpected character '" + c + "'");
      }
    }
    return out;
  }

  /** An exact fraction num/den, den > 0, in lowest terms. */
  private record Rational(BigInteger num, BigInteger den) {
    static Rational of(BigInteger n) {
      return new Rational(n, BigInteger.ONE);
    }

    static Rational of(BigInteger n, BigInteger d) {
      if (d.signum() == 0) throw new ArithmeticException("division by zero");
      if (d.signum() < 0) {
        n = n.negate();
        d = d.negate();
      }
      BigInteger g = n.gcd(d);
      if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
        n = n.divide(g);
        d = d.divide(g);
      }
      return new Rational(n, d);
    }

    Rational add(Rational o) {
      return of(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
    }

    Rational negate() {
      return new Rational(num.negate(), den);
    }

    Rational mul(Rational o) {
      return of(num.multiply(o.num), den.multiply(o.den));
    }

    Rational div(Rational o) {
      return of(num.multiply(o.den), den.multiply(o.num));
    }

    BigInteger floor() {
      BigInteger[] qr = num.divideAndRemainder(den);
      return qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
    }

    BigInteger ceil() {
      return floor().add(num.mod(den).signum() == 0 ? BigInteger.ZERO : BigInteger.ONE);
    }

    int compareTo(Rational o) {
      return num.multiply(o.den).compareTo(o.num.multiply(den));
    }
  }

  /** Recursive descent; with symbols == null it only checks the syntax (symbols read as 1). */
  private static final class Parser {
    private final List<String> t;
    private final Map<String, ? extends Number> symbols;
    private int p;

    Parser(List<String> tokens, Map<String, ? extends Number> symbols) {
      this.t = tokens;
      this.symbols = symbols;
    }

    Rational parseAll() {
      Rational r = sum();
      if (p != t.size()) throw error("unexpected '" + t.get(p) + "'");
      return r;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("closed form '" + String.join(" ", t) + "': " + what);
    }

    private String peek() {
      return p < t.size() ? t.get(p) : null;
    }

    private Rational sum() {
      Rational r = product();
      while ("+".equals(peek()) || "-".equals(peek())) {
        boolean minus = t.get(p++).equals("-");
        Rational x = product();
        r = r.add(minus ? x.negate() : x);
      }
      return r;
    }

    private Rational product() {
      Rational r = power();
      while (true) {
        String n = peek();
        if ("·".equals(n) || "*".equals(n)) {
          p++;
          r = r.mul(power());
        } else if ("/".equals(n)) {
          p++;
          r = r.div(power());
        } else if (n != null && (n.equals("(") || Character.isLetterOrDigit(n.charAt(0)))) {
          r = r.mul(power()); // juxtaposition: 4d, L(L+1)
        } else {
          return r;
        }
      }
    }

    private Rational power() {
      Rational base = primary();
      if ("^".equals(peek())) {
        p++;
        String e = peek();
        if (e == null || !Character.isDigit(e.charAt(0))) throw error("'^' needs an integer exponent");
        p++;
        Rational r = Rational.of(BigInteger.ONE);
        for (int i = Integer.parseInt(e); i > 0; i--) r = r.mul(base);
        return r;
      }
      return base;
    }

    private Rational primary() {
      String n = peek();
      if (n == null) throw error("unexpected end");
      p++;
      if (n.equals("-")) return primary().negate();
      if (n.equals("(")) {
        Rational r = sum();
        expect(")");
        return r;
      }
      if (Character.isDigit(n.charAt(0))) return Rational.of(new BigInteger(n));
      if (!Character.isLetter(n.charAt(0))) throw error("unexpected '" + n + "'");
      if (FUNCTIONS.contains(n) && "(".equals(peek())) {
        p++;
        List<Rational> args = new ArrayList<>();
        args.add(sum());
        while (",".equals(peek())) {
          p++;
          args.add(sum());
        }
        expect(")");
        return call(n, args);
      }
      if (symbols == null) return Rational.of(BigInteger.ONE);
      Number v = symbols.get(n);
      if (v == null) throw error("symbol '" + n + "' has no value");
      return Rational.of(v instanceof BigInteger b ? b : BigInteger.valueOf(v.longValue()));
    }

    private Rational call(String f, List<Rational> a) {
      int need = f.equals("ceil") || f.equals("floor") ? 1 : 2;
      if (a.size() != need) throw error(f + " takes " + need + " argument(s)");
      return switch (f) {
        case "min" -> a.get(0).compareTo(a.get(1)) <= 0 ? a.get(0) : a.get(1);
        case "max" -> a.get(0).compareTo(a.get(1)) >= 0 ? a.get(0) : a.get(1);
        case "ceil" -> Rational.of(a.get(0).ceil());
        case "floor" -> Rational.of(a.get(0).floor());
        default -> { // mod(x, y) = x - y·floor(x / y)
          if (symbols == null) yield Rational.of(BigInteger.ONE);
          Rational q = Rational.of(a.get(0).div(a.get(1)).floor());
          yield a.get(0).add(a.get(1).mul(q).negate());
        }
      };
    }

    private void expect(String s) {
      if (!s.equals(peek())) throw error("expected '" + s + "'");
      p++;
    }
  }
}
