package lmlab.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lmlab.nn.LayerNorm;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  @TempDir Path tmp;

  /** A Linear(3, 2) under "proj" and a LayerNorm(2) under "norm". */
  static final class Small extends Module {
    final Linear proj;
    final LayerNorm norm;

    Small(long seed) {
      proj = child("proj", new Linear(3, 2, true, new Rng(seed)));
      norm = child("norm", new LayerNorm(2));
    }
  }

  static ObjectNode config(int size) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("model_type", "small");
    c.put("hidden_size", size);
    c.put("norm_eps", 1e-5);
    c.putArray("masks").add("causal").add("block_local(4)");
    c.putArray("empty");
    c.put("bias", true);
    return c;
  }

  @AfterEach
  void restoreExchange() {
    AtomicDirectory.useExchange = true;
  }

  private List<String> siblingsOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir.getParent())) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void roundTripKeepsConfigKeysInOrderAndEveryTensor() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Small m = new Small(1);
    Checkpoint.save(dir, config(2), m.stateDict());
    assertThat(Files.readString(dir.resolve("config.json"))).isEqualTo("""
        {
          "model_type": "small",
          "hidden_size": 2,
          "norm_eps": 1.0E-5,
          "masks": [
            "causal",
            "block_local(4)"
          ],
          "empty": [],
          "bias": true
        }
        """);
    Checkpoint.Contents c = Checkpoint.load(dir);
    assertThat(c.config()).isEqualTo(config(2));
    assertThat(c.config().fieldNames()).toIterable().containsExactly("model_type", "hidden_size", "norm_eps", "masks", "empty", "bias");
    assertThat(c.metadata()).containsEntry("format", "pt");
    assertThat(c.tensors().keySet()).containsExactlyInAnyOrderElementsOf(m.stateDict().keySet());
    for (var e : m.stateDict().entrySet()) {
      assertThat(c.tensors().get(e.getKey()).shape()).containsExactly(e.getValue().shape());
      assertThat(c.tensors().get(e.getKey()).toArray()).containsExactly(e.getValue().toArray());
    }
    Small other = new Small(2);
    assertThat(lmlab.nn.ModuleCheckpoint.loadInto(dir, other)).isEqualTo(config(2));
    assertThat(other.proj.weight().toArray()).containsExactly(m.proj.weight().toArray());
    assertThat(siblingsOf(dir)).containsExactly("ckpt");
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwxr-xr-x");
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("model.safetensors"))))
          .isEqualTo("rw-r--r--");
    }
  }

  @Test
  void savingOverACheckpointReplacesItWholeByExchange() throws IOException {
    replaceTwice(true);
  }

  @Test
  void savingOverACheckpointReplacesItWholeByTwoRenames() throws IOException {
    replaceTwice(false);
  }

  private void replaceTwice(boolean exchange) throws IOException {
    AtomicDirectory.useExchange = exchange;
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config(2), new Small(1).stateDict());
    Files.writeString(dir.resolve("trainer.json"), "{}"); // belongs to the old checkpoint only
    Small b = new Small(7);
    Checkpoint.save(dir, config(5), b.stateDict());
    Checkpoint.Contents c = Checkpoint.load(dir);
    assertThat(c.config().get("hidden_size").asInt()).isEqualTo(5);
    assertThat(c.tensors().get("proj.weight").toArray()).containsExactly(b.proj.weight().toArray());
    assertThat(Files.exists(dir.resolve("trainer.json"))).isFalse();
    assertThat(siblingsOf(dir)).containsExactly("ckpt");
  }

  @Test
  void theLinuxExchangeSwapsTwoDirectories() throws IOException {
    Path a = Files.createDirectory(tmp.resolve("a"));
    Path b = Files.createDirectory(tmp.resolve("b"));
    Files.writeString(a.resolve("f"), "A");
    Files.writeString(b.resolve("f"), "B");
    boolean swapped = AtomicDirectory.exchange(a, b);
    if (System.getProperty("os.name").toLowerCase().contains("linux")) assertThat(swapped).isTrue();
    if (swapped) {
      assertThat(Files.readString(a.resolve("f"))).isEqualTo("B");
      assertThat(Files.readString(b.resolve("f"))).isEqualTo("A");
    }
  }

  @Test
  void aWriteThatFailsHalfwayLeavesTheOldCheckpointIntact() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Small a = new Small(1);
    Checkpoint.save(dir, config(2), a.stateDict());
    assertThatThrownBy(() -> Checkpoint.save(dir, config(9), new Small(3).stateDict(), t -> {
      Files.writeString(t.resolve("optimizer.safetensors"), "partial");
      throw new IOException("killed");
    })).hasMessage("killed");
    Checkpoint.Contents c = Checkpoint.load(dir);
    assertThat(c.config().get("hidden_size").asInt()).isEqualTo(2);
    assertThat(c.tensors().get("proj.weight").toArray()).containsExactly(a.proj.weight().toArray());
    assertThat(siblingsOf(dir)).containsExactly("ckpt");
  }

  @Test
  void aKillBetweenTheTwoRenamesIsRecoveredAndLeftoversAreCleanedUp() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Small a = new Small(1);
    Checkpoint.save(dir, config(2), a.stateDict());
    // The state a kill leaves on the portable path: the old checkpoint moved aside, a complete or
    // partial new one under a temporary name, nothing under the checkpoint's own name.
    Files.move(dir, tmp.resolve(".ckpt.old-1234"));
    Path partial = Files.createDirectory(tmp.resolve(".ckpt.tmp-999"));
    Files.writeString(partial.resolve("config.json"), "{\"trunc");
    Checkpoint.Contents c = Checkpoint.load(dir);
    assertThat(c.config().get("hidden_size").asInt()).isEqualTo(2);
    assertThat(c.tensors().get("proj.weight").toArray()).containsExactly(a.proj.weight().toArray());
    assertThat(siblingsOf(dir)).containsExactly(".ckpt.tmp-999", "ckpt"); // a reader deletes nothing
    Checkpoint.save(dir, config(3), new Small(4).stateDict());
    assertThat(siblingsOf(dir)).containsExactly("ckpt"); // the next writer does
  }

  @Test
  void aFixtureModelDirectoryLoadsAsACheckpoint() throws IOException {
    Path dir = Path.of("src", "test", "resources", "fixtures", "gpt");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dir), "gpt fixture directory present");
    Checkpoint.Contents c = Checkpoint.load(dir);
    assertThat(c.config().get("norm").asText()).isEqualTo("layernorm");
    assertThat(c.config().get("norm_eps").asDouble()).isEqualTo(1e-5);
    assertThat(c.metadata()).containsEntry("format", "pt");
    assertThat(c.tensors()).containsKey("model.embed_tokens.weight");
    assertThat(c.tensors().get("model.embed_tokens.weight").shape()).containsExactly(11, 16);
    // and saved again, it reads back the same
    Path copy = tmp.resolve("gpt");
    Checkpoint.save(copy, c.config(), c.tensors());
    Checkpoint.Contents d = Checkpoint.load(copy);
    assertThat(d.config()).isEqualTo(c.config());
    assertThat(d.tensors().keySet()).containsExactlyElementsOf(c.tensors().keySet());
  }

  @Test
  void aMissingDirectoryIsNamed() {
    Path dir = tmp.resolve("nope");
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void aFileInsteadOfADirectoryIsNamed() throws IOException {
    Path file = Files.writeString(tmp.resolve("model.safetensors"), "x");
    assertThatThrownBy(() -> Checkpoint.load(file)).isInstanceOf(CheckpointException.class).hasMessageContaining("not a directory");
    assertThatThrownBy(() -> Checkpoint.save(file, config(2), new Small(1).stateDict())).hasMessageContaining("not a directory");
  }

  @Test
  void aMissingConfigIsNamed() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config(2), new Small(1).stateDict());
    Files.delete(dir.resolve("config.json"));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("no config.json");
  }

  @Test
  void malformedConfigJsonNamesTheFileLineAndColumn() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config(2), new Small(1).stateDict());
    Files.writeString(dir.resolve("config.json"), "{\n  \"hidden_size\": 2,\n  \"norm\" \"layernorm\"\n}\n");
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(dir.resolve("config.json").toString())
        .hasMessageContaining("malformed JSON at line 3, column");
    Files.writeString(dir.resolve("config.json"), "{\"a\": 1, \"a\": 2}");
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("Duplicate field 'a'");
    Files.writeString(dir.resolve("config.json"), "[1, 2]");
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("expected a JSON object, got array");
    Files.writeString(dir.resolve("config.json"), "");
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("empty file");
    Files.writeString(dir.resolve("config.json"), "{} {}");
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("malformed JSON");
  }

  @Test
  void aMissingModelFileIsNamed() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config(2), new Small(1).stateDict());
    Files.delete(dir.resolve("model.safetensors"));
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("no model.safetensors");
  }

  @Test
  void aCorruptModelFileIsNamed() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Checkpoint.save(dir, config(2), new Small(1).stateDict());
    Path model = dir.resolve("model.safetensors");
    byte[] bytes = Files.readAllBytes(model);
    Files.write(model, java.util.Arrays.copyOf(bytes, bytes.length - 5)); // truncated
    assertThatThrownBy(() -> Checkpoint.load(dir))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("model.safetensors is corrupt");
    Files.write(model, "not a safetensors file".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("model.safetensors is corrupt");
  }

  @Test
  void anIntegerTensorInTheModelFileIsNamed() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("ckpt"));
    Files.writeString(dir.resolve("config.json"), "{}");
    Safetensors.write(dir.resolve("model.safetensors"), Map.of("w", Tensor.ones(2)), Map.of("ids", IntTensor.vector(1, 2)),
        Map.of());
    assertThatThrownBy(() -> Checkpoint.load(dir)).hasMessageContaining("'ids'").hasMessageContaining("I64");
  }

  @Test
  void loadingChecksEveryNameAndShapeThroughTheCheckpoint() throws IOException {
    Path dir = tmp.resolve("ckpt");
    Map<String, Tensor> state = new LinkedHashMap<>(new Small(1).stateDict());
    state.remove("norm.bias");
    Checkpoint.save(dir, config(2), state);
    assertThatThrownBy(() -> lmlab.nn.ModuleCheckpoint.loadInto(dir, new Small(2)))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("missing tensor 'norm.bias'");

    state = new LinkedHashMap<>(new Small(1).stateDict());
    state.put("norm.scale", Tensor.ones(2));
    Checkpoint.save(dir, config(2), state);
    assertThatThrownBy(() -> lmlab.nn.ModuleCheckpoint.loadInto(dir, new Small(2))).hasMessageContaining("unexpected tensor 'norm.scale'");

    state = new LinkedHashMap<>(new Small(1).stateDict());
    state.put("proj.weight", Tensor.ones(3, 2));
    Checkpoint.save(dir, config(2), state);
    assertThatThrownBy(() -> lmlab.nn.ModuleCheckpoint.loadInto(dir, new Small(2)))
        .hasMessageContaining("'proj.weight'")
        .hasMessageContaining("(3, 2)")
        .hasMessageContaining("(2, 3)");
  }
}
