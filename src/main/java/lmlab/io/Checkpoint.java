package lmlab.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * A checkpoint directory: {@code config.json} (the model configuration, indent 2, keys in the
 * order given, final newline) and {@code model.safetensors} (the state dict, metadata
 * {@code {"format": "pt"}}) or, when asked for a maximum shard size, Hugging Face's shards
 * {@code model-00001-of-0000N.safetensors} with {@code model.safetensors.index.json}; written through
 * {@link AtomicDirectory} so that a kill never leaves a torn checkpoint. Training state
 * ({@code optimizer.safetensors}, {@code trainer.json}) can be written into the same directory by
 * {@link #save(Path, ObjectNode, Map, AtomicDirectory.Content)}.
 *
 * <p>This class knows files, not modules: loading into a model, tensor by tensor from the mapped
 * files, is {@code lmlab.nn.ModuleCheckpoint}'s.
 */
public final class Checkpoint {
  public static final String CONFIG = "config.json";
  public static final String MODEL = "model.safetensors";
  public static final Map<String, String> MODEL_METADATA = Map.of("format", "pt");

  private static final ObjectMapper JSON = JsonMapper.builder()
      // Hugging Face's Mamba-2 configs hold time_step_limit [0.0, Infinity]: read and written as that bare token
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .disable(com.fasterxml.jackson.core.json.JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** What a checkpoint holds: the configuration and the tensors in file order, with the file's metadata. */
  public record Contents(ObjectNode config, Map<String, Tensor> tensors, Map<String, String> metadata) {}

  private Checkpoint() {}

  /** Writes config.json and model.safetensors into dir, atomically replacing any checkpoint there. */
  public static void save(Path dir, ObjectNode config, Map<String, Tensor> state) throws IOException {
    save(dir, config, state, null);
  }

  /**
   * As {@link #save(Path, ObjectNode, Map)}, and extra (if not null) writes further files (training
   * state) into the same temporary directory, so they appear together with the model or not at all.
   */
  public static void save(Path dir, ObjectNode config, Map<String, Tensor> state, AtomicDirectory.Content extra)
      throws IOException {
    save(dir, config, state, extra, 0);
  }

  /**
   * As {@link #save(Path, ObjectNode, Map, AtomicDirectory.Content)}; with maxShardBytes > 0 the
   * tensors (in the state dict's order) fill shards of at most that many data bytes (a larger
   * tensor gets a shard of its own), written as Hugging Face does: {@code model-00001-of-00003.safetensors}
   * ... and {@code model.safetensors.index.json} (total_size, weight_map). One shard is written as
   * a plain model.safetensors.
   */
  public static void save(Path dir, ObjectNode config, Map<String, Tensor> state, AtomicDirectory.Content extra,
      long maxShardBytes) throws IOException {
    if (config == null) throw new IllegalArgumentException("checkpoint " + dir + ": config is null");
    if (state == null) throw new IllegalArgumentException("checkpoint " + dir + ": state is null");
    if (maxShardBytes < 0) throw new IllegalArgumentException("checkpoint " + dir + ": max shard size < 0");
    byte[] json = configBytes(config);
    List<Map<String, Tensor>> shards = shards(state, maxShardBytes);
    AtomicDirectory.write(dir, tmp -> {
      Files.write(tmp.resolve(CONFIG), json);
      if (shards.size() == 1) {
        Safetensors.write(tmp.resolve(MODEL), state, Map.of(), MODEL_METADATA);
      } else {
        writeShards(tmp, shards);
      }
      if (extra != null) extra.write(tmp);
    });
  }

  private static List<Map<String, Tensor>> shards(Map<String, Tensor> state, long maxBytes) {
    List<Map<String, Tensor>> out = new ArrayList<>();
    Map<String, Tensor> current = new LinkedHashMap<>();
    long bytes = 0;
    for (var e : state.entrySet()) {
      long b = 4L * e.getValue().numel();
      if (maxBytes > 0 && !current.isEmpty() && bytes + b > maxBytes) {
        out.add(current);
        current = new LinkedHashMap<>();
        bytes = 0;
      }
      current.put(e.getKey(), e.getValue());
      bytes += b;
    }
    out.add(current);
    return out;
  }

  private static void writeShards(Path tmp, List<Map<String, Tensor>> shards) throws IOException {
    ObjectNode index = JSON.createObjectNode();
    ObjectNode weightMap = JSON.createObjectNode();
    long total = 0;
    Map<String, String> sorted = new java.util.TreeMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String file = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Safetensors.write(tmp.resolve(file), shards.get(i), Map.of(), MODEL_METADATA);
      for (var e : shards.get(i).entrySet()) {
        sorted.put(e.getKey(), file);
        total += 4L * e.getValue().numel();
      }
    }
    index.putObject("metadata").put("total_size", total);
    sorted.forEach(weightMap::put);
    index.set("weight_map", weightMap);
    Files.write(tmp.resolve(WeightFiles.INDEX), configBytes(index));
  }

  /** config as config.json holds it: indent 2, "key": value, one array element a line, final newline. */
  public static byte[] configBytes(ObjectNode config) {
    DefaultIndenter indent = new DefaultIndenter("  ", "\n");
    Separators seps = Separators.createDefaultInstance()
        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
        .withObjectEmptySeparator("")
        .withArrayEmptySeparator("");
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter(seps).withObjectIndenter(indent).withArrayIndenter(indent);
    try {
      return (JSON.writer(pp).writeValueAsString(config) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the config: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads a checkpoint directory whole: the parsed config.json and a copy of every tensor of
   * model.safetensors (or of its shards). For inspection and tools; a model loads through
   * {@code lmlab.nn.ModuleCheckpoint}, which copies from the mapped files without this copy.
   */
  public static Contents load(Path dir) throws IOException {
    ObjectNode config = readConfig(dir);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Map<String, String> metadata;
    try (WeightFiles f = WeightFiles.open(dir)) {
      metadata = f.metadata();
      for (String name : f.names()) {
        String dtype = f.dtype(name);
        if (!DType.parse(dtype).isFloating()) {
          throw new CheckpointException(dir.resolve(MODEL) + ": tensor '" + name + "' is " + dtype
              + "; model parameters and buffers must be floating point");
        }
        int[] shape = f.shape(name);
        float[] values = new float[Shape.numel(shape)];
        f.readFloats(name, 0, values, 0, values.length);
        tensors.put(name, Tensor.of(values, shape));
      }
    }
    return new Contents(config, Collections.unmodifiableMap(tensors), metadata);
  }

  /** Reads and parses dir/config.json alone (a JSON object), with errors naming the file, line and column. */
  public static ObjectNode readConfig(Path dir) throws IOException {
    AtomicDirectory.recover(dir);
    if (!Files.exists(dir)) throw new CheckpointException("checkpoint directory " + dir + " does not exist");
    if (!Files.isDirectory(dir)) {
      throw new CheckpointException("checkpoint " + dir + " is not a directory (expected a directory holding " + CONFIG
          + " and " + MODEL + ")");
    }
    Path file = dir.resolve(CONFIG);
    if (!Files.isRegularFile(file)) {
      throw new CheckpointException("checkpoint " + dir + ": no " + CONFIG + " (a checkpoint directory holds " + CONFIG
          + " and " + MODEL + ")");
    }
    return parseConfig(file, Files.readAllBytes(file));
  }

  /** Parses config bytes; file only names the source in errors. */
  static ObjectNode parseConfig(Path file, byte[] bytes) throws CheckpointException {
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new CheckpointException(file + ": malformed JSON" + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
    if (node == null || node.isMissingNode()) throw new CheckpointException(file + ": empty file, expected a JSON object");
    if (!(node instanceof ObjectNode o)) {
      throw new CheckpointException(file + ": expected a JSON object, got " + node.getNodeType().toString().toLowerCase(
          java.util.Locale.ROOT));
    }
    return o;
  }
}
