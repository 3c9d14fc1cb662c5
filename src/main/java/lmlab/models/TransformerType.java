package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The registry entry of the one decoder-only {@link Transformer}: lmlab configs (no model_type)
 * and the Hugging Face families gpt2, llama, qwen2 and mistral, all read by
 * {@link TransformerConfigReader}.
 */
public final class TransformerType implements ModelType<TransformerConfig> {
  public static final TransformerType INSTANCE = new TransformerType();

  private TransformerType() {}

  @Override
  public String label() {
    return "Transformer";
  }

  @Override
  public List<String> modelTypes() {
    return TransformerConfigReader.Dialect.MODEL_TYPES;
  }

  @Override
  public Class<TransformerConfig> configClass() {
    return TransformerConfig.class;
  }

  @Override
  public ConfigRead<TransformerConfig> read(JsonNode json) {
    return TransformerConfigReader.read(json);
  }

  @Override
  public List<String> presets() {
    return TransformerConfig.PRESETS;
  }

  @Override
  public TransformerConfig preset(String name, Map<String, String> overrides) {
    return TransformerConfig.preset(name, overrides);
  }

  @Override
  public Seeded build(TransformerConfig config, long seed) {
    Transformer t = new Transformer(config, seed);
    return new Seeded(t, t.dropoutRng());
  }

  @Override
  public LanguageModel uninitialised(TransformerConfig config) {
    return Transformer.uninitialised(config);
  }

  /** GPT-2 checkpoints through {@link Gpt2WeightMapper}; every other family uses lmlab's (= Llama/Qwen2) names. */
  @Override
  public lmlab.io.WeightMapper weightMapper(TransformerConfig config) {
    return "gpt2".equals(config.modelType()) ? new Gpt2WeightMapper(config.tieWordEmbeddings())
        : lmlab.io.WeightMapper.IDENTITY;
  }

  @Override
  public String describe(TransformerConfig c) {
    String attn = c.numKeyValueHeads() == c.numAttentionHeads() ? "MHA" : c.numKeyValueHeads() == 1 ? "MQA" : "GQA";
    List<String> bias = new ArrayList<>();
    if (c.attentionBias()) bias.add("qkv");
    if (c.oProjBias()) bias.add("o");
    if (c.mlpBias()) bias.add("mlp");
    if (c.lmHeadBias()) bias.add("head");
    return "Transformer" + (c.modelType() != null ? " (" + c.modelType() + ")" : "") + ": d " + c.hiddenSize() + ", "
        + c.numHiddenLayers() + " layers, " + attn + " (n_q " + c.numAttentionHeads() + ", n_kv "
        + c.numKeyValueHeads() + ", d_h " + c.headDim() + "), " + c.position() + " positions, " + c.norm() + ", "
        + (c.mlp() == TransformerConfig.Mlp.SWIGLU ? "SwiGLU" : c.hiddenAct() + " MLP") + " d_ff "
        + c.intermediateSize() + ", biases " + (bias.isEmpty() ? "none" : String.join("+", bias)) + ", "
        + (c.tieWordEmbeddings() ? "tied" : "untied") + " head";
  }
}
