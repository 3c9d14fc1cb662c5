package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClosedFormTest {
  @Test
  void evaluatesCourseNotationExactly() {
    Map<String, Long> s = Map.of("L", 10L, "d", 768L, "d_ff", 3072L, "N_layer", 12L, "n_kv", 2L, "n_q", 12L);
    assertEquals(BigInteger.valueOf(8 * 10 * 768L * 768 + 2 * 768 * 10 * 11 + 4 * 10 * 768L * 3072),
        ClosedForm.of("8·L·d^2 + 2·d·L(L+1) + 4·L·d·d_ff").evaluate(s));
    // 4·L·d^2·(n_kv/n_q) is an integer although n_kv/n_q is not
    assertEquals(BigInteger.valueOf(4 * 10 * 768L * 768 * 2 / 12), ClosedForm.of("4·L·d^2·n_kv/n_q").evaluate(s));
    assertEquals(BigInteger.valueOf(6), ClosedForm.of("mod(L - 1, 3) + 1 + min(L, 5) - floor(L/4) + ceil(L/4) - 1")
        .evaluate(s));
    assertEquals(BigInteger.valueOf(4 * 768), ClosedForm.of("4d").evaluate(s));
  }

  @Test
  void rendersLatex() {
    assertEquals("N_{\\mathrm{layer}} \\cdot (4d^{2} + 2 \\cdot d \\cdot d_{\\mathrm{ff}})",
        ClosedForm.of("N_layer·(4d^2 + 2·d·d_ff)").latex());
    assertEquals("\\min(L,\\ 5) \\cdot n_{\\mathrm{kv}} \\cdot d_{h}", ClosedForm.of("min(L, 5)·n_kv·d_h").latex());
  }

  @Test
  void reportsBadExpressionsAndMissingSymbols() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClosedForm.of("L·d").evaluate(Map.of("L", 1L)));
    assertTrue(e.getMessage().contains("symbol 'd' has no value"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ClosedForm.of("(L + 1"));
    assertThrows(ArithmeticException.class, () -> ClosedForm.of("L/2").evaluate(Map.of("L", 3L)));
  }

  @Test
  void termsMergeLikeTerms() {
    assertEquals("4d^2 + 2·d·d_ff + 9d + d_ff",
        new Terms().add(4, "d^2").add(2, "d·d_ff").add(3, "d").add(1, "d").add(1, "d_ff").add(1, "d").add(4, "d")
            .render());
  }
}
