package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.decode.Decoder;
import lmlab.decode.Greedy;
import lmlab.decode.KvCache;
import lmlab.kernels.Parallel;
import lmlab.kernels.StreamRead;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.WeightFormats;
import lmlab.nn.attention.KvFormat;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench generate}: greedy decoding of one sequence with the KV cache from a one-token
 * prompt, the median over --reps runs after an adaptive warm-up.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Measure greedy decoding of one sequence with the KV cache: a one-token prompt, then --new-tokens "
          + "picks, each fed back one token at a time.",
      "Random weights (seed 1), eval mode; no EOS, so every run decodes the same number of tokens. Prints:",
      "  {\"bench\":\"generate\",\"preset\":..,\"weights\":..,\"kv_cache\":..,",
      "   \"tokens_per_s\":..,",
      "   \"ms_per_token\":..,\"cpu_tokens_per_s\":..,\"new_tokens\":..,\"threads\":..,",
      "   \"parameters\":..,\"kv_cache_bytes\":..,\"max_position_embeddings\":..,",
      "   \"weight_bytes_per_token\":..,\"weight_gb_per_s\":..,\"roofline_gb_per_s\":..,",
      "   \"roofline_tokens_per_s\":..}",
      "tokens_per_s = new tokens / median run time (prompt and cache set-up included); cpu_tokens_per_s: "
          + "new tokens / the process's CPU time (all threads) of a run, a second median: steadier than wall "
          + "time when other jobs share the machine.",
      "weight_gb_per_s = the weight matrices read per token (in their format: 4 bytes each for f32, 2 for "
          + "bf16) x tokens_per_s: one sequence reads every weight once per token, so memory bandwidth "
          + "bounds the speed.",
      "roofline_gb_per_s: the read bandwidth of --threads threads streaming an array of the weight bytes "
          + "(as bench memory), measured right after the runs; roofline_tokens_per_s = roofline_gb_per_s / "
          + "weight bytes per token, the machine's ceiling for this decoding; of_roofline = tokens_per_s / "
          + "roofline_tokens_per_s.",
      "A learned position table shorter than the run is extended to it (positions 0 .. new_tokens - 1 are "
          + "used), since a KV cache cannot slide a learned table.",
      "--batch N: N independent greedy sequences (row i's prompt is token i mod V) stepped together, one "
          + "batched step of N tokens per position: the weights are read once per step for all rows. "
          + "tokens_per_s is then the aggregate (N x new tokens / time), ms_per_step the time of one step of "
          + "all rows, weight_gb_per_s the weight bytes per step x steps/s, and roofline_tokens_per_s = N x "
          + "roofline_gb_per_s / weight_bytes_per_token.",
      ""
    })
