package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AlignedTest {
  @Test
  void theOffsetPutsAnElementOnACacheLine() {
    for (int n : new int[] {1, 17, 1000, 1 << 20}) {
      float[] a = new float[n + Aligned.LINE - 1];
      int bytes = Aligned.lineOffsetBytes(a);
      assertThat(bytes).as("a[0]'s address mod 64 for length %d", n).isBetween(0, 63);
      int at = Aligned.offset(a);
      assertThat(at).isBetween(0, Aligned.LINE - 1);
      assertThat((bytes + Float.BYTES * at) % 64).as("a[%d]'s address mod 64", at).isZero();
    }
  }

  @Test
  void anEmptyArrayHasNoAddressToAlign() {
    assertThat(Aligned.lineOffsetBytes(new float[0])).isEqualTo(-1);
    assertThat(Aligned.offset(new float[0])).isZero();
  }
}
