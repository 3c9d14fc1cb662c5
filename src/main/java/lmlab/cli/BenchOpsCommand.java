package lmlab.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import lmlab.kernels.Parallel;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench ops}: the fused kernels a Transformer step spends its non-GEMM time in, at the
 * shapes of the chargpt preset (B 64, S 128, d 192, 6 heads of 32, V 65), forward and
 * forward + backward, with the heap bytes one forward + backward allocates.
 */
@Command(
    name = "ops",
    mixinStandardHelpOptions = true,
    description = {
      "Measure softmax, cross-entropy, layer norm, GELU and attention-sized batched matmuls; prints one "
          + "JSON object per line:",
      "  {\"bench\":\"ops\",\"op\":\"softmax\",\"shape\":[64,6,128,128],\"fwd_ms\":..,",
      "   \"fwd_bwd_ms\":..,\"fwd_gbps\":..,\"alloc_bytes\":..,\"threads\":2}",
      "   (fwd_gflops for the matmuls)",
      "Times are medians after warm-up; alloc_bytes is the heap one forward + backward allocates.",
      ""
    })
public final class BenchOpsCommand implements Runnable {
  enum Op {
    SOFTMAX, LOG_SOFTMAX, CROSS_ENTROPY, LAYER_NORM, GELU, GELU_TANH, ATTENTION_SCORES, ATTENTION_VALUES
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--ops",
      split = ",",
      paramLabel = "OP",
      converter = OpConverter.class,
      description = "Comma-separated subset of: ${COMPLETION-CANDIDATES} (default: all).")
  List<Op> ops = List.of(Op.values());

  @Option(names = "--batch", paramLabel = "B", defaultValue = "64", description = "Batch size. Default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--seq", paramLabel = "S", defaultValue = "128", description = "Sequence length. Default: ${DEFAULT-VALUE}")
  int seq;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "10", description = "Timed repetitions. Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--warmup", paramLabel = "W", defaultValue = "5", description = "Untimed calls first. Default: ${DEFAULT-VALUE}")
  int warmup;

  static final int D = 192, HEADS = 6, HEAD_DIM = 32, VOCAB = 65;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--reps", reps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    Flags.atLeast(cl, "--batch", batch, 1);
    Flags.atLeast(cl, "--seq", seq, 1);
    PrintWriter out = cl.getOut();
    for (Op op : ops) measure(out, op);
  }

  /** One workload: its inputs (leaves that require grad) and the op applied to them. */
  private record Workload(Tensor[] inputs, java.util.function.Function<Tensor[], Tensor> forward) {}

  private Workload workload(Op op) {
    Rng rng = new Rng(1);
    int rows = batch * seq;
    return switch (op) {
      case SOFTMAX -> unary(Tensor.randn(rng, batch, HEADS, seq, seq), x -> x.softmax(-1));
      case LOG_SOFTMAX -> unary(Tensor.randn(rng, rows, VOCAB), x -> x.logSoftmax(-1));
      case CROSS_ENTROPY -> {
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) t[i] = rng.nextInt(VOCAB);
        IntTensor targets = IntTensor.of(t, rows);
        yield unary(Tensor.randn(rng, rows, VOCAB), x -> x.crossEntropy(targets, -100, Reduction.MEAN));
      }
      case LAYER_NORM -> {
        Tensor w = Tensor.ones(D).requiresGrad(true);
        Tensor b = Tensor.zeros(D).requiresGrad(true);
        Tensor x = Tensor.randn(rng, batch, seq, D).requiresGrad(true);
        yield new Workload(new Tensor[] {x, w, b}, in -> in[0].layerNorm(in[1], in[2], 1e-5f));
      }
      case GELU -> unary(Tensor.randn(rng, batch, seq, 4 * D), Tensor::gelu);
      case GELU_TANH -> unary(Tensor.randn(rng, batch, seq, 4 * D), Tensor::geluTanh);
      case ATTENTION_SCORES -> { // q kᵀ: (B, H, S, d_h) @ (B, H, d_h, S)
        Tensor q = Tensor.randn(rng, batch, HEADS, seq, HEAD_DIM).requiresGrad(true);
        Tensor k = Tensor.randn(rng, batch, HEADS, seq, HEAD_DIM).requiresGrad(true);
        yield new Workload(new Tensor[] {q, k}, in -> in[0].matmul(in[1].transpose(-2, -1)));
      }
      case ATTENTION_VALUES -> { // a v: (B, H, S, S) @ (B, H, S, d_h)
        Tensor a = Tensor.randn(rng, batch, HEADS, seq, seq).requiresGrad(true);
        Tensor v = Tensor.randn(rng, batch, HEADS, seq, HEAD_DIM).requiresGrad(true);
        yield new Workload(new Tensor[] {a, v}, in -> in[0].matmul(in[1]));
      }
    };
  }

  private static Workload unary(Tensor x, java.util.function.UnaryOperator<Tensor> f) {
    x.requiresGrad(true);
    return new Workload(new Tensor[] {x}, in -> f.apply(in[0]));
  }

  private void measure(PrintWriter out, Op op) {
    Workload w = workload(op);
    Tensor probe;
    try (var g = lmlab.autograd.Autograd.noGrad()) {
      probe = w.forward().apply(w.inputs());
    }
    Tensor upstream = Tensor.randn(new Rng(2), probe.shape());
    Supplier<Tensor> fwd = () -> {
      try (var g = lmlab.autograd.Autograd.noGrad()) {
        return w.forward().apply(w.inputs());
      }
    };
    Runnable fwdBwd = () -> {
      for (Tensor t : w.inputs()) t.zeroGrad();
      w.forward().apply(w.inputs()).backward(upstream);
    };
    double fwdSeconds = BenchSupport.medianSeconds(warmup, reps, fwd::get);
    double fwdBwdSeconds = BenchSupport.medianSeconds(warmup, reps, fwdBwd);
    long alloc = BenchSupport.allocatedPerCall(Math.min(reps, 3), fwdBwd);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "ops");
    row.put("op", op.name().toLowerCase(Locale.ROOT));
    row.put("shape", w.inputs()[0].shape());
    row.put("fwd_ms", BenchSupport.fourDigits(fwdSeconds * 1e3));
    row.put("fwd_bwd_ms", BenchSupport.fourDigits(fwdBwdSeconds * 1e3));
    if (op == Op.ATTENTION_SCORES || op == Op.ATTENTION_VALUES) {
      double flops = 2.0 * batch * HEADS * seq * seq * HEAD_DIM;
      row.put("fwd_gflops", BenchSupport.fourDigits(flops / fwdSeconds / 1e9));
    } else {
      double bytes = 4.0 * (w.inputs()[0].numel() + probe.numel()); // read x, write y
      row.put("fwd_gbps", BenchSupport.fourDigits(bytes / fwdSeconds / 1e9));
    }
    row.put("alloc_bytes", alloc);
    row.put("threads", Parallel.threads());
    BenchSupport.printJson(out, row);
  }

  /** softmax, LOG_SOFTMAX, cross-entropy, ... in any case, '-' or '_'. */
  static final class OpConverter implements CommandLine.ITypeConverter<Op> {
    @Override
    public Op convert(String value) {
      String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (Op op : Op.values()) if (op.name().equals(v)) return op;
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not an op: use one of " + java.util.Arrays.toString(Op.values()).toLowerCase(Locale.ROOT));
    }
  }
}
