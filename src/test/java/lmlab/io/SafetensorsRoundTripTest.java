package lmlab.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
  @TempDir Path dir;

  private static Tensor ramp(int... shape) {
    int n = 1;
    for (int s : shape) n *= s;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = i * 0.5f - 3.25f;
    return Tensor.of(v, shape);
  }

  private Map<String, Tensor> floats() {
    Map<String, Tensor> m = new TreeMap<>();
    m.put("w.matrix", ramp(2, 3));
    m.put("b.vector", ramp(4));
    m.put("scalar", Tensor.scalar(-7.5f));
    m.put("empty", Tensor.zeros(0));
    m.put("empty3d", Tensor.zeros(2, 0, 3));
    m.put("deep", ramp(1, 2, 1, 5));
    m.put("special", Tensor.of(new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE,
        Float.MAX_VALUE, 1e-40f}, 6));
    return m;
  }

  @Test
  void floatsIntsAndMetadataSurviveARoundTrip() throws IOException {
    Path p = dir.resolve("t.safetensors");
    Map<String, IntTensor> ints = Map.of(
        "ids", IntTensor.of(new int[] {0, 5, -3, Integer.MAX_VALUE, Integer.MIN_VALUE, 7}, 2, 3),
        "one", IntTensor.of(new int[] {42}));
    Map<String, String> meta = Map.of("format", "pt", "config", "{\"d\": 16}", "unicode", "αβγ");
    Safetensors.write(p, floats(), ints, meta);

    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.metadata()).isEqualTo(meta);
      assertThat(f.names()).containsExactly(
          "b.vector", "deep", "empty", "empty3d", "ids", "one", "scalar", "special", "w.matrix");
      for (Map.Entry<String, Tensor> e : floats().entrySet()) {
        Tensor t = f.tensor(e.getKey());
        assertThat(f.dtype(e.getKey())).isEqualTo("F32");
        assertThat(t.shape()).as(e.getKey()).isEqualTo(e.getValue().shape());
        assertThat(f.shape(e.getKey())).isEqualTo(e.getValue().shape());
        assertThat(t.toArray()).as(e.getKey()).containsExactly(e.getValue().toArray());
      }
      assertThat(f.tensor("scalar").shape()).isEmpty();
      assertThat(f.tensor("scalar").item()).isEqualTo(-7.5f);
      assertThat(f.dtype("ids")).isEqualTo("I64");
      assertThat(f.ints("ids").shape()).containsExactly(2, 3);
      assertThat(f.ints("ids").toArray()).containsExactly(0, 5, -3, Integer.MAX_VALUE, Integer.MIN_VALUE, 7);
      assertThat(f.ints("one").toArray()).containsExactly(42);
      assertThat(f.has("ids")).isTrue();
      assertThat(f.has("nope")).isFalse();
      assertThat(f.isMapped()).isFalse();
    }
  }

  @Test
  void intsCanBeWrittenAsI32() throws IOException {
    Path p = dir.resolve("i32.safetensors");
    Safetensors.write(p, Map.of(), Map.of("pos", IntTensor.of(new int[] {-1, 0, 1, 1 << 30}, 2, 2)), Map.of(), DType.I32);
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.dtype("pos")).isEqualTo("I32");
      assertThat(f.ints("pos").toArray()).containsExactly(-1, 0, 1, 1 << 30);
    }
    assertThat(Files.size(p)).isEqualTo(8 + headerLength(p) + 16);
    assertThatThrownBy(() -> Safetensors.write(p, Map.of(), Map.of(), Map.of(), DType.F32))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I64 or I32");
  }

  @Test
  void layoutIsSortedBackToBackWithASpacePaddedHeader() throws IOException {
    Path p = dir.resolve("layout.safetensors");
    Safetensors.write(p, Map.of("z", ramp(3), "a", ramp(2, 2)), Map.of("m", IntTensor.vector(1, 2)), Map.of("k", "v"));
    byte[] bytes = Files.readAllBytes(p);
    long n = headerLength(p);
    assertThat(n % 8).isZero();
    String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{\"__metadata__\":{\"k\":\"v\"},\"a\":");
    assertThat(header.stripTrailing()).endsWith("}");
    assertThat(header.substring(header.stripTrailing().length())).matches(" *");

    JsonNode root = new ObjectMapper().readTree(header);
    List<String> order = new ArrayList<>();
    root.fieldNames().forEachRemaining(order::add);
    assertThat(order).containsExactly("__metadata__", "a", "m", "z");
    assertThat(root.get("a").get("data_offsets").toString()).isEqualTo("[0,16]");
    assertThat(root.get("m").get("data_offsets").toString()).isEqualTo("[16,32]");
    assertThat(root.get("m").get("dtype").asText()).isEqualTo("I64");
    assertThat(root.get("z").get("data_offsets").toString()).isEqualTo("[32,44]");
    assertThat(bytes.length).isEqualTo(8 + n + 44);
    // Raw little-endian data: a's first float, then m's first long.
    ByteBuffer data = ByteBuffer.wrap(bytes, (int) (8 + n), 44).slice().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(data.getFloat(0)).isEqualTo(-3.25f);
    assertThat(data.getLong(16)).isEqualTo(1L);
  }

  @Test
  void tensorsLargerThanOneWriteChunkRoundTrip() throws IOException {
    Path p = dir.resolve("big.safetensors");
    int n = 200_003; // spans several 65536-element chunks, with a partial last one
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) ids[i] = i * 7 - 1000;
    Tensor big = ramp(n);
    Safetensors.write(p, Map.of("big", big), Map.of("ids", IntTensor.of(ids, n)), Map.of());
    Safetensors.write(dir.resolve("big32.safetensors"), Map.of(), Map.of("ids", IntTensor.of(ids, n)), Map.of(), DType.I32);
    try (SafetensorsFile f = Safetensors.read(p); SafetensorsFile g = Safetensors.read(dir.resolve("big32.safetensors"))) {
      assertThat(f.tensor("big").toArray()).containsExactly(big.toArray());
      assertThat(f.ints("ids").toArray()).containsExactly(ids);
      assertThat(g.ints("ids").toArray()).containsExactly(ids);
    }
  }

  @Test
  void nonContiguousTensorsAreWrittenRowMajor() throws IOException {
    Path p = dir.resolve("t.safetensors");
    Tensor t = ramp(2, 3).transpose(0, 1); // (3, 2)
    Safetensors.write(p, Map.of("t", t));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.tensor("t").shape()).containsExactly(3, 2);
      assertThat(f.tensor("t").toArray()).containsExactly(-3.25f, -1.75f, -2.75f, -1.25f, -2.25f, -0.75f);
    }
  }

  @Test
  void largeFilesAreMemoryMappedWithTheSameValues() throws IOException {
    Path p = dir.resolve("m.safetensors");
    Safetensors.write(p, floats(), Map.of("ids", IntTensor.vector(3, 1, 4)), Map.of("a", "b"));
    SafetensorsFile f = Safetensors.read(p, 0); // threshold 0: map every file
    Tensor copy;
    try (f) {
      assertThat(f.isMapped()).isTrue();
      copy = f.tensor("w.matrix");
      assertThat(copy.toArray()).containsExactly(ramp(2, 3).toArray());
      assertThat(f.ints("ids").toArray()).containsExactly(3, 1, 4);
      assertThat(f.tensor("special").toArray()).containsExactly(floats().get("special").toArray());
    }
    assertThat(copy.toArray()).containsExactly(ramp(2, 3).toArray()); // outlives the mapping
    assertThatThrownBy(() -> f.tensor("w.matrix")).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void readFromBytesMatchesReadFromPath() throws IOException {
    Path p = dir.resolve("b.safetensors");
    Safetensors.write(p, floats(), Map.of(), Map.of("x", "y"));
    SafetensorsFile f = Safetensors.read(Files.readAllBytes(p), "mem");
    assertThat(f.metadata()).containsEntry("x", "y");
    assertThat(f.tensor("deep").toArray()).containsExactly(ramp(1, 2, 1, 5).toArray());
    assertThat(f.source()).isEqualTo("mem");
  }

  @Test
  void writeReplacesAnExistingFile() throws IOException {
    Path p = dir.resolve("r.safetensors");
    Safetensors.write(p, Map.of("old", ramp(5)));
    Safetensors.write(p, Map.of("new", ramp(2)));
    try (SafetensorsFile f = Safetensors.read(p)) {
      assertThat(f.names()).containsExactly("new");
    }
    assertThat(strayFiles(dir)).isEmpty();
  }

  @Test
  void writeToAMissingDirectoryFailsClearlyAndLeavesNothing() {
    Path p = dir.resolve("no/such/dir/x.safetensors");
    assertThatThrownBy(() -> Safetensors.write(p, Map.of("a", ramp(2))))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("x.safetensors")
        .hasMessageContaining("does not exist");
    assertThat(dir.resolve("no")).doesNotExist();
    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void aFailedMoveLeavesNoTempFileAndTheTargetUntouched() throws IOException {
    // The target is a non-empty directory, so the final move fails after all data are written.
    Path target = dir.resolve("busy.safetensors");
    Files.createDirectory(target);
    Files.writeString(target.resolve("keep.txt"), "keep");
    assertThatThrownBy(() -> Safetensors.write(target, Map.of("a", ramp(1000))))
        .isInstanceOf(IOException.class);
    assertThat(strayFiles(dir)).isEmpty();
    assertThat(target.resolve("keep.txt")).hasContent("keep");
  }

  @Test
  void invalidInputsAreRejectedBeforeAnythingIsWritten() throws IOException {
    Path p = dir.resolve("v.safetensors");
    Safetensors.write(p, Map.of("a", ramp(2)));
    byte[] before = Files.readAllBytes(p);
    Map<String, String> nullValue = new TreeMap<>();
    nullValue.put("k", null);
    assertThatThrownBy(() -> Safetensors.write(p, Map.of("a", ramp(3)), Map.of(), nullValue))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("metadata");
    assertThatThrownBy(() -> Safetensors.write(p, Map.of("a", ramp(3)), Map.of("a", IntTensor.vector(1)), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both as float and as int");
    assertThatThrownBy(() -> Safetensors.write(p, Map.of("__metadata__", ramp(3))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tensor name");
    assertThat(Files.readAllBytes(p)).isEqualTo(before);
    assertThat(strayFiles(dir)).isEmpty();
  }

  private static long headerLength(Path p) throws IOException {
    byte[] b = Files.readAllBytes(p);
    return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static List<Path> strayFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
    }
  }
}
