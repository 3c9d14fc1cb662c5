package lmlab.nn.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import lmlab.io.AtomicDirectory;
import lmlab.io.Checkpoint;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.Module;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Adapter directories in PEFT's format (spec lora.md): {@code adapter_config.json} (PEFT's keys,
 * indent 2, sorted) and {@code adapter_model.safetensors} with {@code base_model.model.<path>.lora_A.weight}
 * (r, in) and {@code .lora_B.weight} (out, r). lmlab loads them on its own model, PEFT's
 * {@code PeftModel.from_pretrained} on a Hugging Face model with the same module names.
 * Every refusal is one line naming the file and the key or tensor.
 */
public final class PeftAdapter {
  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";
  static final String PREFIX = "base_model.model.";
  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftAdapter() {}

  /** An adapter as read: its configuration, the base it names, and A/B by module path. */
  public record Adapter(LoraConfig config, String baseModel, Map<String, Tensor> loraA, Map<String, Tensor> loraB) {}

  /** Whether dir looks like an adapter directory (holds adapter_config.json). */
  public static boolean isAdapter(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG));
  }

  /** Reads adapter_config.json: PEFT's defaults for missing keys, unknown keys ignored, unsupported settings refused. */
  public static LoraConfig readConfig(Path dir) throws IOException {
    Path file = dir.resolve(CONFIG);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(dir + ": not an adapter directory (no " + CONFIG + ")");
    }
    JsonNode c;
    try {
      c = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
    }
    if (c == null || !c.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object");
    String peft = text(c, "peft_type", "LORA");
    if (!peft.equals("LORA")) refuse(file, "peft_type", "\"" + peft + "\"", "\"LORA\"");
    String bias = text(c, "bias", "none");
    if (!bias.equals("none")) refuse(file, "bias", "\"" + bias + "\"", "\"none\" (trained biases are not supported)");
    if (c.path("fan_in_fan_out").asBoolean(false)) refuse(file, "fan_in_fan_out", "true", "false");
    if (c.path("use_dora").asBoolean(false)) refuse(file, "use_dora", "true", "false (DoRA is not supported)");
    for (String k : List.of("rank_pattern", "alpha_pattern")) {
      JsonNode v = c.get(k);
      if (v != null && !v.isNull() && !(v.isObject() && v.isEmpty())) refuse(file, k, v.toString(), "{} (one rank and alpha for all)");
    }
    for (String k : List.of("modules_to_save", "layers_to_transform")) {
      JsonNode v = c.get(k);
      if (v != null && !v.isNull() && !(v.isArray() && v.isEmpty())) refuse(file, k, v.toString(), "null");
    }
    int r = c.path("r").asInt(8);
    double alpha = c.has("lora_alpha") ? c.get("lora_alpha").asDouble() : 8;
    double dropout = c.path("lora_dropout").asDouble(0);
    boolean rslora = c.path("use_rslora").asBoolean(false);
    LoraTargets targets;
    JsonNode t = c.get("target_modules");
    if (t == null || t.isNull()) {
      targets = LoraTargets.DEFAULT;
    } else if (t.isTextual()) {
      targets = t.asText().equals("all-linear") ? new LoraTargets.AllLinear() : new LoraTargets.Regex(t.asText());
    } else if (t.isArray()) {
      List<String> names = new ArrayList<>();
      for (JsonNode n : t) names.add(n.asText());
      targets = new LoraTargets.Names(names);
    } else {
      throw new IllegalArgumentException(file + ": target_modules must be a list of names or a regex string, got " + t);
    }
    try {
      return new LoraConfig(r, alpha, dropout, rslora, targets);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /** Reads an adapter directory whole (config and tensors, converted to float32). */
  public static Adapter read(Path dir) throws IOException {
    LoraConfig config = readConfig(dir);
    String base = JSON.readTree(dir.resolve(CONFIG).toFile()).path("base_model_name_or_path").asText(null);
    Path file = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException(dir + ": no " + WEIGHTS + " beside " + CONFIG);
    Map<String, Tensor> a = new TreeMap<>();
    Map<String, Tensor> b = new TreeMap<>();
    try (SafetensorsFile f = Safetensors.read(file)) {
      for (String name : f.names()) {
        String path = modulePath(file, name);
        Tensor v = f.tensor(name);
        if (name.endsWith(".lora_A.weight")) a.put(path, v);
        else b.put(path, v);
      }
    }
    return new Adapter(config, base, a, b);
  }

  private static String modulePath(Path file, String name) {
    boolean isA = name.endsWith(".lora_A.weight");
    boolean isB = name.endsWith(".lora_B.weight");
    if (!name.startsWith(PREFIX) || !(isA || isB)) {
      throw new IllegalArgumentException(file + ": tensor \"" + name + "\" is not named " + PREFIX
          + "<module path>.lora_A.weight or .lora_B.weight");
    }
    return name.substring(PREFIX.length(), name.length() - ".lora_A.weight".length());
  }

  /**
   * Adapts model as the adapter directory says ({@link Lora#attach}) and loads its tensors. Every
   * targeted module needs both tensors with shapes (r, in) and (out, r); a tensor for a module not
   * targeted is refused. Returns the adapted modules.
   */
  public static Map<String, LoraLinear> load(Module model, Path dir) throws IOException {
    Adapter ad = read(dir);
    Path file = dir.resolve(WEIGHTS);
    Map<String, lmlab.nn.Linear> targets;
    try {
      targets = ad.config().targets().select(model);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(dir.resolve(CONFIG) + ": " + e.getMessage());
    }
    Set<String> stored = new LinkedHashSet<>(ad.loraA().keySet());
    stored.addAll(ad.loraB().keySet());
    for (String p : stored) {
      if (!targets.containsKey(p)) {
        throw new IllegalArgumentException(file + ": tensors for module '" + p + "', which target_modules "
            + ad.config().targets().describe() + " does not select in this model");
      }
    }
    int r = ad.config().rank();
    for (var e : targets.entrySet()) { // every check before the model changes
      need(file, ad.loraA(), e.getKey(), "lora_A", r, e.getValue().inFeatures());
      need(file, ad.loraB(), e.getKey(), "lora_B", e.getValue().outFeatures(), r);
    }
    Map<String, LoraLinear> mods = Lora.attach(model, ad.config(), 0L);
    for (var e : mods.entrySet()) {
      e.getValue().loraA().copy_(ad.loraA().get(e.getKey()));
      e.getValue().loraB().copy_(ad.loraB().get(e.getKey()));
    }
    return mods;
  }

  private static Tensor need(Path file, Map<String, Tensor> ts, String path, String which, int rows, int cols) {
    Tensor t = ts.get(path);
    String name = PREFIX + path + "." + which + ".weight";
    if (t == null) throw new IllegalArgumentException(file + ": no tensor \"" + name + "\" for the targeted module '" + path + "'");
    if (t.dim() != 2 || t.size(0) != rows || t.size(1) != cols) {
      throw new IllegalArgumentException(file + ": tensor \"" + name + "\" has shape " + Shape.str(t.shape())
          + ", the base model needs (" + rows + ", " + cols + ")");
    }
    return t;
  }

  /**
   * Writes model's adapters as a PEFT directory, atomically: the config PEFT writes (with
   * baseModel, the base as the user named it) and A/B in float32.
   */
  public static void write(Path dir, Module model, LoraConfig config, String baseModel) throws IOException {
    if (Lora.adapters(model).isEmpty()) throw new IllegalArgumentException("the model has no adapter to write");
    AtomicDirectory.write(dir, tmp -> writeFiles(tmp, model, config, baseModel));
  }

  /** The two adapter files into an existing directory (one being filled for an atomic write). */
  public static void writeFiles(Path dir, Module model, LoraConfig config, String baseModel) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (var e : Lora.adapterState(model).entrySet()) tensors.put(PREFIX + e.getKey(), e.getValue());
    Files.write(dir.resolve(CONFIG), Checkpoint.configBytes(configJson(config, baseModel)));
    Safetensors.write(dir.resolve(WEIGHTS), tensors, Map.of(), Map.of("format", "pt"));
  }

  /**
   * Copies an adapter directory's tensors into the adapters model already has (resuming a run):
   * the same modules, ranks and shapes, else an error naming the file and tensor.
   */
  public static void loadTensors(Module model, Path dir) throws IOException {
    Adapter ad = read(dir);
    Path file = dir.resolve(WEIGHTS);
    Map<String, LoraLinear> mods = Lora.adapters(model);
    Set<String> stored = new LinkedHashSet<>(ad.loraA().keySet());
    stored.addAll(ad.loraB().keySet());
    for (String p : stored) {
      if (!mods.containsKey(p)) throw new IllegalArgumentException(file + ": tensors for module '" + p + "', which is not adapted");
    }
    for (var e : mods.entrySet()) {
      LoraLinear l = e.getValue();
      need(file, ad.loraA(), e.getKey(), "lora_A", l.rank(), l.inFeatures());
      need(file, ad.loraB(), e.getKey(), "lora_B", l.outFeatures(), l.rank());
    }
    for (var e : mods.entrySet()) {
      e.getValue().loraA().copy_(ad.loraA().get(e.getKey()));
      e.getValue().loraB().copy_(ad.loraB().get(e.getKey()));
    }
  }

  /** adapter_config.json's content as PEFT writes it (sorted keys). */
  public static ObjectNode configJson(LoraConfig config, String baseModel) {
    ObjectNode o = JSON.createObjectNode();
    o.putObject("alpha_pattern");
    o.put("base_model_name_or_path", baseModel);
    o.put("bias", "none");
    o.put("fan_in_fan_out", false);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    if (config.alpha() == Math.rint(config.alpha())) o.put("lora_alpha", (long) config.alpha());
    else o.put("lora_alpha", config.alpha());
    o.put("lora_dropout", config.dropout());
    o.putNull("modules_to_save");
    o.put("peft_type", "LORA");
    o.put("r", config.rank());
    o.putObject("rank_pattern");
    o.putNull("revision");
    switch (config.targets()) {
      case LoraTargets.Names n -> {
        ArrayNode arr = o.putArray("target_modules");
        n.names().forEach(arr::add);
      }
      case LoraTargets.Regex r -> o.put("target_modules", r.regex());
      case LoraTargets.AllLinear a -> o.put("target_modules", "all-linear");
    }
    o.put("task_type", "CAUSAL_LM");
    o.put("use_dora", false);
    o.put("use_rslora", config.rslora());
    return o;
  }

  private static String text(JsonNode c, String key, String dflt) {
    JsonNode v = c.get(key);
    return v == null || v.isNull() ? dflt : v.asText();
  }

  private static void refuse(Path file, String key, String got, String expected) {
    throw new IllegalArgumentException(file + ": " + key + " is " + got + "; lmlab reads " + expected);
  }
}
