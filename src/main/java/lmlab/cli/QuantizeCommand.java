package lmlab.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.Linear;
import lmlab.nn.Quantization;
import lmlab.nn.weights.QuantMethod;
import lmlab.nn.weights.QuantizedWeights;
import lmlab.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab quantize}: a checkpoint's Linear weights inside model.layers quantised (spec
 * lora.md) and written as a quantised checkpoint, with each tensor's bytes and weight error.
 */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Quantise every Linear weight inside model.layers of a checkpoint (embeddings, lm_head, norms and "
          + "biases stay float32) and write a quantised checkpoint that lmlab forward/generate/finetune load "
          + "as is.",
      "Prints one line per tensor: its bytes as stored (codes + constants), the float32 bytes, and the max "
          + "and mean absolute error |W - dequant(W~)|; then the model's weight bytes before and after.",
      "Methods: nf4, nf4-dq (double quantisation), int8 / intM / blockwise-mM (absmax int-M per block of "
          + "--block-size), absmax-mM (the course's, one scale per tensor).",
      "Exit codes: 1 when the checkpoint cannot be used, 2 for usage errors.",
      ""
    })
public final class QuantizeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "The checkpoint directory to quantise.")
  Path model;

  @Option(names = "--method", required = true, paramLabel = "METHOD", description = "nf4, nf4-dq, int8, intM, absmax-mM, blockwise-mM.")
  String method;

  @Option(names = "--block-size", paramLabel = "B", description = "Block size of the block-wise methods (default 64).")
  int blockSize = QuantMethod.DEFAULT_BLOCK;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The quantised checkpoint directory (written atomically).")
  Path out;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    QuantMethod qm = AdaptedModels.method(cl, method, blockSize);
    if (qm == null) throw new CommandLine.ParameterException(cl, "--method none: nothing to quantise");
    LanguageModel m;
    try {
      m = Models.load(model);
    } catch (IOException | IllegalArgumentException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    Map<String, Tensor> before = m.namedParameters();
    long f32 = Quantization.weightBytes(m);
    Map<String, Linear> q = Quantization.quantize(m, qm);
    if (q.isEmpty()) throw new CommandLine.ExecutionException(cl, model + " has no Linear inside model.layers to quantise");
    var o = cl.getOut();
    o.printf(Locale.ROOT, "%-44s %12s %12s %12s %12s%n", "tensor (" + qm.label() + (qm.blockSize() > 0 ? ", b = " + qm.blockSize() : "") + ")",
        "bytes", "f32 bytes", "max |err|", "mean |err|");
    for (var e : q.entrySet()) {
      float[] w = before.get(e.getKey() + ".weight").contiguous().toArray();
      QuantizedWeights qw = (QuantizedWeights) e.getValue().weights();
      float[] d = qw.dense();
      double max = 0;
      double sum = 0;
      for (int i = 0; i < w.length; i++) {
        double err = Math.abs(w[i] - d[i]);
        max = Math.max(max, err);
        sum += err;
      }
      o.printf(Locale.ROOT, "%-44s %,12d %,12d %12.3e %12.3e%n", e.getKey() + ".weight", qw.bytes(), 4L * w.length, max,
          sum / w.length);
    }
    long after = Quantization.weightBytes(m);
    o.printf(Locale.ROOT, "weight bytes: %,d float32 -> %,d quantised (%.1f%%)%n", f32, after, 100.0 * after / f32);
    try {
      Quantization.save(out, Checkpoint.readConfig(model), m);
    } catch (IOException e) {
      throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
    }
    cl.getErr().println("lmlab quantize: " + q.size() + " tensors as " + qm.label() + " -> " + out);
  }
}
