package lmlab.io;

import static lmlab.io.RawFiles.file;
import static lmlab.io.RawFiles.floats;
import static lmlab.io.RawFiles.longs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per kind of corruption: each must fail with a one-line message naming the file. */
class SafetensorsValidationTest {
  @TempDir Path dir;

  private static final byte[] FOUR_FLOATS = floats(1, 2, 3, 4);

  private AbstractThrowableAssert<?, ? extends Throwable> readFails(byte[] bytes) throws IOException {
    Path p = RawFiles.write(dir, "bad.safetensors", bytes);
    return assertThatThrownBy(() -> Safetensors.read(p))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageStartingWith(p.toString() + ": ")
        .matches(e -> !e.getMessage().contains("\n"), "one-line message");
  }

  private AbstractThrowableAssert<?, ? extends Throwable> headerFails(String header) throws IOException {
    return readFails(file(header, FOUR_FLOATS));
  }

  @Test
  void aValidHandMadeFileReads() throws IOException {
    Path p = RawFiles.write(dir, "ok.safetensors",
        file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}   ", FOUR_FLOATS));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.tensor("x").toArray()).containsExactly(1, 2, 3, 4);
      assertThat(f.metadata()).isEmpty();
    }
  }

  @Test
  void missingFile() {
    Path p = dir.resolve("absent.safetensors");
    assertThatThrownBy(() -> Safetensors.read(p)).isInstanceOf(SafetensorsException.class)
        .hasMessage(p + ": no such file");
  }

  @Test
  void fileShorterThan8Bytes() throws IOException {
    readFails(new byte[] {1, 0, 0}).hasMessageContaining("file is 3 bytes, shorter than the 8-byte header length");
    readFails(new byte[0]).hasMessageContaining("file is 0 bytes");
  }

  @Test
  void headerLengthLargerThanTheFile() throws IOException {
    byte[] b = file("{}", new byte[0]);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
    readFails(b).hasMessageContaining("header length 1000 is larger than the file (10 bytes)");
  }

  @Test
  void absurdHeaderLength() throws IOException {
    byte[] b = file("{}", new byte[0]);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 200L * 1024 * 1024);
    readFails(b).hasMessageContaining("header length 209715200 is absurd; expected at most 104857600");
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L); // 2^64 - 1 unsigned
    readFails(b).hasMessageContaining("header length 18446744073709551615 is absurd");
  }

  @Test
  void headerNotUtf8() throws IOException {
    byte[] h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"__metadata__\":{\"a\":\"??\"}}"
        .getBytes(StandardCharsets.US_ASCII);
    int q = new String(h, StandardCharsets.US_ASCII).indexOf("??");
    h[q] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
    h[q + 1] = (byte) 0x28;
    readFails(file(h, FOUR_FLOATS)).hasMessageContaining("header is not valid UTF-8");
  }

  @Test
  void headerNotJson() throws IOException {
    headerFails("{\"x\": {\"dtype\": \"F32\",").hasMessageContaining("header is not valid JSON");
    headerFails("{\"x\":1} trailing").hasMessageContaining("header is not valid JSON");
    headerFails("").hasMessageContaining("header is empty JSON; expected a JSON object");
  }

  @Test
  void headerNotAnObject() throws IOException {
    headerFails("[1, 2]").hasMessageContaining("header is array JSON; expected a JSON object");
    headerFails("\"x\"").hasMessageContaining("header is string JSON; expected a JSON object");
  }

  @Test
  void duplicateTensorNames() throws IOException {
    String e = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    headerFails("{\"x\":" + e + ",\"x\":" + e + "}").hasMessageContaining("not valid JSON")
        .hasMessageContaining("Duplicate field 'x'");
  }

  @Test
  void entryNotAnObject() throws IOException {
    headerFails("{\"x\": [1]}").hasMessageContaining("tensor \"x\" is array [1]; expected an object with dtype");
  }

  @Test
  void entryMissingDtype() throws IOException {
    headerFails("{\"x\":{\"shape\":[4],\"data_offsets\":[0,16]}}").hasMessageContaining("tensor \"x\" has no \"dtype\"");
  }

  @Test
  void entryMissingShape() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}").hasMessageContaining("tensor \"x\" has no \"shape\"");
  }

  @Test
  void entryMissingDataOffsets() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4]}}").hasMessageContaining("tensor \"x\" has no \"data_offsets\"");
  }

  @Test
  void entryWithWrongTypes() throws IOException {
    headerFails("{\"x\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("tensor \"x\" has dtype number 32; expected a string");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":\"4\",\"data_offsets\":[0,16]}}")
        .hasMessageContaining("tensor \"x\" has shape string \"4\"; expected an array");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("shape entry 4.0; expected non-negative integers");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":\"0-16\"}}")
        .hasMessageContaining("data_offsets \"0-16\"; expected [begin, end]");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}")
        .hasMessageContaining("expected [begin, end]");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[\"0\",\"16\"]}}")
        .hasMessageContaining("expected [begin, end] of non-negative integers");
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[-16,0]}}")
        .hasMessageContaining("expected [begin, end] of non-negative integers");
  }

  @Test
  void unknownDtype() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F8_E4M3\",\"shape\":[16],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("tensor \"x\" has unknown dtype \"F8_E4M3\"; supported: F32, F16, BF16")
        .hasMessageContaining("I64, I32");
  }

  @Test
  void negativeShape() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[-2,-2],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("tensor \"x\" has negative size -2 in shape [-2,-2]");
  }

  @Test
  void hugeShapeIsRefusedNotOverflowed() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("needs more than 2^63");
    // 2^32 * 2^32 * 4 bytes overflows a long to exactly 0, which must not match an empty range.
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,0]}}")
        .hasMessageContaining("sizes above 2147483647 are not supported");
  }

  @Test
  void offsetsWithBeginAfterEnd() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,0]}}")
        .hasMessageContaining("data_offsets [16,0] with begin > end");
  }

  @Test
  void endBeyondTheDataSection() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}")
        .hasMessageContaining("tensor \"x\" ends at byte 32 but the data section holds only 16 bytes; the file is truncated");
  }

  @Test
  void sizeNotMatchingShapeAndDtype() throws IOException {
    headerFails("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("tensor \"x\" has 16 bytes (data_offsets [0, 16]) but F32 shape [3] needs 12");
    headerFails("{\"x\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[0,16]}}")
        .hasMessageContaining("I64 shape [4] needs 32");
  }

  @Test
  void overlappingTensors() throws IOException {
    headerFails("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}")
        .hasMessageContaining("tensors \"a\" [0, 12] and \"b\" [8, 16] overlap");
  }

  @Test
  void emptyTensorsOverlapNothing() throws IOException {
    Path p = RawFiles.write(dir, "e.safetensors", file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
        + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]}}", FOUR_FLOATS));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.tensor("e").shape()).containsExactly(0, 3);
    }
  }

  @Test
  void metadataNotStringToString() throws IOException {
    String x = ",\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
    headerFails("{\"__metadata__\":[\"a\"]" + x)
        .hasMessageContaining("__metadata__ is array [\"a\"]; expected an object of string -> string");
    headerFails("{\"__metadata__\":{\"atol\":0.0001}" + x)
        .hasMessageContaining("__metadata__ value of \"atol\" is number 1.0E-4; expected a string");
    headerFails("{\"__metadata__\":{\"cfg\":{\"d\":\"1\"}}" + x)
        .hasMessageContaining("__metadata__ value of \"cfg\" is object");
  }

  @Test
  void everyTruncationOfAValidFileIsRejected() throws IOException {
    Path ok = dir.resolve("ok.safetensors");
    Safetensors.write(ok, Map.of("a", Tensor.vector(1, 2, 3), "z", Tensor.vector(4, 5)),
        Map.of("m", IntTensor.vector(7, 8)), Map.of("k", "v"));
    byte[] full = Files.readAllBytes(ok);
    for (int len = 0; len < full.length; len++) {
      Path p = RawFiles.write(dir, "cut.safetensors", Arrays.copyOf(full, len));
      int at = len;
      assertThatThrownBy(() -> Safetensors.read(p)).as("truncated to %d bytes", at)
          .isInstanceOf(SafetensorsException.class);
    }
  }

  @Test
  void wrongKindOfAccessorIsAClearError() throws IOException {
    Path p = dir.resolve("k.safetensors");
    Safetensors.write(p, Map.of("w", Tensor.vector(1, 2)), Map.of("ids", IntTensor.vector(1, 2)), Map.of());
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThatThrownBy(() -> f.tensor("ids")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tensor \"ids\" is I64, not a float type; read it with ints(\"ids\")");
      assertThatThrownBy(() -> f.ints("w")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tensor \"w\" is F32, not an integer type; read it with tensor(\"w\")");
    }
  }

  @Test
  void missingNameListsAvailableNames() throws IOException {
    Path p = dir.resolve("n.safetensors");
    Safetensors.write(p, Map.of("q_proj.weight", Tensor.vector(1), "q_proj.bias", Tensor.vector(1),
        "k_proj.weight", Tensor.vector(1)));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThatThrownBy(() -> f.tensor("v_proj.weight")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no tensor \"v_proj.weight\"; it has 3 tensors, e.g. k_proj.weight, q_proj.weight, q_proj.bias");
      assertThatThrownBy(() -> f.shape("nope")).hasMessageContaining("no tensor \"nope\"");
      assertThatThrownBy(() -> f.dtype("nope")).hasMessageContaining("no tensor \"nope\"");
    }
  }

  @Test
  void i64OutsideIntRangeNamesTheTensor() throws IOException {
    Path p = RawFiles.write(dir, "big.safetensors",
        file("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", longs(5, 1L << 40)));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThatThrownBy(() -> f.ints("ids")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tensor \"ids\" (I64) holds 1099511627776 at flat index 1, outside the int range");
    }
  }
}
