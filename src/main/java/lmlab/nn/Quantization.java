package lmlab.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.AtomicDirectory;
import lmlab.io.Checkpoint;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.weights.QuantMethod;
import lmlab.nn.weights.QuantizedTensor;
import lmlab.nn.weights.QuantizedWeights;
import lmlab.tensor.Tensor;

/**
 * Quantised bases (spec lora.md, QLoRA): every Linear weight inside {@code model.layers} becomes a
 * {@link QuantizedWeights} (codes and constants; the float32 original is dropped), by module
 * surgery; embeddings, the head, norms and biases stay float32. Quantised checkpoints: config.json
 * and model.safetensors with the float tensors as F32 and each quantised weight P.weight as
 * {@code P.weight.codes} (U8, packed) plus {@code P.weight.scales} (F32), or with double
 * quantisation {@code P.weight.dq_codes} (U8), {@code P.weight.dq_absmax} and
 * {@code P.weight.dq_offset}; the header metadata names the method and block size.
 */
public final class Quantization {
  public static final String METHOD_KEY = "lmlab_quantization";
  public static final String BLOCK_KEY = "lmlab_block_size";

  private Quantization() {}

  /** Replaces each float32 Linear inside model.layers by one over its quantised weight. Returns them by path. */
  public static Map<String, Linear> quantize(Module model, QuantMethod method) {
    Map<String, Linear> out = new LinkedHashMap<>();
    for (var e : model.namedModules().entrySet()) {
      if (!e.getKey().startsWith("model.layers.") || !(e.getValue() instanceof Linear lin) || lin.weight() == null) continue;
      if (lin.getClass() != Linear.class) {
        throw new IllegalArgumentException("quantize: '" + e.getKey() + "' is a " + lin.getClass().getSimpleName()
            + "; quantise the base before adapting it");
      }
      Linear q = new Linear(QuantizedWeights.quantize(lin.weight(), method), lin.bias());
      q.train(lin.isTraining());
      out.put(e.getKey(), q);
    }
    for (var e : out.entrySet()) model.replaceChild(e.getKey(), e.getValue());
    return out;
  }

  /**
   * Bytes of the weights the model holds, from its own storage: every parameter at 4 bytes (tied
   * tensors once), plus the codes and constants of each quantised Linear.
   */
  public static long weightBytes(Module model) {
    long bytes = 0;
    for (Tensor t : model.namedParameters().values()) bytes += 4L * t.numel();
    for (Module m : model.namedModules().values()) {
      if (m instanceof Linear lin && lin.weight() == null) bytes += lin.weights().bytes();
    }
    return bytes;
  }

  /**
   * The model's parameters counted as a model card counts them: every parameter tensor (tied ones
   * once) plus the out·in weights of each Linear held in another format (quantised codes, bf16),
   * which are frozen and so are not parameter tensors.
   */
  public static long parameters(Module model) {
    long n = model.numParameters();
    for (Module m : model.namedModules().values()) {
      if (m instanceof Linear lin && lin.weight() == null) n += (long) lin.weights().rows() * lin.weights().cols();
    }
    return n;
  }

  /** Whether dir holds a quantised checkpoint (its model.safetensors names a method). */
  public static boolean isQuantized(Path dir) throws IOException {
    Path f = dir.resolve(Checkpoint.MODEL);
    if (!Files.isRegularFile(f)) return false;
    try (SafetensorsFile sf = Safetensors.read(f)) {
      return sf.metadata().containsKey(METHOD_KEY);
    }
  }

