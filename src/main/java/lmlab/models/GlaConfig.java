package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * A gated-linear-attention language model's configuration (flash-linear-attention's GLAConfig):
 * n_h heads, key width d_k = hidden_size·expand_k, value width d_v = hidden_size·expand_v, the
 * low-rank forget gate, a SwiGLU FFN of width d_ff. lmlab has no GLA model yet (issue #16): the
 * analyser reads this.
 */
public record GlaConfig(int vocabSize, int hiddenSize, int numHiddenLayers, int numHeads, int keyDim, int valueDim,
    int intermediateSize, int gateLowRankDim, boolean tieWordEmbeddings) implements ModelConfig {
  public static final int HEADS = 4;
  public static final int GATE_RANK = 16;

  /**
   * Keys of fla's GLAConfig that change nothing lmlab computes or counts: kernels and fusions
   * (attn_mode, fuse_*), token ids, initialisation, caching, the norm epsilon, dtype;
   * max_position_embeddings (GLA has no position table); conv_size when use_short_conv is off.
   */
  static final Set<String> IGNORED = Set.of("architectures", "attn_mode", "bos_token_id", "eos_token_id",
      "pad_token_id", "fuse_cross_entropy", "fuse_linear_cross_entropy", "fuse_norm", "fuse_swiglu", "initializer_range",
      "use_cache", "torch_dtype", "transformers_version", "_name_or_path", "norm_eps", "max_position_embeddings",
      "conv_size", "hidden_act");

  @Override
  public String modelType() {
    return "gla";
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", "gla");
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_heads", numHeads);
    o.put("expand_k", (double) keyDim / hiddenSize);
    o.put("expand_v", (double) valueDim / hiddenSize);
    o.put("intermediate_size", intermediateSize);
    o.put("gate_low_rank_dim", gateLowRankDim);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    return o;
  }

  /** fla's GLAConfig as config.json holds it. */
  static ConfigRead<GlaConfig> read(JsonNode json) {
    HfFields f = new HfFields(json, "gla");
    int d = f.positive("hidden_size");
    int layers = f.positive("num_hidden_layers");
    int vocab = f.positive("vocab_size");
    int heads = f.positiveOr("num_heads", HEADS);
    double ek = f.number("expand_k", 0.5);
    double ev = f.number("expand_v", 1.0);
    int dk = (int) (d * ek);
    int dv = (int) (d * ev);
    if (dk < 1 || dk % heads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + heads
          + " does not divide the key width hidden_size·expand_k = " + dk);
    }
    if (dv < 1 || dv % heads != 0) {
      throw new IllegalArgumentException("config: num_heads = " + heads
          + " does not divide the value width hidden_size·expand_v = " + dv);
    }
    Integer ffGiven = f.optionalPositive("intermediate_size");
    int ff;
    if (ffGiven != null) {
      ff = ffGiven;
    } else {
      // fla's GatedMLP: int(d·hidden_ratio·2/3) rounded up to a multiple of 256
      int raw = (int) (d * f.number("hidden_ratio", 4.0) * 2 / 3);
      ff = 256 * ((raw + 255) / 256);
    }
    if (f.raw("num_kv_heads") != null) {
      throw new IllegalArgumentException("config: num_kv_heads is not analysed for gla (grouped GLA); remove it or set "
          + "it to null");
    }
    if (!f.bool("use_output_gate", true)) throw new IllegalArgumentException("config: use_output_gate = false is not analysed");
    requireOff(f, "use_short_conv", "short convolutions on q/k/v");
    requireOff(f, "use_gv", "a value gate");
    requireOff(f, "use_l2warp", "L2 warp");
    if (!f.bool("use_gk", true)) throw new IllegalArgumentException("config: use_gk = false is not analysed (GLA's key gate)");
    if (!f.bool("elementwise_affine", true)) {
      throw new IllegalArgumentException("config: elementwise_affine = false is not analysed (norms without weights)");
    }
    for (String k : new String[] {"attn", "feature_map", "clamp_min", "attnres_block_size"}) {
      JsonNode v = f.raw(k);
      if (v != null) throw new IllegalArgumentException("config: " + k + " = " + v + " is not analysed; set it to null");
    }
    GlaConfig g = new GlaConfig(vocab, d, layers, heads, dk, dv, ff, f.positiveOr("gate_low_rank_dim", GATE_RANK),
        f.bool("tie_word_embeddings", false));
    var ignored = f.checkKeys(IGNORED);
    return new ConfigRead<>(g, ignored);
  }

  private static void requireOff(HfFields f, String key, String what) {
    if (f.bool(key, false)) throw new IllegalArgumentException("config: " + key + " = true (" + what + ") is not analysed");
  }
}