public final class BenchGenerateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--preset", required = true, paramLabel = "NAME",
      description = "A Transformer preset (gpt, chargpt, gpt2, llama, qwen2, qwen2-variant), or a linear-time mixer"
          + " preset (gla-mini, regla-mini, mamba2-mini: timed per --context).")
  String preset;

  @Option(names = "--new-tokens", paramLabel = "N", defaultValue = "255",
      description = "Tokens to generate after the one-token prompt. Default: ${DEFAULT-VALUE}")
  int newTokens;

  @CommandLine.Mixin WeightsOption weights;

  @CommandLine.Mixin KvCacheOption kvCache;

  @Option(names = "--reps", paramLabel = "N", defaultValue = "11", description = "Timed runs. Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "5",
      description = "Least untimed runs first (more until the speed settles; 0 skips). Default: ${DEFAULT-VALUE}")
  int warmup;

  @Option(names = "--context", split = ",", paramLabel = "N",
      description = "Linear-time mixer presets (gla-mini, regla-mini, mamba2-mini, ...): per-token decoding time after"
          + " each context length (bench mixer-generate's series; --new-tokens timed steps, median of --reps)."
          + " Default for them: 1024,4096,16384.")
  java.util.List<Integer> contexts;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1",
      description = "Independent sequences decoded together in batched steps (aggregate tokens/s). Default: ${DEFAULT-VALUE}")
  int batch;

  @Option(names = "--roofline-seconds", paramLabel = "S", defaultValue = "0.5",
      description = "Seconds of the read-bandwidth measurement behind roofline_*. Default: ${DEFAULT-VALUE}")
  double rooflineSeconds;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--new-tokens", newTokens, 1);
    Flags.atLeast(cl, "--reps", reps, 1);
    Flags.atLeast(cl, "--warmup", warmup, 0);
    Flags.atLeast(cl, "--batch", batch, 1);
    Flags.seconds(cl, "--roofline-seconds", rooflineSeconds);
    lmlab.models.ModelType<?> type = lmlab.models.ModelRegistry.forPreset(preset);
    if (type != null && !(type instanceof lmlab.models.TransformerType)) { // a recurrent-state model: time vs context
      if (batch > 1) throw new CommandLine.ParameterException(cl, "--batch: only for Transformer presets (" + preset + " is timed per --context)");
      if (kvCache.format(cl) != KvFormat.F32) {
        throw new CommandLine.ParameterException(cl, "--kv-cache " + kvCache.value + ": " + preset + " keeps no KV cache");
      }
      if (contexts != null) for (int c : contexts) Flags.atLeast(cl, "--context", c, 1);
      List<Integer> series = contexts != null ? contexts : List.of(1024, 4096, 16384);
      for (Map<String, Object> row : BenchMixerGenerateCommand.series(lmlab.models.Models.preset(preset), preset, series,
          newTokens, reps)) {
        row.put("bench", "generate");
        BenchSupport.printJson(cl.getOut(), row);
      }
      return;
    }
    if (contexts != null) {
      throw new CommandLine.ParameterException(cl, "--context: only for presets with a constant-size decoding state"
          + " (gla-mini, regla-mini, mamba2-mini, ...); " + preset + " keeps a KV cache");
    }
    TransformerConfig config;
    try {
      config = TransformerConfig.builder(preset).set("dropout", 0.0).build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--preset: " + e.getMessage());
    }
    if (config.position() == TransformerConfig.Position.LEARNED && config.maxPositionEmbeddings() < newTokens) {
      config = config.toBuilder().set("max_position_embeddings", newTokens).build();
    }
    WeightFormats format = weights.format(cl);
    Transformer model = new Transformer(config, 1L);
    long parameters = model.numParameters();
    if (format == WeightFormats.BF16) WeightFormats.toBf16(model);
    KvFormat kv = kvCache.applyTo(cl, model);
    model.eval();
    KvCache cache = new KvCache(model);
    int[] prompt = {0};
    int[] prompts = prompts(batch, config.vocabSize());
    long[] bytes = new long[1];
    Runnable body = batch == 1
        ? () -> {
          cache.clear();
          Greedy.Result r = Greedy.generate(cache, prompt, newTokens, -1);
          if (r.tokens().length != newTokens) throw new IllegalStateException("generated " + r.tokens().length);
          bytes[0] = cache.bytes();
        }
        : () -> {
          batchGreedy(cache, prompts, newTokens);
          bytes[0] = cache.bytes();
        };
    double seconds = BenchSupport.medianSeconds(warmup, reps, body);
    double cpuSeconds = BenchSupport.medianCpuSeconds(reps, body);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "generate");
    row.put("preset", config.preset());
    row.put("weights", format.label());
    row.put("kv_cache", kv.label());
    row.put("batch", batch);
    row.put("tokens_per_s", BenchSupport.fourDigits((double) batch * newTokens / seconds));
    row.put("ms_per_token", BenchSupport.fourDigits(seconds * 1e3 / newTokens / batch));
    if (batch > 1) row.put("ms_per_step", BenchSupport.fourDigits(seconds * 1e3 / newTokens));
    row.put("cpu_tokens_per_s", BenchSupport.fourDigits((double) batch * newTokens / cpuSeconds));
    row.put("cpu_seconds", BenchSupport.fourDigits(cpuSeconds));
    row.put("new_tokens", newTokens);
    row.put("threads", Parallel.threads());
    row.put("parameters", parameters);
    row.put("kv_cache_bytes", bytes[0]);
    // every weight matrix is read once per token: the memory traffic that bounds one sequence's decoding
    long weightBytes = weightBytesPerToken(model);
    row.put("weight_bytes_per_token", weightBytes);
    row.put("weight_gb_per_s", BenchSupport.fourDigits(weightBytes * newTokens / seconds / 1e9));
    // the same bytes streamed with nothing else to do, on as many threads, in the same minute; a
    // batched step reads them once for all its rows
    double roofline = StreamRead.bytesPerSecond(weightBytes, Parallel.threads(), rooflineSeconds);
    double rooflineTokens = batch * roofline / weightBytes;
    row.put("roofline_gb_per_s", BenchSupport.fourDigits(roofline / 1e9));
    row.put("roofline_tokens_per_s", BenchSupport.fourDigits(rooflineTokens));
    row.put("of_roofline", Math.round((double) batch * newTokens / seconds / rooflineTokens * 1000) / 1000.0);
    row.put("max_position_embeddings", config.maxPositionEmbeddings());
    BenchSupport.printJson(cl.getOut(), row);
  }

  /** Row i's one-token prompt: token i mod V, so the rows decode different sequences. */
  static int[] prompts(int rows, int vocab) {
    int[] p = new int[rows];
    for (int i = 0; i < rows; i++) p[i] = i % vocab;
    return p;
  }

  /**
   * Greedy decoding of prompts.length independent sequences (one prompt token each) in batched
   * steps of decoder (cleared first): newTokens picks per row, each row's argmax (ties to the lower
   * id, as {@link Greedy}) fed back with all the others in one step; the last picks are not fed.
   * Returns the picks, (rows, newTokens).
   */
  static int[][] batchGreedy(Decoder decoder, int[] prompts, int newTokens) {
    int rows = prompts.length;
    int vocab = decoder.languageModel().vocabSize();
    int[][] picks = new int[rows][newTokens];
    int[] next = prompts.clone();
    decoder.clear();
    for (int t = 0; t < newTokens; t++) {
      float[] logits = decoder.step(next, 1);
      for (int r = 0; r < rows; r++) {
        int best = 0;
        for (int j = 1, off = r * vocab; j < vocab; j++) if (logits[off + j] > logits[off + best]) best = j;
        next[r] = best;
        picks[r][t] = best;
      }
    }
    return picks;
  }

  /**
   * The bytes one decoding step reads: every weight matrix in its format (Linear layers, and the
   * tied head's embedding table), plus the float32 vectors (norms, biases); embedding and position
   * tables are read one row per token, so they do not count.
   */
  static long weightBytesPerToken(Transformer model) {
    long matrices = 0, floatMatrixParams = 0;
    for (Module m : model.namedModules().values()) {
      if (m instanceof Linear lin) {
        matrices += lin.weights().bytes();
        if (lin.weight() != null) floatMatrixParams += lin.weight().numel();
      }
    }
    long head = model.lmHead() == null ? model.embedTokens().table().bytes() : 0;
    return 4 * (model.numParameters(false) - floatMatrixParams) + matrices + head;
  }
}