  /** Writes a quantised model as a checkpoint directory, atomically. */
  public static void save(Path dir, ObjectNode config, Module model) throws IOException {
    Map<String, Tensor> floats = new LinkedHashMap<>(model.stateDict());
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    QuantMethod method = null;
    for (var e : model.namedModules().entrySet()) {
      if (!(e.getValue() instanceof Linear lin) || !(lin.weights() instanceof QuantizedWeights qw)) continue;
      QuantizedTensor q = qw.tensor();
      if (method != null && !method.equals(q.method())) throw new IllegalArgumentException("quantize: mixed methods in one model");
      method = q.method();
      String p = e.getKey() + ".weight.";
      bytes.put(p + "codes", q.packedCodes());
      if (q.method().doubleQuant()) {
        bytes.put(p + "dq_codes", q.dqCodes());
        floats.put(p + "dq_absmax", Tensor.of(q.dqAbsmax(), q.dqAbsmax().length));
        floats.put(p + "dq_offset", Tensor.scalar(q.dqOffset()));
      } else {
        floats.put(p + "scales", Tensor.of(q.scales(), q.scales().length));
      }
    }
    if (method == null) throw new IllegalArgumentException("quantize: the model has no quantised Linear");
    Map<String, String> meta = new LinkedHashMap<>(Checkpoint.MODEL_METADATA);
    meta.put(METHOD_KEY, method.label());
    meta.put(BLOCK_KEY, Integer.toString(method.blockSize() == 0 ? 0 : method.blockSize()));
    byte[] json = Checkpoint.configBytes(config);
    AtomicDirectory.write(dir, tmp -> {
      Files.write(tmp.resolve(Checkpoint.CONFIG), json);
      Safetensors.writeWithBytes(tmp.resolve(Checkpoint.MODEL), floats, bytes, meta);
    });
  }

  /**
   * Loads a quantised checkpoint into model (built with zero weights from its config.json): the
   * quantised Linear modules are replaced by ones over the stored codes, then every float tensor
   * is loaded strictly. Errors name the file and the method, tensor or size at fault.
   */
  public static void loadInto(Path dir, Module model) throws IOException {
    Path file = dir.resolve(Checkpoint.MODEL);
    try (SafetensorsFile f = Safetensors.read(file)) {
      String label = f.metadata().get(METHOD_KEY);
      QuantMethod method;
      try {
        String b = f.metadata().getOrDefault(BLOCK_KEY, "64");
        int block = Integer.parseInt(b);
        method = QuantMethod.parse(label, block == 0 ? QuantMethod.DEFAULT_BLOCK : block);
        if (block == 0 && method.blockSize() != 0 || block != 0 && method.blockSize() == 0) {
          throw new IllegalArgumentException("block size " + b + " does not fit method '" + label + "'");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage());
      }
      Map<String, Tensor> floats = new LinkedHashMap<>();
      Map<String, Linear> quantized = new LinkedHashMap<>();
      Map<String, Module> modules = model.namedModules();
      for (String name : f.names()) {
        if (!name.endsWith(".weight.codes")) continue;
        String path = name.substring(0, name.length() - ".weight.codes".length());
        if (!(modules.get(path) instanceof Linear lin)) {
          throw new IllegalArgumentException(file + ": tensor \"" + name + "\" names no Linear of the model");
        }
        String p = path + ".weight.";
        QuantizedTensor q;
        try {
          int n = lin.inFeatures() * lin.outFeatures();
          q = method.doubleQuant()
              ? QuantizedTensor.of(method, n, f.bytes(p + "codes"), null, f.bytes(p + "dq_codes"),
                  f.tensor(p + "dq_absmax").toArray(), f.tensor(p + "dq_offset").item())
              : QuantizedTensor.of(method, n, f.bytes(p + "codes"), f.tensor(p + "scales").toArray(), null, null, 0f);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + ": " + path + ".weight: " + e.getMessage());
        }
        Linear ql = new Linear(new QuantizedWeights(q, lin.outFeatures(), lin.inFeatures()), lin.bias());
        ql.train(lin.isTraining());
        quantized.put(path, ql);
      }
      for (String name : f.names()) {
        String dtype = f.dtype(name);
        int cut = name.lastIndexOf(".weight.");
        if (cut >= 0 && quantized.containsKey(name.substring(0, cut))) continue;
        if (!dtype.equals("U8")) floats.put(name, f.tensor(name));
      }
      for (var e : quantized.entrySet()) model.replaceChild(e.getKey(), e.getValue());
      try {
        model.loadStateDict(floats, true);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage());
      }
    }
  }
}
