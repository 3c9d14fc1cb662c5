package lmlab.io;

import static lmlab.io.RawFiles.file;
import static lmlab.io.RawFiles.shorts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ranged reads from mapped and unmapped files, mapped views (slice, transpose), and the shard index. */
class WeightFilesTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(longs = {0, Long.MAX_VALUE}) // memory-mapped, then read into the heap
  void rangedReadsEqualTheWholeTensorsSlices(long mapThreshold) throws IOException {
    Path p = RawFiles.write(tmp, "h.safetensors", file(
        "{\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[8,16]}}",
        shorts(0x3F80, 0xC040, 0x4049, 0x0080, 0x3C00, 0xC000, 0x3555, 0x0001)));
    try (SafetensorsFile f = Safetensors.read(p, mapThreshold)) {
      assertThat(f.isMapped()).isEqualTo(mapThreshold == 0);
      for (String n : List.of("b", "h")) {
        float[] whole = f.tensor(n).toArray();
        float[] part = new float[5];
        f.readFloats(n, 1, part, 2, 3);
        assertThat(Arrays.copyOfRange(part, 2, 5)).as(n).containsExactly(Arrays.copyOfRange(whole, 1, 4));
      }
      assertThatThrownBy(() -> f.readFloats("b", 2, new float[4], 0, 3)).hasMessageContaining("asked for [2, 5)");
    }
  }

  private Path weights(Map<String, Tensor> state) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("w"));
    Safetensors.write(dir.resolve(WeightFiles.SINGLE), state);
    return dir;
  }

  private static float[] read(TensorSource s, String name) {
    int n = 1;
    for (int d : s.shape(name)) n *= d;
    float[] out = new float[n];
    s.readInto(name, out, 0);
    return out;
  }

  @Test
  void aMappedViewSlicesAndTransposes() throws IOException {
    Tensor fused = Tensor.randn(new Rng(1), 3, 6); // (in 3, out 2·3): a Conv1D holding two matrices
    Tensor cube = Tensor.randn(new Rng(2), 2, 3, 4);
    Path dir = weights(Map.of("fused", fused, "cube", cube, "mask", Tensor.ones(2)));
    WeightMapper mapper = (name, shape) -> switch (name) {
      case "fused" -> List.of(
          WeightMapper.Piece.slice("a", 1, 0, 3).transposed(),
          WeightMapper.Piece.slice("b", 1, 3, 3).transposed(),
          WeightMapper.Piece.whole("fused_t").transposed(),
          WeightMapper.Piece.slice("rows", 0, 1, 2));
      case "cube" -> List.of(WeightMapper.Piece.slice("mid", 1, 1, 2));
      default -> List.of();
    };
    try (WeightFiles w = WeightFiles.open(dir, 0)) {
      TensorSource s = w.mapped(mapper);
      assertThat(s.names()).containsExactlyInAnyOrder("a", "b", "fused_t", "rows", "mid");
      assertThat(s.ignored()).containsExactly("mask");
      assertThat(s.shape("a")).containsExactly(3, 3);
      assertThat(s.origin("b")).isEqualTo("fused[:, 3:6].T");
      assertThat(read(s, "a")).containsExactly(fused.narrow(1, 0, 3).transpose(0, 1).contiguous().toArray());
      assertThat(read(s, "b")).containsExactly(fused.narrow(1, 3, 3).transpose(0, 1).contiguous().toArray());
      assertThat(read(s, "fused_t")).containsExactly(fused.transpose(0, 1).contiguous().toArray());
      assertThat(read(s, "rows")).containsExactly(fused.narrow(0, 1, 2).contiguous().toArray());
      assertThat(s.shape("mid")).containsExactly(2, 2, 4);
      assertThat(read(s, "mid")).containsExactly(cube.narrow(1, 1, 2).contiguous().toArray());
    }
  }

  @Test
  void badMappingsAreNamed() throws IOException {
    Path dir = weights(Map.of("w", Tensor.ones(2, 3), "v", Tensor.ones(4)));
    try (WeightFiles w = WeightFiles.open(dir)) {
      assertThatThrownBy(() -> w.mapped((n, s) -> List.of(WeightMapper.Piece.slice(n, 1, 2, 2))))
          .isInstanceOf(CheckpointException.class)
          .hasMessageContaining("has no range [2, 4) along dim 1");
      assertThatThrownBy(() -> w.mapped((n, s) -> List.of(WeightMapper.Piece.whole(n).transposed())))
          .hasMessageContaining("'v'").hasMessageContaining("not a matrix");
      assertThatThrownBy(() -> w.mapped((n, s) -> List.of(WeightMapper.Piece.whole("same"))))
          .hasMessageContaining("'same' is mapped from both 'v' and 'w'");
    }
  }

  @Test
  void shardsAreReadThroughTheIndexAndItsErrorsNamed() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("s"));
    Safetensors.write(dir.resolve("a.safetensors"), Map.of("x", Tensor.ones(2)));
    Safetensors.write(dir.resolve("b.safetensors"), Map.of("y", Tensor.zeros(3)));
    Files.writeString(dir.resolve(WeightFiles.INDEX),
        "{\"metadata\": {\"total_size\": 20}, \"weight_map\": {\"x\": \"a.safetensors\", \"y\": \"b.safetensors\"}}");
    try (WeightFiles w = WeightFiles.open(dir)) {
      assertThat(w.fileCount()).isEqualTo(2);
      assertThat(w.names()).containsExactly("x", "y");
      assertThat(w.shape("y")).containsExactly(3);
    }
    Files.writeString(dir.resolve(WeightFiles.INDEX), "{\"weight_map\": {\"x\": \"b.safetensors\"}}");
    assertThatThrownBy(() -> WeightFiles.open(dir)).hasMessageContaining("'x' is mapped to b.safetensors");
    Files.writeString(dir.resolve(WeightFiles.INDEX), "{\"weight_map\": {\"x\": \"c.safetensors\"}}");
    assertThatThrownBy(() -> WeightFiles.open(dir)).hasMessageContaining("shard c.safetensors");
    Files.writeString(dir.resolve(WeightFiles.INDEX), "{\"weight_map\": {\"x\": \"../a.safetensors\"}}");
    assertThatThrownBy(() -> WeightFiles.open(dir)).hasMessageContaining("expected a file name in the same directory");
    Files.writeString(dir.resolve(WeightFiles.INDEX), "{\"weights\": {}}");
    assertThatThrownBy(() -> WeightFiles.open(dir)).hasMessageContaining("weight_map");
    Files.delete(dir.resolve(WeightFiles.INDEX));
    assertThatThrownBy(() -> WeightFiles.open(dir)).hasMessageContaining("no model.safetensors and no "
        + WeightFiles.INDEX);
  }

  @Test
  void anEmptyWeightsFileMapsToNoTensors() throws IOException {
    Path dir = weights(Map.of());
    try (WeightFiles w = WeightFiles.open(dir)) {
      assertThat(w.names()).isEmpty();
      assertThat(w.mapped(WeightMapper.IDENTITY).names()).isEmpty();
    }
  }
}
