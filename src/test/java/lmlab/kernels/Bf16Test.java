package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.Test;

/** The vector rounding to bfloat16 gives {@link Bf16#fromFloat}'s bits in every lane. */
class Bf16Test {
  @Test
  void roundBitsIsFromFloatLaneByLane() {
    int l = Bf16.lanes();
    Random r = new Random(3);
    float[] special = {0f, -0f, 1f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, Float.MIN_VALUE,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f7fffff),
        Float.intBitsToFloat(0x3f80ffff)};
    float[] x = new float[l];
    int[] got = new int[l];
    for (int round = 0; round < 20_000; round++) {
      for (int i = 0; i < l; i++) {
        x[i] = round < special.length ? special[(round + i) % special.length] : Float.intBitsToFloat(r.nextInt());
      }
      IntVector bits = Bf16.roundBits(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0));
      bits.intoArray(got, 0);
      for (int i = 0; i < l; i++) {
        assertThat(got[i]).as("bits %08x", Float.floatToRawIntBits(x[i])).isEqualTo(Bf16.fromFloat(x[i]) & 0xffff);
      }
    }
  }
}
