package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.io.Safetensors;
import lmlab.io.WeightFiles;
import lmlab.io.WeightMapper;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a module from checkpoint files: mapped names, fused and transposed tensors, shards, reports. */
class ModuleCheckpointTest {
  @TempDir Path tmp;

  static final IntTensor TOKENS = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);

  static Transformer tiny(long seed) {
    return (Transformer) Models.preset("gpt", Map.of("vocab_size", "11", "hidden_size", "16", "num_hidden_layers",
        "2", "num_attention_heads", "2", "max_position_embeddings", "8")).newModel(seed);
  }

  static ObjectNode config() {
    return JsonNodeFactory.instance.objectNode().put("model_type", "test");
  }

  /**
   * A GPT-2-like layout, made from an lmlab state dict: names under "transformer.", each layer's
   * q/k/v fused into one Conv1D tensor {@code attn.c_attn.weight} (in, 3·out) (their biases into
   * one vector), o_proj stored transposed as {@code attn.c_proj.weight}, and a mask buffer
   * {@code attn.bias} that no model tensor comes from.
   */
  static Map<String, Tensor> fusedLayout(Map<String, Tensor> state, int layers) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    Map<String, Tensor> rest = new LinkedHashMap<>(state);
    for (int i = 0; i < layers; i++) {
      String a = "model.layers." + i + ".self_attn.";
      String f = "transformer.h." + i + ".attn.";
      out.put(f + "c_attn.weight", Tensor.cat(List.of(rest.remove(a + "q_proj.weight").transpose(0, 1),
          rest.remove(a + "k_proj.weight").transpose(0, 1), rest.remove(a + "v_proj.weight").transpose(0, 1)), 1)
          .contiguous());
      if (rest.containsKey(a + "q_proj.bias")) {
        out.put(f + "c_attn.bias", Tensor.cat(List.of(rest.remove(a + "q_proj.bias"), rest.remove(a + "k_proj.bias"),
            rest.remove(a + "v_proj.bias")), 0).contiguous());
      }
      out.put(f + "c_proj.weight", rest.remove(a + "o_proj.weight").transpose(0, 1).contiguous());
      out.put(f + "bias", Tensor.ones(1, 1, 8, 8));
    }
    rest.forEach((n, t) -> out.put("transformer." + n, t));
    return out;
  }

  /** The test mapper that undoes {@link #fusedLayout}: split, transpose, rename, ignore. */
  static final Pattern FUSED = Pattern.compile("transformer\\.h\\.(\\d+)\\.attn\\.(c_attn|c_proj|bias)(\\.weight|\\.bias)?");

  static final WeightMapper FUSED_MAPPER = (name, shape) -> {
    Matcher m = FUSED.matcher(name);
    if (!m.matches()) return List.of(WeightMapper.Piece.whole(name.substring("transformer.".length())));
    String a = "model.layers." + m.group(1) + ".self_attn.";
    String suffix = m.group(3);
    if (m.group(2).equals("bias")) return List.of(); // the causal mask buffer
    if (m.group(2).equals("c_proj")) return List.of(WeightMapper.Piece.whole(a + "o_proj.weight").transposed());
    List<WeightMapper.Piece> qkv = new ArrayList<>();
    int dim = shape.length - 1, width = shape[dim] / 3;
    String[] proj = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; j++) {
      WeightMapper.Piece p = WeightMapper.Piece.slice(a + proj[j] + suffix, dim, j * width, width);
      qkv.add(suffix.equals(".weight") ? p.transposed() : p);
    }
    return qkv;
  };

  @Test
  void aFusedTransposedLayoutLoadsThroughAMapperAndGivesTheSameLogits() throws IOException {
    Transformer a = tiny(1);
    Path dir = Files.createDirectories(tmp.resolve("fused"));
    Files.writeString(dir.resolve("config.json"), "{}");
    Map<String, Tensor> stored = fusedLayout(a.stateDict(), 2);
    assertThat(stored).containsKey("transformer.h.1.attn.c_attn.weight");
    assertThat(stored.get("transformer.h.1.attn.c_attn.weight").shape()).containsExactly(16, 48);
    Safetensors.write(dir.resolve(WeightFiles.SINGLE), stored);

    Transformer b = tiny(2);
    LoadReport r = ModuleCheckpoint.loadWeights(dir, b, FUSED_MAPPER, true);
    assertThat(r.complete()).isTrue();
    assertThat(r.ignored()).containsExactly("transformer.h.0.attn.bias", "transformer.h.1.attn.bias");
    assertThat(r.loaded()).hasSize(a.stateDict().size());
    assertThat(b.logits(TOKENS).toArray()).containsExactly(a.logits(TOKENS).toArray());

    // the identity mapper sees none of those names: strict refuses, naming them, and loads nothing
    Transformer c = tiny(3);
    float[] before = c.stateDict().get("model.norm.weight").toArray();
    assertThatThrownBy(() -> ModuleCheckpoint.loadWeights(dir, c, WeightMapper.IDENTITY, true))
        .isInstanceOf(CheckpointException.class)
        .hasMessageContaining("checkpoint " + dir)
        .hasMessageContaining("missing " + a.stateDict().size() + " tensors")
        .hasMessageContaining("unexpected tensors: 'transformer.");
    assertThat(c.stateDict().get("model.norm.weight").toArray()).containsExactly(before);
  }

  @Test
  void aMisShapedMappedTensorNamesWhereItCameFrom() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("fused"));
    Map<String, Tensor> stored = fusedLayout(tiny(1).stateDict(), 2);
    stored.put("transformer.h.0.attn.c_proj.weight", Tensor.ones(16, 8));
    Safetensors.write(dir.resolve(WeightFiles.SINGLE), stored);
    assertThatThrownBy(() -> ModuleCheckpoint.loadWeights(dir, tiny(2), FUSED_MAPPER, true))
        .hasMessageContaining("'model.layers.0.self_attn.o_proj.weight' (from transformer.h.0.attn.c_proj.weight.T)")
        .hasMessageContaining("(8, 16)")
        .hasMessageContaining("(16, 16)");
  }

  @Test
  void shardedCheckpointsRoundTripAndLoadNonStrictly() throws IOException {
    Transformer a = tiny(1);
    Path dir = tmp.resolve("sharded");
    ModuleCheckpoint.save(dir, config(), a, 4096);
    List<String> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    int shards = (int) files.stream().filter(f -> f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
    assertThat(shards).isGreaterThan(2);
    assertThat(files).contains("config.json", WeightFiles.INDEX, String.format("model-00001-of-%05d.safetensors", shards))
        .doesNotContain(WeightFiles.SINGLE);
    var index = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve(WeightFiles.INDEX).toFile());
    assertThat(index.get("weight_map").size()).isEqualTo(a.stateDict().size());
    long total = a.stateDict().values().stream().mapToLong(t -> 4L * t.numel()).sum();
    assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(total);

    Transformer b = tiny(2);
    assertThat(ModuleCheckpoint.loadInto(dir, b)).isEqualTo(config());
    assertThat(b.logits(TOKENS).toArray()).containsExactly(a.logits(TOKENS).toArray());
    assertThat(Checkpoint.load(dir).tensors().keySet()).containsExactlyInAnyOrderElementsOf(a.stateDict().keySet());

    // drop a tensor from the index: strict names it, non-strict reports it and loads the rest
    ObjectNode idx = (ObjectNode) index;
    ((ObjectNode) idx.get("weight_map")).remove("model.norm.bias");
    Files.write(dir.resolve(WeightFiles.INDEX), Checkpoint.configBytes(idx));
    assertThatThrownBy(() -> ModuleCheckpoint.loadInto(dir, tiny(3)))
        .hasMessageContaining("missing tensor 'model.norm.bias' (expected shape (16,))");
    Transformer c = tiny(3);
    LoadReport r = ModuleCheckpoint.loadWeights(dir, c, WeightMapper.IDENTITY, false);
    assertThat(r.missing()).containsExactly("model.norm.bias");
    assertThat(r.unexpected()).isEmpty();
    assertThat(c.stateDict().get("model.norm.weight").toArray()).containsExactly(a.stateDict().get("model.norm.weight").toArray());
  }

  @Test
  void oneShardIsWrittenAsAPlainFile() throws IOException {
    Path dir = tmp.resolve("one");
    ModuleCheckpoint.save(dir, config(), tiny(1), 1L << 30);
    assertThat(dir.resolve(WeightFiles.SINGLE)).isRegularFile();
    assertThat(dir.resolve(WeightFiles.INDEX)).doesNotExist();
  }
}
