package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import lmlab.nn.mixers.Mamba2Mixer;

/**
 * A Mamba-2 language model's configuration (mixers.md; Hugging Face Mamba2Config, state-spaces
 * mamba_ssm): d = hidden_size, d_inner = expand·d, H = d_inner / head_dim heads, state size N, G
 * groups, conv width K, optional in/out projection biases and conv bias, the RMSNorm epsilon, the
 * Δ clamp time_step_limit, the vocabulary padded to a multiple of pad_vocab_size_multiple (the
 * embedding's row count), the head tied or not. Read from a Hugging Face config
 * ({@code model_type: mamba2}) or a state-spaces/mamba one ({@code d_model}, {@code n_layer},
 * {@code ssm_cfg: {layer: Mamba2, ...}}, no model_type). The engine ({@link Mamba2Lm}) and the
 * analyser read this one record.
 */
public record Mamba2Config(int vocabSize, int hiddenSize, int numHiddenLayers, int expand, int headDim, int stateSize,
    int nGroups, int convKernel, int padVocabSizeMultiple, boolean tieWordEmbeddings, boolean useBias,
    boolean useConvBias, double layerNormEpsilon, double timeStepMin, double timeStepMax) implements ModelConfig {
  public static final int EXPAND = 2;
  public static final int HEAD_DIM = 64;
  public static final int STATE_SIZE = 128;
  public static final int GROUPS = 1;
  public static final int CONV_KERNEL = 4;
  public static final double LAYER_NORM_EPSILON = 1e-5;

  /**
   * Keys of Hugging Face's Mamba2Config that change nothing lmlab computes or counts: token ids,
   * initialisation (initializer_range, rescale_prenorm_residual, time_step_min/max/floor, the rank),
   * numerics (residual_in_fp32), the chunked-scan block (chunk_size: results do not depend on it),
   * caching, dtype; norm_before_gate at its only value.
   */
  static final Set<String> IGNORED = Set.of("architectures", "bos_token_id", "eos_token_id", "pad_token_id",
      "initializer_range", "rescale_prenorm_residual", "time_step_min", "time_step_max", "time_step_floor",
      "time_step_rank", "residual_in_fp32", "chunk_size", "use_cache", "torch_dtype", "transformers_version",
      "_name_or_path", "norm_before_gate");

  /** Keys of a state-spaces/mamba config.json that change nothing here. */
  static final Set<String> SSM_IGNORED = Set.of("rms_norm", "residual_in_fp32", "fused_add_norm", "attn_cfg");

  public Mamba2Config {
    for (var e : new Object[][] {{"vocab_size", vocabSize}, {"hidden_size", hiddenSize},
        {"num_hidden_layers", numHiddenLayers}, {"expand", expand}, {"head_dim", headDim}, {"state_size", stateSize},
        {"n_groups", nGroups}, {"conv_kernel", convKernel}, {"pad_vocab_size_multiple", padVocabSizeMultiple}}) {
      if ((int) e[1] < 1) throw new IllegalArgumentException("config: field '" + e[0] + "' must be a positive integer, got " + e[1]);
    }
    long inner = (long) expand * hiddenSize;
    if (inner % headDim != 0) {
      throw new IllegalArgumentException("config: head_dim = " + headDim + " does not divide expand·hidden_size = " + inner);
    }
    if ((inner / headDim) % nGroups != 0) {
      throw new IllegalArgumentException("config: n_groups = " + nGroups + " does not divide num_heads = " + inner / headDim);
    }
    if (!(layerNormEpsilon > 0)) {
      throw new IllegalArgumentException("config: field 'layer_norm_epsilon' must be a positive number, got " + layerNormEpsilon);
    }
    if (!(timeStepMin >= 0) || !(timeStepMax > timeStepMin)) {
      throw new IllegalArgumentException("config: time_step_limit must be [min, max] with 0 <= min < max, got ["
          + timeStepMin + ", " + timeStepMax + "]");
    }
  }

  @Override
  public String modelType() {
    return "mamba2";
  }

  /** H = expand · hidden_size / head_dim. */
  public int numHeads() {
    return expand * hiddenSize / headDim;
  }

  /** The embedding's rows: vocab_size rounded up to a multiple of pad_vocab_size_multiple. */
  public int paddedVocabSize() {
    return (vocabSize + padVocabSizeMultiple - 1) / padVocabSizeMultiple * padVocabSizeMultiple;
  }

  /** The layer's sizes. */
  public Mamba2Mixer.Config layer() {
    return new Mamba2Mixer.Config(hiddenSize, stateSize, expand, headDim, numHeads(), nGroups, convKernel, useBias,
        useConvBias, layerNormEpsilon, timeStepMin, timeStepMax);
  }

  /** Hugging Face's names (time_step_limit as its [0.0, Infinity] when unclamped). */
  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", "mamba2");
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("expand", expand);
    o.put("head_dim", headDim);
    o.put("num_heads", numHeads());
    o.put("state_size", stateSize);
    o.put("n_groups", nGroups);
    o.put("conv_kernel", convKernel);
    o.put("pad_vocab_size_multiple", padVocabSizeMultiple);
    o.put("use_bias", useBias);
    o.put("use_conv_bias", useConvBias);
    o.put("hidden_act", "silu");
    o.put("rms_norm", true);
    o.put("layer_norm_epsilon", layerNormEpsilon);
    ArrayNode limit = o.putArray("time_step_limit");
    limit.add(timeStepMin);
    limit.add(timeStepMax);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    return o;
  }

  /** A Hugging Face mamba2 config.json, with Mamba2Config's defaults (mixers.md). */
  static ConfigRead<Mamba2Config> readHf(JsonNode json) {
    HfFields f = new HfFields(json, "mamba2");
    int d = f.positiveOr("hidden_size", 4096);
    int layers = f.positiveOr("num_hidden_layers", 64);
    int vocab = f.positiveOr("vocab_size", 32768);
    int expand = f.positiveOr("expand", EXPAND);
    int p = f.positiveOr("head_dim", HEAD_DIM);
    int n = f.positiveOr("state_size", STATE_SIZE);
    int g = f.positiveOr("n_groups", GROUPS);
    int conv = f.positiveOr("conv_kernel", CONV_KERNEL);
    // state-spaces' MambaLMHeadModel pads the vocabulary to a multiple of 16 (analysis.md); Hugging Face's
    // Mamba2ForCausalLM builds nn.Embedding(vocab_size, hidden_size) unpadded, so a config saved by it (naming that
    // architecture) is not padded unless it says so
    JsonNode arch = json.get("architectures");
    boolean hfModel = arch != null && arch.toString().contains("Mamba2ForCausalLM");
    int pad = f.positiveOr("pad_vocab_size_multiple", hfModel ? 1 : 16);
    long inner = (long) expand * d;
    if (inner % p != 0) {
      throw new IllegalArgumentException("config: head_dim = " + p + " does not divide expand·hidden_size = " + inner);
    }
    Integer heads = f.optionalPositive("num_heads");
    if (heads != null && heads != inner / p) {
      throw new IllegalArgumentException("config: num_heads = " + heads + " contradicts expand·hidden_size / head_dim = "
          + expand + "·" + d + " / " + p + " = " + inner / p);
    }
    if ((inner / p) % g != 0) {
      throw new IllegalArgumentException("config: n_groups = " + g + " does not divide num_heads = " + inner / p);
    }
    String act = f.optionalText("hidden_act", "silu");
    if (!act.equals("silu")) {
      throw new IllegalArgumentException("config: hidden_act = \"" + act + "\" is not supported; Mamba-2 uses \"silu\"");
    }
    if (!f.bool("rms_norm", true)) {
      throw new IllegalArgumentException("config: rms_norm = false is not supported; Mamba-2's norms are RMSNorms");
    }
    boolean useBias = f.bool("use_bias", false);
    boolean convBias = f.bool("use_conv_bias", true);
    double eps = f.number("layer_norm_epsilon", LAYER_NORM_EPSILON);
    double[] limit = timeStepLimit(f.raw("time_step_limit"));
    // the state-spaces/mamba models tie the head to the embedding (analysis.md)
    boolean tied = f.bool("tie_word_embeddings", true);
    var ignored = f.checkKeys(IGNORED);
    return new ConfigRead<>(new Mamba2Config(vocab, d, layers, expand, p, n, g, conv, pad, tied, useBias, convBias, eps,
        limit[0], limit[1]), ignored);
  }

  /** time_step_limit: two numbers [min, max]; Infinity (Hugging Face's bare token, or the string) allowed; absent: [0, ∞]. */
  static double[] timeStepLimit(JsonNode v) {
    if (v == null) return new double[] {0, Double.POSITIVE_INFINITY};
    if (!v.isArray() || v.size() != 2) {
      throw new IllegalArgumentException("config: field 'time_step_limit' must be [min, max], got " + v);
    }
    double[] out = new double[2];
    for (int i = 0; i < 2; i++) {
      JsonNode e = v.get(i);
      if (e.isNumber()) out[i] = e.doubleValue();
      else if (e.isTextual() && (e.asText().equals("Infinity") || e.asText().equals("inf"))) out[i] = Double.POSITIVE_INFINITY;
      else throw new IllegalArgumentException("config: field 'time_step_limit' must hold two numbers, got " + v);
    }
    if (!(out[0] >= 0) || !(out[1] > out[0])) {
      throw new IllegalArgumentException("config: time_step_limit must be [min, max] with 0 <= min < max, got " + v);
    }
    return out;
  }

  /** A state-spaces/mamba config.json (d_model, n_layer, ssm_cfg {layer: Mamba2, ...}), no model_type. */
  static ConfigRead<Mamba2Config> readSsm(JsonNode json) {
    HfFields f = new HfFields(json, "mamba2 (mamba_ssm)");
    JsonNode ssm = f.raw("ssm_cfg");
    if (!ssm.isObject()) throw new IllegalArgumentException("config: field 'ssm_cfg' must be an object, got " + ssm);
    HfFields c = new HfFields(ssm, f.type);
    String layer = c.optionalText("layer", "Mamba1");
    if (!layer.equals("Mamba2")) {
      throw new IllegalArgumentException("config: ssm_cfg.layer \"" + layer + "\" is not supported (only Mamba2)");
    }
    JsonNode mlp = f.raw("d_intermediate");
    if (mlp != null && !(mlp.isIntegralNumber() && mlp.intValue() == 0)) {
      throw new IllegalArgumentException("config: field 'd_intermediate' = " + mlp
          + ": Mamba-2 layers with an MLP are not supported");
    }
    JsonNode attn = f.raw("attn_layer_idx");
    if (attn != null && !(attn.isArray() && attn.isEmpty())) {
      throw new IllegalArgumentException("config: field 'attn_layer_idx' = " + attn
          + ": hybrid attention layers are not supported in the mamba_ssm format (use lmlab's mixers list)");
    }
    int d = f.positive("d_model");
    int expand = c.positiveOr("expand", EXPAND);
    int p = c.positiveOr("headdim", HEAD_DIM);
    if ((long) expand * d % p != 0) {
      throw new IllegalArgumentException("config: ssm_cfg.headdim = " + p + " does not divide expand·d_model = "
          + (long) expand * d);
    }
    int groups = c.positiveOr("ngroups", GROUPS);
    if (((long) expand * d / p) % groups != 0) {
      throw new IllegalArgumentException("config: ssm_cfg.ngroups = " + groups + " does not divide the number of heads "
          + (long) expand * d / p);
    }
    Mamba2Config m = new Mamba2Config(f.positive("vocab_size"), d, f.positive("n_layer"), expand, p,
        c.positiveOr("d_state", STATE_SIZE), groups, c.positiveOr("d_conv", CONV_KERNEL),
        f.positiveOr("pad_vocab_size_multiple", 16), f.bool("tie_embeddings", true), c.bool("bias", false),
        c.bool("conv_bias", true), LAYER_NORM_EPSILON, 0, Double.POSITIVE_INFINITY);
    var ignored = f.checkKeys(SSM_IGNORED);
    return new ConfigRead<>(m, ignored);
  }
}
