package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * A Mamba-2 language model's configuration (state-spaces/mamba, Hugging Face Mamba2Config): d =
 * hidden_size, d_inner = expand·d, heads of width head_dim, state size N, G groups, conv width,
 * vocabulary padded to a multiple of pad_vocab_size_multiple, head tied to the embedding. Read
 * from a Hugging Face config ({@code model_type: mamba2}) or a state-spaces/mamba one
 * ({@code d_model}, {@code n_layer}, {@code ssm_cfg: {layer: Mamba2, ...}}, no model_type). lmlab
 * has no Mamba-2 model yet (issue #16): the analyser reads this.
 */
public record Mamba2Config(int vocabSize, int hiddenSize, int numHiddenLayers, int expand, int headDim, int stateSize,
    int nGroups, int convKernel, int padVocabSizeMultiple, boolean tieWordEmbeddings) implements ModelConfig {
  public static final int EXPAND = 2;
  public static final int HEAD_DIM = 64;
  public static final int STATE_SIZE = 128;
  public static final int GROUPS = 1;
  public static final int CONV_KERNEL = 4;

  /**
   * Keys of Hugging Face's Mamba2Config that change nothing lmlab computes or counts: token ids,
   * initialisation (initializer_range, rescale_prenorm_residual, time_step_min/max/floor), numerics
   * (residual_in_fp32), the chunked-scan block (chunk_size, an implementation detail of the same
   * recurrence), dt clamping (time_step_limit), the RMSNorm epsilon, caching, dtype.
   */
  static final Set<String> IGNORED = Set.of("architectures", "bos_token_id", "eos_token_id", "pad_token_id",
      "initializer_range", "rescale_prenorm_residual", "time_step_min", "time_step_max", "time_step_floor",
      "time_step_limit", "time_step_rank", "residual_in_fp32", "chunk_size", "layer_norm_epsilon", "use_cache",
      "torch_dtype", "transformers_version", "_name_or_path", "hidden_act", "rms_norm", "norm_before_gate");

  /** Keys of a state-spaces/mamba config.json that change nothing here. */
  static final Set<String> SSM_IGNORED = Set.of("rms_norm", "residual_in_fp32", "fused_add_norm", "attn_cfg");

  @Override
  public String modelType() {
    return "mamba2";
  }

  /** Hugging Face's names. */
  @Override
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", "mamba2");
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("expand", expand);
    o.put("head_dim", headDim);
    o.put("state_size", stateSize);
    o.put("n_groups", nGroups);
    o.put("conv_kernel", convKernel);
    o.put("pad_vocab_size_multiple", padVocabSizeMultiple);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    return o;
  }

  /** A Hugging Face mamba2 config.json. */
  static ConfigRead<Mamba2Config> readHf(JsonNode json) {
    HfFields f = new HfFields(json, "mamba2");
    int d = f.positive("hidden_size", "d_model");
    int layers = f.positive("num_hidden_layers", "n_layer");
    int vocab = f.positive("vocab_size");
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
    if (f.bool("use_bias", false)) {
      throw new IllegalArgumentException("config: use_bias = true is not analysed (in_proj/out_proj biases)");
    }
    if (!f.bool("use_conv_bias", true)) throw new IllegalArgumentException("config: use_conv_bias = false is not analysed");
    // the state-spaces/mamba models tie the head to the embedding (analysis.md)
    boolean tied = f.bool("tie_word_embeddings", true);
    var ignored = f.checkKeys(IGNORED);
    return new ConfigRead<>(new Mamba2Config(vocab, d, layers, expand, p, n, g, conv, pad, tied), ignored);
  }

  /** A state-spaces/mamba config.json (d_model, n_layer, ssm_cfg {layer: Mamba2, ...}), no model_type. */
  static ConfigRead<Mamba2Config> readSsm(JsonNode json) {
    HfFields f = new HfFields(json, "mamba2 (mamba_ssm)");
    JsonNode ssm = f.raw("ssm_cfg");
    if (!ssm.isObject()) throw new IllegalArgumentException("config: field 'ssm_cfg' must be an object, got " + ssm);
    HfFields c = new HfFields(ssm, f.type);
    String layer = c.optionalText("layer", "Mamba1");
    if (!layer.equals("Mamba2")) {
      throw new IllegalArgumentException("config: ssm_cfg.layer \"" + layer + "\" is not analysed (only Mamba2)");
    }
    JsonNode mlp = f.raw("d_intermediate");
    if (mlp != null && !(mlp.isIntegralNumber() && mlp.intValue() == 0)) {
      throw new IllegalArgumentException("config: field 'd_intermediate' = " + mlp
          + ": Mamba-2 layers with an MLP are not analysed");
    }
    JsonNode attn = f.raw("attn_layer_idx");
    if (attn != null && !(attn.isArray() && attn.isEmpty())) {
      throw new IllegalArgumentException("config: field 'attn_layer_idx' = " + attn
          + ": hybrid attention layers are not analysed");
    }
    int d = f.positive("d_model");
    int expand = c.positiveOr("expand", EXPAND);
    int p = c.positiveOr("headdim", HEAD_DIM);
    if ((long) expand * d % p != 0) {
      throw new IllegalArgumentException("config: ssm_cfg.headdim = " + p + " does not divide expand·d_model = "
          + (long) expand * d);
    }
    Mamba2Config m = new Mamba2Config(f.positive("vocab_size"), d, f.positive("n_layer"), expand, p,
        c.positiveOr("d_state", STATE_SIZE), c.positiveOr("ngroups", GROUPS), c.positiveOr("d_conv", CONV_KERNEL),
        f.positiveOr("pad_vocab_size_multiple", 16), f.bool("tie_embeddings", true));
    var ignored = f.checkKeys(SSM_IGNORED);
    return new ConfigRead<>(m, ignored);
  }
}
