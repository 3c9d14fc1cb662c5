package lmlab.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.kernels.Parallel;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.BandAttention;
import lmlab.nn.attention.Normaliser;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench attention}: the attention core (scores, mask, normaliser, weighted values) of
 * one layer, forward + backward, from projected q, k, v (B, S, n·d_h) at several sequence lengths.
 * Structured masks run in O(S · visible keys): time per token stays flat for sliding, dilated and
 * block-local masks and grows with S for causal.
 */
@Command(
    name = "attention",
    mixinStandardHelpOptions = true,
    description = {
      "Measure attention forward + backward per mask and sequence length; prints one JSON object per line:",
      "  {\"bench\":\"attention\",\"mask\":\"sliding(256)\",\"seq\":1024,..,\"fwd_ms\":..,",
      "   \"fwd_bwd_ms\":..,\"us_per_token\":..,\"cpu_us_per_token\":..,\"alloc_bytes\":..,",
      "   \"threads\":2}",
      "Times are medians after warm-up; alloc_bytes is the heap one forward + backward allocates; "
          + "us_per_token is fwd_bwd_ms / (batch · seq) in microseconds. Every timed sample runs as many "
          + "calls as make up the longest --seq, so each length is timed over the same number of tokens.",
      "cpu_us_per_token is the process's CPU time (all threads) per token, a second median run: steadier "
          + "than wall time when other jobs share the machine.",
      ""
    })
public final class BenchAttentionCommand implements Runnable {
  enum MaskKind {
    CAUSAL, SLIDING, DILATED, BLOCK
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--mask", paramLabel = "KIND", defaultValue = "causal", converter = MaskConverter.class,
      description = "causal, sliding (sliding(window)), dilated (dilated(window,dilation)) or block (block_local"
          + " with blocks of --window tokens over S_max = S). Default: ${DEFAULT-VALUE}")
  MaskKind mask;

  @Option(names = "--seq", split = ",", paramLabel = "S", defaultValue = "1024,2048,4096,8192",
      description = "Comma-separated sequence lengths. Default: ${DEFAULT-VALUE}")
  List<Integer> seqs;

  @Option(names = "--window", paramLabel = "W", defaultValue = "256",
      description = "Window of sliding/dilated, block size of block. Default: ${DEFAULT-VALUE}")
  int window;

  @Option(names = "--dilation", paramLabel = "D", defaultValue = "2", description = "Dilation of dilated. Default: ${DEFAULT-VALUE}")
  int dilation;

  @Option(names = "--attention", paramLabel = "N", defaultValue = "softmax", description = "softmax or relu. Default: ${DEFAULT-VALUE}")
  String normaliser;

  @Option(names = "--batch", paramLabel = "B", defaultValue = "1", description = "Batch size. Default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--heads", paramLabel = "H", defaultValue = "4", description = "Query heads n_q. Default: ${DEFAULT-VALUE}")
  int heads;

  @Option(names = "--kv-heads", paramLabel = "H", description = "Key/value heads n_kv (default: n_q)")
  Integer kvHeads;

