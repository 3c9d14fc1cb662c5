package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import lmlab.nn.mixers.LinearAttentionMixer;

/**
 * The configuration of a {@code gla} model (flash-linear-attention's GLAConfig, GLAForCausalLM)
 * or of lmlab's {@code regla} (the same model with ReGLA layers), mixers.md: n_h heads, key width
 * d_k = floor(hidden_size·expand_k), value width d_v = floor(hidden_size·expand_v), the low-rank
 * forget gate (GLA) or the refining gate (ReGLA), a SwiGLU FFN of width d_ff, every RMSNorm at
 * norm_eps. The engine ({@link GlaLm}) and the analyser read this one record.
 */
public record GlaConfig(String modelType, int vocabSize, int hiddenSize, int numHiddenLayers, int numHeads, double expandK,
    double expandV, int intermediateSize, double normEps, boolean tieWordEmbeddings) implements ModelConfig {
  public static final String GLA = "gla";
  public static final String REGLA = "regla";
  public static final int HEADS = 4;
  /** fla's gate_low_rank_dim, which GLAForCausalLM keeps. */
  public static final int GATE_RANK = 16;

  /**
   * Keys of fla's GLAConfig that change nothing lmlab computes or counts (mixers.md): kernels and
   * fusions (attn_mode, fuse_*), use_l2warp (a loss-side trick of fla's training), token ids,
   * initialisation, caching, dtype; max_position_embeddings (GLA has no position table); conv_size
   * when use_short_conv is off; hidden_ratio when intermediate_size is given.
   */
  static final Set<String> IGNORED = Set.of("architectures", "attn_mode", "bos_token_id", "eos_token_id",
      "pad_token_id", "fuse_cross_entropy", "fuse_linear_cross_entropy", "fuse_norm", "fuse_swiglu", "initializer_range",
      "use_cache", "torch_dtype", "transformers_version", "_name_or_path", "max_position_embeddings", "conv_size",
      "use_l2warp", "hidden_ratio");

  public GlaConfig {
    if (!GLA.equals(modelType) && !REGLA.equals(modelType)) {
      throw new IllegalArgumentException("config: model_type \"" + modelType + "\" is not gla or regla");
    }
    positive("vocab_size", vocabSize);
    positive("hidden_size", hiddenSize);
    positive("num_hidden_layers", numHiddenLayers);
    positive("num_heads", numHeads);
    positive("intermediate_size", intermediateSize);
    if (!(expandK > 0)) throw new IllegalArgumentException("config: field 'expand_k' must be a positive number, got " + expandK);
    if (!(expandV > 0)) throw new IllegalArgumentException("config: field 'expand_v' must be a positive number, got " + expandV);
    if (!(normEps > 0)) throw new IllegalArgumentException("config: field 'norm_eps' must be a positive number, got " + normEps);
    int dk = width(hiddenSize, expandK), dv = width(hiddenSize, expandV);
    if (dk < 1 || dk % numHeads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + numHeads
          + " does not divide the key width hidden_size·expand_k = " + dk);
    }
    if (dv < 1 || dv % numHeads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + numHeads
          + " does not divide the value width hidden_size·expand_v = " + dv);
    }
  }

  private static void positive(String key, int v) {
    if (v < 1) throw new IllegalArgumentException("config: field '" + key + "' must be a positive integer, got " + v);
  }

  private static int width(int d, double expand) {
    return (int) Math.floor(d * expand);
  }

  /** Whether the layers are ReGLA's. */
  public boolean regla() {
    return REGLA.equals(modelType);
  }

  /** d_k = floor(hidden_size · expand_k). */
  public int keyDim() {
    return width(hiddenSize, expandK);
  }

  /** d_v = floor(hidden_size · expand_v). */
  public int valueDim() {
    return width(hiddenSize, expandV);
  }

  /** The forget gate's rank (GLA: 16); ReGLA's gate is full rank and has none (0). */
  public int gateLowRankDim() {
    return regla() ? 0 : GATE_RANK;
  }

  /** The layer's sizes. */
  public LinearAttentionMixer.Config layer() {
    return new LinearAttentionMixer.Config(hiddenSize, numHeads, expandK, expandV, normEps);
  }

  /** fla's GatedMLP width when intermediate_size is null: 256 · ceil(floor(d · ratio · 2/3) / 256). */
  public static int derivedIntermediateSize(int hiddenSize, double hiddenRatio) {
    int raw = (int) Math.floor(hiddenSize * hiddenRatio * 2 / 3);
    return 256 * ((raw + 255) / 256);
  }

  /** fla's GLAConfig keys (intermediate_size resolved). */
  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", modelType);
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_heads", numHeads);
    o.put("expand_k", expandK);
    o.put("expand_v", expandV);
    o.put("intermediate_size", intermediateSize);
    o.put("hidden_act", "swish");
    o.put("norm_eps", normEps);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    return o;
  }

  /** fla's GLAConfig as config.json holds it, with fla's defaults (mixers.md); model_type gla or regla. */
  static ConfigRead<GlaConfig> read(JsonNode json) {
    JsonNode mt = json.get("model_type");
    String type = mt != null && mt.isTextual() ? mt.asText() : GLA;
    HfFields f = new HfFields(json, type);
    int d = f.positiveOr("hidden_size", 2048);
    int layers = f.positiveOr("num_hidden_layers", 24);
    int vocab = f.positiveOr("vocab_size", 32000);
    int heads = f.positiveOr("num_heads", HEADS);
    double ek = f.number("expand_k", 0.5);
    double ev = f.number("expand_v", 1.0);
    int dk = width(d, ek), dv = width(d, ev);
    if (dk < 1 || dk % heads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + heads
          + " does not divide the key width hidden_size·expand_k = " + dk);
    }
    if (dv < 1 || dv % heads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + heads
          + " does not divide the value width hidden_size·expand_v = " + dv);
    }
    Integer ffGiven = f.optionalPositive("intermediate_size");
    int ff = ffGiven != null ? ffGiven : derivedIntermediateSize(d, f.number("hidden_ratio", 4.0));
    JsonNode kv = f.raw("num_kv_heads");
    if (kv != null && !(kv.isIntegralNumber() && kv.intValue() == heads)) {
      throw new IllegalArgumentException("config: num_kv_heads = " + kv + " is not supported (grouped GLA); lmlab"
          + " implements num_kv_heads null or equal to num_heads (" + heads + ")");
    }
    String act = f.optionalText("hidden_act", "swish");
    if (!act.equals("swish")) {
      throw new IllegalArgumentException("config: hidden_act = \"" + act + "\" is not supported; the GLA MLP is SwiGLU"
          + " (\"swish\")");
    }
    requireValue(f, "use_output_gate", true, "the swish output gate");
    requireValue(f, "use_short_conv", false, "short convolutions on q/k/v");
    requireValue(f, "use_gv", false, "a value gate");
    requireValue(f, "use_gk", true, "GLA's key gate");
    requireValue(f, "elementwise_affine", true, "norms with weights");
    for (String k : new String[] {"attn", "feature_map", "clamp_min", "attnres_block_size"}) {
      JsonNode v = f.raw(k);
      if (v != null) throw new IllegalArgumentException("config: " + k + " = " + v + " is not supported; set it to null");
    }
    Integer rank = f.optionalPositive("gate_low_rank_dim");
    if (rank != null && rank != GATE_RANK) {
      throw new IllegalArgumentException("config: gate_low_rank_dim = " + rank + " is not supported; GLAForCausalLM's"
          + " layers use " + GATE_RANK);
    }
    double eps = f.number("norm_eps", 1e-6);
    GlaConfig g = new GlaConfig(type, vocab, d, layers, heads, ek, ev, ff, eps, f.bool("tie_word_embeddings", false));
    var ignored = f.checkKeys(IGNORED);
    return new ConfigRead<>(g, ignored);
  }

  private static void requireValue(HfFields f, String key, boolean value, String what) {
    if (f.bool(key, value) != value) {
      throw new IllegalArgumentException("config: " + key + " = " + !value + " is not supported (lmlab implements "
          + key + " = " + value + ": " + what + ")");
    }
  }
}
