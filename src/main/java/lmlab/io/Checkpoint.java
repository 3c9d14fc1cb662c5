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
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.nn.Module;
import lmlab.tensor.Tensor;

/**
 * A checkpoint directory: {@code config.json} (the model configuration, indent 2, keys in the
 * order given, final newline) and {@code model.safetensors} (the state dict, metadata
 * {@code {"format": "pt"}}), written through {@link AtomicDirectory} so that a kill never leaves a
 * torn checkpoint. Training state ({@code optimizer.safetensors}, {@code trainer.json}) can be
 * written into the same directory by {@link #save(Path, ObjectNode, Map, AtomicDirectory.Content)}.
 */
public final class Checkpoint {
  public static final String CONFIG = "config.json";
  public static final String MODEL = "model.safetensors";
  public static final Map<String, String> MODEL_METADATA = Map.of("format", "pt");

  private static final ObjectMapper JSON = JsonMapper.builder()
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

  /** Saves module's state dict with config. */
  public static void save(Path dir, ObjectNode config, Module module) throws IOException {
    save(dir, config, module.stateDict());
  }

  /**
   * As {@link #save(Path, ObjectNode, Map)}, and extra (if not null) writes further files (training
   * state) into the same temporary directory, so they appear together with the model or not at all.
   */
  public static void save(Path dir, ObjectNode config, Map<String, Tensor> state, AtomicDirectory.Content extra)
      throws IOException {
    if (config == null) throw new IllegalArgumentException("checkpoint " + dir + ": config is null");
    if (state == null) throw new IllegalArgumentException("checkpoint " + dir + ": state is null");
    byte[] json = configBytes(config);
    AtomicDirectory.write(dir, tmp -> {
      Files.write(tmp.resolve(CONFIG), json);
      Safetensors.write(tmp.resolve(MODEL), state, Map.of(), MODEL_METADATA);
      if (extra != null) extra.write(tmp);
    });
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

  /** Reads a checkpoint directory: the parsed config.json and every tensor of model.safetensors. */
  public static Contents load(Path dir) throws IOException {
    ObjectNode config = readConfig(dir);
    Path model = dir.resolve(MODEL);
    if (!Files.isRegularFile(model)) {
      throw new CheckpointException("checkpoint " + dir + ": no " + MODEL + " (a checkpoint directory holds " + CONFIG
          + " and " + MODEL + ")");
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Map<String, String> metadata;
    try (SafetensorsFile f = Safetensors.read(model)) {
      metadata = f.metadata();
      for (String name : f.names()) {
        String dtype = f.dtype(name);
        if (!(dtype.startsWith("F") || dtype.equals("BF16"))) {
          throw new CheckpointException(model + ": tensor '" + name + "' is " + dtype
              + "; model parameters and buffers must be floating point");
        }
        tensors.put(name, f.tensor(name));
      }
    } catch (SafetensorsException e) {
      throw new CheckpointException("checkpoint " + dir + ": " + MODEL + " is corrupt: " + e.getMessage(), e);
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

  /**
   * Loads dir's tensors into module ({@link Module#loadStateDict}: every name and shape checked, the
   * first missing, unexpected or mis-shaped tensor named) and returns the config.
   */
  public static ObjectNode loadInto(Path dir, Module module) throws IOException {
    Contents c = load(dir);
    try {
      module.loadStateDict(c.tensors());
    } catch (IllegalArgumentException e) {
      throw new CheckpointException("checkpoint " + dir + ": " + e.getMessage(), e);
    }
    return c.config();
  }
}
