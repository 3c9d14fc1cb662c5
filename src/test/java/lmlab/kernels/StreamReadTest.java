package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamReadTest {
  @Test
  void sumEqualsTheScalarSumForEveryLengthAndOffset() {
    // small whole numbers: every partial sum is exact in float, so any order gives the same bits
    float[] a = new float[1000];
    for (int i = 0; i < a.length; i++) a[i] = (i * 7 % 13) - 6;
    for (int from : new int[] {0, 1, 5, 17}) {
      for (int to = from; to <= a.length; to += 37) {
        float scalar = 0;
        for (int i = from; i < to; i++) scalar += a[i];
        assertThat(StreamRead.sum(a, from, to)).as("[%d, %d)", from, to).isEqualTo(scalar);
      }
    }
  }

  @Test
  void sumOfRandomValuesIsCloseToTheDoubleSum() {
    java.util.Random r = new java.util.Random(5);
    float[] a = new float[4099];
    double ref = 0;
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) r.nextGaussian();
      ref += a[i];
    }
    assertThat((double) StreamRead.sum(a, 0, a.length)).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-2));
  }

  @Test
  void bandwidthIsPositiveAndArgumentsAreChecked() {
    assertThat(StreamRead.bytesPerSecond(1 << 16, 1, 0.01)).isPositive();
    assertThat(StreamRead.bytesPerSecond(36, 1, 0.01)).isPositive(); // nine floats: less than one vector
    assertThat(StreamRead.bytesPerSecond(1 << 16, Parallel.threads(), 0.01)).isPositive();
    assertThatThrownBy(() -> StreamRead.bytesPerSecond(0, 1, 0.01)).hasMessageContaining("bytes must be in [1, ");
    assertThatThrownBy(() -> StreamRead.bytesPerSecond(64, Parallel.threads() + 1, 0.01))
        .hasMessageContaining("threads must be in [1, " + Parallel.threads() + "]");
    assertThatThrownBy(() -> StreamRead.bytesPerSecond(64, 1, 0)).hasMessageContaining("seconds must be > 0");
    assertThat(StreamRead.bytesPerSecond(1 << 16, 1, 0.01, 15)).isPositive();
    assertThatThrownBy(() -> StreamRead.bytesPerSecond(64, 1, 0.01, 16)).hasMessageContaining("offset must be in [0, 15] floats, got 16");
    assertThatThrownBy(() -> StreamRead.bytesPerSecond(64, 1, 0.01, -1)).hasMessageContaining("offset must be in [0, 15]");
  }
}