  @Option(names = "--head-dim", paramLabel = "D", defaultValue = "64", description = "Head width d_h. Default: ${DEFAULT-VALUE}")
  int headDim;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "5", description = "Timed repetitions. Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--warmup", paramLabel = "W", defaultValue = "3", description = "Untimed calls first. Default: ${DEFAULT-VALUE}")
  int warmup;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--reps", reps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    Flags.atLeast(cl, "--batch", batch, 1);
    Flags.atLeast(cl, "--heads", heads, 1);
    Flags.atLeast(cl, "--head-dim", headDim, 1);
    Flags.atLeast(cl, "--window", window, 1);
    int nkv = kvHeads == null ? heads : kvHeads;
    if (nkv < 1 || heads % nkv != 0) {
      throw new CommandLine.ParameterException(cl, "--kv-heads must divide --heads = " + heads + ", got " + nkv);
    }
    for (int s : seqs) if (s < 1) throw new CommandLine.ParameterException(cl, "--seq values must be >= 1, got " + s);
    Normaliser norm;
    try {
      norm = Normaliser.parse(normaliser);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--attention: " + e.getMessage());
    }
    PrintWriter out = cl.getOut();
    int longest = seqs.stream().mapToInt(Integer::intValue).max().orElse(1);
    for (int s : seqs) measure(out, s, nkv, norm, (longest + s - 1) / s);
  }

  private AttentionMask mask(int s) {
    return switch (mask) {
      case CAUSAL -> AttentionMask.causal();
      case SLIDING -> AttentionMask.sliding(window);
      case DILATED -> AttentionMask.dilated(window, dilation);
      case BLOCK -> AttentionMask.blockLocal((s + window - 1) / window, s);
    };
  }

  /**
   * One row; each timed sample runs {@code calls} calls back to back, so that every sequence
   * length is timed over the same number of tokens and scheduler noise weighs the same on each.
   */
  private void measure(PrintWriter out, int s, int nkv, Normaliser norm, int calls) {
    AttentionMask m;
    try {
      m = mask(s);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Rng rng = new Rng(1);
    Tensor q = Tensor.randn(rng, batch, s, heads * headDim).requiresGrad(true);
    Tensor k = Tensor.randn(rng, batch, s, nkv * headDim).requiresGrad(true);
    Tensor v = Tensor.randn(rng, batch, s, nkv * headDim).requiresGrad(true);
    Tensor upstream = Tensor.randn(rng, batch, s, heads * headDim);
    float scale = (float) (1 / Math.sqrt(headDim));
    Runnable fwd1 = () -> {
      try (var g = Autograd.noGrad()) {
        BandAttention.attend(q, k, v, heads, nkv, headDim, scale, m, norm, null);
      }
    };
    Runnable fwdBwd1 = () -> {
      q.zeroGrad();
      k.zeroGrad();
      v.zeroGrad();
      BandAttention.attend(q, k, v, heads, nkv, headDim, scale, m, norm, null).backward(upstream);
    };
    Runnable fwd = () -> {
      for (int i = 0; i < calls; i++) fwd1.run();
    };
    Runnable fwdBwd = () -> {
      for (int i = 0; i < calls; i++) fwdBwd1.run();
    };
    double fwdSeconds = BenchSupport.medianSeconds(warmup, reps, fwd) / calls;
    double fwdBwdSeconds = BenchSupport.medianSeconds(warmup, reps, fwdBwd) / calls;
    double cpuSeconds = BenchSupport.medianCpuSeconds(reps, fwdBwd) / calls;
    long alloc = BenchSupport.allocatedPerCall(Math.min(reps, 3), fwdBwd1);
    long visible = 0;
    for (int t = 0; t < s; t++) visible += m.count(t);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "attention");
    row.put("mask", m.spec());
    row.put("attention", norm.configName());
    row.put("seq", s);
    row.put("batch", batch);
    row.put("heads", heads);
    row.put("kv_heads", nkv);
    row.put("head_dim", headDim);
    row.put("mean_visible_keys", BenchSupport.fourDigits((double) visible / s));
    row.put("fwd_ms", BenchSupport.fourDigits(fwdSeconds * 1e3));
    row.put("fwd_bwd_ms", BenchSupport.fourDigits(fwdBwdSeconds * 1e3));
    row.put("us_per_token", BenchSupport.fourDigits(fwdBwdSeconds * 1e6 / ((double) batch * s)));
    row.put("cpu_us_per_token", BenchSupport.fourDigits(cpuSeconds * 1e6 / ((double) batch * s)));
    row.put("alloc_bytes", alloc);
    row.put("threads", Parallel.threads());
    BenchSupport.printJson(out, row);
  }

  /** causal, sliding, dilated, block (or block_local), any case. */
  static final class MaskConverter implements CommandLine.ITypeConverter<MaskKind> {
    @Override
    public MaskKind convert(String value) {
      String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      if (v.equals("BLOCK_LOCAL")) return MaskKind.BLOCK;
      for (MaskKind k : MaskKind.values()) if (k.name().equals(v)) return k;
      throw new CommandLine.TypeConversionException("'" + value + "' is not a mask kind: use causal, sliding, dilated or block");
    }
  }
}
