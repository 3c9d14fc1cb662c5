package lmlab.analysis;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sum of terms coefficient × factor written in the course notation, like terms merged
 * ({@code 3d + d + 4d} is {@code 8d}), in the order first added: the way the analyser assembles
 * its closed forms from the parts of an architecture.
 */
final class Terms {
  private final Map<String, Long> terms = new LinkedHashMap<>();

  /** Adds coef × factor; factor "1" is a constant. */
  Terms add(long coef, String factor) {
    if (coef != 0) terms.merge(factor, coef, Long::sum);
    terms.values().removeIf(c -> c == 0);
    return this;
  }

  Terms add(String factor) {
    return add(1, factor);
  }

  boolean isEmpty() {
    return terms.isEmpty();
  }

  /** Rendered: {@code 4d^2 + 2·d·d_ff + 9d + d_ff}; "0" when empty. */
  String render() {
    if (terms.isEmpty()) return "0";
    List<String> parts = new ArrayList<>();
    for (var e : terms.entrySet()) parts.add(term(e.getValue(), e.getKey()));
    StringBuilder sb = new StringBuilder(parts.getFirst());
    for (int i = 1; i < parts.size(); i++) {
      String s = parts.get(i);
      if (s.startsWith("-")) sb.append(" - ").append(s.substring(1));
      else sb.append(" + ").append(s);
    }
    return sb.toString();
  }

  private static String term(long coef, String factor) {
    if (factor.equals("1")) return Long.toString(coef);
    if (coef == 1) return factor;
    if (coef == -1) return "-" + factor;
    // 4d, 4d^2 read best joined; longer factors get an explicit ·
    boolean tight = factor.matches("[A-Za-z](\\^\\d+)?");
    return coef + (tight ? "" : "·") + factor;
  }

  /** "(sum)" when the sum has more than one term, else the term: ready to multiply. */
  String grouped() {
    return terms.size() > 1 ? "(" + render() + ")" : render();
  }
}
