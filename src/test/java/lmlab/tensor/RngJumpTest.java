package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The chunked (parallel) keep-mask draw against the serial nextFloat stream it must reproduce. */
class RngJumpTest {
  @Test
  void jumpEqualsSteppingThatManyDraws() {
    Rng r = new Rng(5);
    long[] st = r.state();
    long[] jumped = Rng.jump(new long[] {st[0], st[1], st[2], st[3]}, Rng.xPow(Rng.CHUNK + 3));
    for (int i = 0; i < Rng.CHUNK + 3; i++) r.nextLong();
    long[] stepped = r.state();
    assertThat(jumped).containsExactly(stepped[0], stepped[1], stepped[2], stepped[3]);
  }

  @Test
  void longMasksAreTheSerialDrawsAndLeaveTheStateWhereNextFloatWould() {
    int n = 3 * Rng.CHUNK + 777; // several chunks and a partial one
    Rng fast = new Rng(11);
    Rng slow = new Rng(11);
    fast.nextGaussian(); // a spare Gaussian pending must survive the draw
    slow.nextGaussian();
    float[] m = new float[n + 5];
    fast.fillKeepMask(m, n, 0.1f, 1f / 0.9f);
    for (int i = 0; i < n; i++) assertThat(m[i]).as("m[%d]", i).isEqualTo(slow.nextFloat() >= 0.1f ? 1f / 0.9f : 0f);
    for (int i = n; i < n + 5; i++) assertThat(m[i]).isZero();
    assertThat(fast.state()).containsExactly(slow.state());
    assertThat(fast.nextLong()).isEqualTo(slow.nextLong());
  }
}
