package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LrScheduleTest {
  @Test
  void constant() {
    LrSchedule s = new LrSchedule.Constant(1e-3);
    assertThat(s.lr(0)).isEqualTo(1e-3);
    assertThat(s.lr(12345)).isEqualTo(1e-3);
  }

  @Test
  void warmupThenCosineToMin() {
    LrSchedule s = new LrSchedule.WarmupCosine(1.0, 0.1, 10, 110);
    assertThat(s.lr(0)).isCloseTo(0.1, within(1e-12)); //  (0 + 1) / 10
    assertThat(s.lr(4)).isCloseTo(0.5, within(1e-12));
    assertThat(s.lr(10)).isCloseTo(1.0, within(1e-12)); // cosine starts at the max
    assertThat(s.lr(60)).isCloseTo(0.55, within(1e-12)); // halfway: min + (max - min) / 2
    assertThat(s.lr(85)).isCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.75)), within(1e-12));
    assertThat(s.lr(110)).isCloseTo(0.1, within(1e-12));
    assertThat(s.lr(500)).isEqualTo(0.1);
  }

  @Test
  void noWarmup() {
    LrSchedule s = new LrSchedule.WarmupCosine(2.0, 0.0, 0, 100);
    assertThat(s.lr(0)).isEqualTo(2.0);
    assertThat(s.lr(50)).isCloseTo(1.0, within(1e-12));
  }
}
