package lmlab.io;

import static lmlab.io.RawFiles.file;
import static lmlab.io.RawFiles.shorts;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** F16 and BF16 tensors widen to float32 exactly, including subnormals, signed zero and infinities. */
class HalfPrecisionTest {
  @TempDir Path dir;

  private float[] load(String dtype, int... bits) throws IOException {
    String header = "{\"h\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + bits.length + "],\"data_offsets\":[0,"
        + 2 * bits.length + "]}}";
    Path p = RawFiles.write(dir, dtype + ".safetensors", file(header, shorts(bits)));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.dtype("h")).isEqualTo(dtype);
      return f.tensor("h").toArray();
    }
  }

  @Test
  void f16() throws IOException {
    float[] v = load("F16", 0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00);
    assertThat(v).containsExactly(
        1f, -2f,
        0.33325195f, // 0x3555 = 1365 / 4096
        65504f, // largest finite half
        0x1p-24f, // smallest subnormal
        1023 * 0x1p-24f, // largest subnormal
        0x1p-14f, // smallest normal
        -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    assertThat(Float.floatToRawIntBits(v[7])).isEqualTo(0x80000000); // the sign of -0 is kept
  }

  @Test
  void bf16() throws IOException {
    float[] v = load("BF16", 0x3F80, 0xC040, 0x4049, 0x7F7F, 0x0001, 0x007F, 0x0080, 0x8000, 0x7F80, 0xFF80);
    assertThat(v).containsExactly(
        1f, -3f,
        3.140625f, // 0x4049: pi to bfloat16 precision
        Float.intBitsToFloat(0x7F7F0000), // largest finite bfloat16, about 3.39e38
        0x1p-133f, // smallest subnormal: float32 bits 0x00010000
        127 * 0x1p-133f, // largest subnormal
        0x1p-126f, // smallest normal
        -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    assertThat(v[3]).isEqualTo(3.3895314e38f);
  }
}
