package lmlab.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.stream.Stream;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Reads every fixture in the shared fixtures directory and checks each tensor its header declares
 * (parsed here independently with plain Jackson) loads with the declared shape and kind.
 */
class SharedFixturesTest {
  private static final Path SHARED = Path.of("..", "shared", "fixtures");

  private static List<Path> fixtureFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> top = Files.list(SHARED)) {
      top.sorted().forEach(p -> {
        if (p.getFileName().toString().endsWith(".safetensors")) files.add(p);
        for (String inner : List.of("model.safetensors", "io.safetensors")) {
          if (Files.isRegularFile(p.resolve(inner))) files.add(p.resolve(inner));
        }
      });
    }
    return files;
  }

  private static void assumeShared() {
    boolean present = Files.isDirectory(SHARED);
    if (!present) System.out.println("SharedFixturesTest skipped: no " + SHARED.toAbsolutePath());
    assumeTrue(present, "shared fixtures not found at " + SHARED.toAbsolutePath());
  }

  @TestFactory
  Stream<DynamicTest> everyDeclaredTensorLoadsWithItsShape() throws IOException {
    assumeShared();
    List<Path> files = fixtureFiles();
    assertThat(files).hasSizeGreaterThan(60);
    return files.stream().map(p -> DynamicTest.dynamicTest(SHARED.relativize(p).toString(), () -> check(p)));
  }

  private static void check(Path p) throws IOException {
    JsonNode header = rawHeader(p);
    try (SafetensorsFile f = Safetensors.read(p)) {
      List<String> declared = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : header.properties()) {
        if (e.getKey().equals("__metadata__")) continue;
        declared.add(e.getKey());
        int[] shape = new int[e.getValue().get("shape").size()];
        for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get("shape").get(i).intValue();
        String dtype = e.getValue().get("dtype").asText();
        assertThat(f.dtype(e.getKey())).isEqualTo(dtype);
        int[] loaded = dtype.equals("I64") ? f.ints(e.getKey()).shape() : f.tensor(e.getKey()).shape();
        assertThat(loaded).as("%s: %s", p, e.getKey()).isEqualTo(shape);
      }
      assertThat(f.names()).containsExactlyInAnyOrderElementsOf(declared);
      if (header.has("__metadata__")) {
        assertThat(f.metadata()).hasSize(header.get("__metadata__").size());
      }
    }
  }

  private static JsonNode rawHeader(Path p) throws IOException {
    byte[] b = Files.readAllBytes(p);
    int n = (int) ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    return new ObjectMapper().readTree(new String(b, 8, n, StandardCharsets.UTF_8));
  }

  @Test
  void matmulFixtureValuesAreDecodedCorrectly() throws IOException {
    assumeShared();
    // Recomputing out = a @ b (broadcast (2,1,3,4) @ (3,4,5)) checks the float decoding end to end.
    try (SafetensorsFile f = Safetensors.read(SHARED.resolve("op_matmul.safetensors"))) {
      Tensor a = f.tensor("a");
      Tensor b = f.tensor("b");
      float[] out = new float[2 * 3 * 3 * 5];
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
          for (int r = 0; r < 3; r++)
            for (int c = 0; c < 5; c++) {
              double s = 0;
              for (int k = 0; k < 4; k++) s += (double) a.get(i, 0, r, k) * b.get(j, k, c);
              out[((i * 3 + j) * 3 + r) * 5 + c] = (float) s;
            }
      FixtureAssert.assertMatchesFixture(f, "out", Tensor.of(out, 2, 3, 3, 5));
      assertThat(f.metadata()).containsEntry("atol", "0.0001").containsEntry("rtol", "0.001");
    }
  }

  @Test
  void maskedSoftmaxFixtureKeepsNegativeInfinity() throws IOException {
    assumeShared();
    try (SafetensorsFile f = Safetensors.read(SHARED.resolve("op_softmax_masked.safetensors"))) {
      float[] x = f.tensor("x").toArray();
      float[] out = f.tensor("out").toArray();
      int masked = 0;
      for (int i = 0; i < x.length; i++) {
        if (x[i] == Float.NEGATIVE_INFINITY) {
          masked++;
          assertThat(out[i]).isZero();
        }
      }
      assertThat(masked).isPositive();
    }
  }
}
