package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArithmeticConfigTest {
  @Test
  void defaultsAreTheCourseDefaults() {
    ArithmeticConfig c = ArithmeticConfig.defaults();
    assertThat(c.p()).isEqualTo(31);
    assertThat(c.q()).isEqualTo(31);
    assertThat(c.operator()).isEqualTo(Operator.PLUS);
    assertThat(c.orders()).containsExactly(2);
    assertThat(c.rTrain()).isEqualTo(0.5);
    assertThat(c.seed()).isZero();
    assertThat(c.lossSpan()).isEqualTo(LossSpan.RHS);
    assertThat(c.vocabSize()).isEqualTo(39);
    assertThat(c.sequenceLength()).isEqualTo(7);
    assertThat(c.inputLength()).isEqualTo(6);
    assertThat(ArithmeticConfig.builder().orders(3, 2, 3).build().orders()).containsExactly(2, 3);
    assertThat(ArithmeticConfig.builder().orders("2,3").build().inputLength()).isEqualTo(8);
  }

  @Test
  void qFollowsPUnlessGiven() {
    assertThat(ArithmeticConfig.builder().p(7).build().q()).isEqualTo(7);
    ArithmeticConfig c = ArithmeticConfig.builder().p(7).q(5).build();
    assertThat(c.q()).isEqualTo(5);
    assertThat(c.numbers()).isEqualTo(7);
    assertThat(ArithmeticConfig.builder().p(5).q(11).build().vocabSize()).isEqualTo(19);
  }

  @Test
  void roundTripsThroughItsMap() {
    ArithmeticConfig c = ArithmeticConfig.builder().p(13).q(11).operator("/").orders(2, 3).rTrain(0.3).seed(42)
        .lossSpan(LossSpan.SEQUENCE).build();
    Map<String, Object> m = c.toMap();
    assertThat(m.keySet()).containsExactly("p", "q", "operator", "orders", "r_train", "seed", "loss_on");
    assertThat(m.get("operator")).isEqualTo("/");
    assertThat(ArithmeticConfig.fromMap(m)).isEqualTo(c);
    assertThat(ArithmeticConfig.fromMap(Map.of("p", "7", "orders", "3", "r_train", "0.25")))
        .isEqualTo(ArithmeticConfig.builder().p(7).orders(3).rTrain(0.25).build());
    assertThat(c.toBuilder().build()).isEqualTo(c);
    assertThat(c.withSeed(1).seed()).isEqualTo(1);
  }

  @Test
  void operatorsParseTheirSymbolsAndComputeModQ() {
    assertThat(Operator.parse("+")).isEqualTo(Operator.PLUS);
    assertThat(Operator.parse("-")).isEqualTo(Operator.MINUS);
    assertThat(Operator.parse("*")).isEqualTo(Operator.TIMES);
    assertThat(Operator.parse("/")).isEqualTo(Operator.DIVIDE);
    assertThat(Operator.parse("×")).isEqualTo(Operator.TIMES);
    assertThat(Operator.parse("÷")).isEqualTo(Operator.DIVIDE);
    assertThat(Operator.MINUS.apply(1, 2, 5)).isEqualTo(4);
    assertThat(Operator.TIMES.apply(4, 3, 5)).isEqualTo(2);
    assertThat(Operator.DIVIDE.apply(1, 2, 5)).isEqualTo(3); // 2 * 3 = 6 = 1 mod 5
    assertThat(Operator.DIVIDE.apply(4, 4, 7)).isEqualTo(1);
    for (int b = 1; b < 31; b++) assertThat(Operator.TIMES.apply(b, Operator.inverse(b, 31), 31)).isEqualTo(1);
    assertThatThrownBy(() -> Operator.DIVIDE.apply(1, 0, 5)).isInstanceOf(ArithmeticException.class);
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 1.0, -0.1, 1.5, Double.NaN})
  void rTrainMustLieStrictlyBetweenZeroAndOne(double r) {
    assertThatThrownBy(() -> ArithmeticConfig.builder().rTrain(r).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("r_train").hasMessageContaining("between 0 and 1");
  }

  @Test
  void pAndQMustBeAtLeastTwo() {
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("p must be >= 2 (operands 0 .. p-1), got 1");
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(5).q(1).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("q (the modulus) must be >= 2, got 1");
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(-3).build()).hasMessageContaining("p must be >= 2");
  }

  @Test
  void divisionNeedsAPrimeModulus() {
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(4).operator("/").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("operator / needs a prime modulus q").hasMessageContaining("q = 4")
        .hasMessageContaining("q defaults to p");
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(31).q(33).operator("/").build())
        .hasMessageContaining("q = 33");
    // a prime q is fine, and other operators do not care
    assertThat(ArithmeticConfig.builder().p(4).q(5).operator("/").build().q()).isEqualTo(5);
    assertThat(ArithmeticConfig.builder().p(4).operator("*").build().q()).isEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"%", "^", "", "plus minus"})
  void unknownOperatorsListTheValidOnes(String op) {
    assertThatThrownBy(() -> ArithmeticConfig.builder().operator(op).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown operator '" + op + "': use one of + - * /");
  }

  @Test
  void ordersAreTwoThreeOrBoth() {
    assertThatThrownBy(() -> ArithmeticConfig.builder().orders(4).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("orders must be 2, 3 or 2,3")
        .hasMessageContaining("[4]");
    assertThatThrownBy(() -> ArithmeticConfig.builder().orders(2, 1).build()).hasMessageContaining("orders must be");
    assertThatThrownBy(() -> ArithmeticConfig.builder().orders(List.of()).build()).hasMessageContaining("got none");
    assertThatThrownBy(() -> ArithmeticConfig.builder().orders("2,x").build()).hasMessageContaining("'2,x'");
    assertThat(ArithmeticConfig.parseOrders("{2, 3}")).containsExactly(2, 3);
    assertThat(ArithmeticConfig.parseOrders(List.of(3))).containsExactly(3);
  }

  @Test
  void refusesDataSetsTooLargeToHold() {
    assertThatThrownBy(() -> ArithmeticConfig.builder().p(1000).orders(3).build())
        .hasMessageContaining("1000000000 equations");
  }
}
