package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class PositionsTest {
  @Test
  void sinusoidalTableMatchesTheFixtureForEvenAndOddWidths() {
    SafetensorsFile f = fixture("sinusoidal");
    assertMatchesFixture(f, "pe", SinusoidalPositions.compute(10, 8));
    assertMatchesFixture(f, "pe_odd", SinusoidalPositions.compute(5, 7));
    SinusoidalPositions p = new SinusoidalPositions(8);
    assertMatchesFixture(f, "pe", p.table(0, 10));
    assertThat(p.stateDict()).isEmpty(); // fixed, not part of a checkpoint
    assertThat(p.numParameters()).isZero();
  }

  @Test
  void sinusoidalAddsRowsFromTheStartPosition() {
    SinusoidalPositions p = new SinusoidalPositions(8);
    Tensor x = Tensor.randn(new Rng(1), 2, 3, 8);
    Tensor pe = SinusoidalPositions.compute(10, 8);
    FixtureAssert.assertClose("offset 4", p.addTo(x, 4), x.add(pe.narrow(0, 4, 3)));
    FixtureAssert.assertClose("offset 0", p.addTo(x), x.add(pe.narrow(0, 0, 3)));
    assertThat(p.table(2000, 2).shape()).containsExactly(2, 8); // any length
  }

  @Test
  void learnedPositionsAddTheirTableAndLearnIt() {
    LearnedPositions p = new LearnedPositions(6, 4, new Rng(2));
    assertThat(p.stateDict().keySet()).containsExactly("weight");
    assertThat(p.weight().shape()).containsExactly(6, 4);
    Tensor x = Tensor.randn(new Rng(3), 2, 5, 4);
    Tensor y = p.addTo(x);
    FixtureAssert.assertClose("x + P[:5]", y, x.add(p.weight().detach().narrow(0, 0, 5)));
    y.sum().backward();
    float[] g = p.weight().grad().toArray();
    for (int s = 0; s < 6; s++) {
      for (int i = 0; i < 4; i++) assertThat(g[s * 4 + i]).isEqualTo(s < 5 ? 2f : 0f); // batch of 2, row 5 unused
    }
  }

  @Test
  void aSequenceLongerThanTheTableNamesSAndSmax() {
    LearnedPositions p = new LearnedPositions(6, 4, new Rng(2));
    assertThatThrownBy(() -> p.addTo(Tensor.zeros(1, 7, 4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("S = 7")
        .hasMessageContaining("S_max = 6");
    assertThatThrownBy(() -> p.addTo(Tensor.zeros(1, 2, 4), 5)).hasMessageContaining("S_max = 6");
    assertThatThrownBy(() -> p.addTo(Tensor.zeros(1, 2, 5))).hasMessageContaining("(1, 2, 5)");
  }
}
