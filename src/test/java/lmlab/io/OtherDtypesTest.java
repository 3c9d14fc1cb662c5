package lmlab.io;

import static lmlab.io.RawFiles.file;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dtypes accepted beyond F32/I64: F64 narrows to float32; I32, I16, I8, U8, BOOL load as ints. */
class OtherDtypesTest {
  @TempDir Path dir;

  private SafetensorsFile one(String dtype, int n, byte[] data) throws IOException {
    String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + n + "],\"data_offsets\":[0," + data.length + "]}}";
    return Safetensors.read(RawFiles.write(dir, dtype + ".safetensors", file(header, data)));
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void f64IsRoundedToFloat32() throws IOException {
    byte[] d = le(24).putDouble(0.1).putDouble(-1e300).putDouble(Double.NEGATIVE_INFINITY).array();
    try (SafetensorsFile f = one("F64", 3, d)) {
      assertThat(f.tensor("t").toArray()).containsExactly(0.1f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }
  }

  @Test
  void smallIntegerTypes() throws IOException {
    try (SafetensorsFile f = one("I32", 2, le(8).putInt(-7).putInt(Integer.MAX_VALUE).array())) {
      assertThat(f.ints("t").toArray()).containsExactly(-7, Integer.MAX_VALUE);
    }
    try (SafetensorsFile f = one("I16", 2, le(4).putShort((short) -300).putShort((short) 32767).array())) {
      assertThat(f.ints("t").toArray()).containsExactly(-300, 32767);
    }
    try (SafetensorsFile f = one("I8", 2, new byte[] {-128, 127})) {
      assertThat(f.ints("t").toArray()).containsExactly(-128, 127);
    }
    try (SafetensorsFile f = one("U8", 2, new byte[] {(byte) 255, 3})) {
      assertThat(f.ints("t").toArray()).containsExactly(255, 3);
    }
    try (SafetensorsFile f = one("BOOL", 3, new byte[] {0, 1, 1})) {
      assertThat(f.ints("t").toArray()).containsExactly(0, 1, 1);
    }
  }
}
