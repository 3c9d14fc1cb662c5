package lmlab.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import lmlab.nn.Activation;
import lmlab.nn.attention.AttentionConfig;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.Normaliser;
import lmlab.nn.attention.Rope;
import lmlab.nn.attention.ScoreFunction;

/**
 * The configuration of the one decoder-only {@link Transformer}: the keys of models.md as typed
 * values (enums for every choice, the per-layer masks parsed once into {@link AttentionMask}s).
 * {@link #toJson()} writes every key explicitly and {@link #fromJson} reads it back to an equal
 * configuration.
 *
 * <p>Reading is {@link TransformerConfigReader}'s: an lmlab config.json, or a Hugging Face one of
 * {@code model_type} gpt2, llama, qwen2 or mistral (the family's defaults and key names; see
 * {@link TransformerConfigReader.Dialect}). Presets are JSON resources ({@code lmlab/presets/NAME.json}):
 * {@code gpt}, {@code chargpt}, {@code gpt2}, {@code llama}, {@code qwen2}, {@code qwen2-variant};
 * {@link #builder(String)} + {@link Builder#set(String, String)} is the CLI's
 * {@code --preset NAME --set key=value}.
 *
 * <p>Defaults where a key is absent (models.md lists the default first): position {@code rope},
 * norm {@code rmsnorm} (eps 1e-6; layernorm 1e-5; dyt alpha0 0.5), hidden_act {@code silu} with
 * mlp {@code swiglu} ({@code plain} for every other activation), attention {@code softmax}, masks
 * all {@code causal}, num_key_value_heads = num_attention_heads, head_dim = hidden_size /
 * num_attention_heads, rope_theta 10000 and rope_style {@code half}, score {@code scaled_dot},
 * mlp_multiplier 4 for a plain MLP, max_position_embeddings 2048, all biases off (o_proj_bias
 * follows attention_bias), untied, dropout 0. A Hugging Face model_type changes some of these
 * (qwen2: q/k/v biases on, o_proj off; gpt2: learned positions, layernorm, gelu_tanh, every bias,
 * tied). vocab_size, hidden_size, num_hidden_layers and num_attention_heads are required.
 *
 * @param preset the preset named in the config (information only), or null
 * @param modelType the Hugging Face model_type given (gpt2, llama, qwen2, mistral), or null
 * @param intermediateSizeGiven intermediate_size as given (null: mlp_multiplier × hidden_size)
 * @param mlpMultiplierGiven mlp_multiplier as given (null: 4 unless intermediate_size is given)
 * @param attentionMasks one mask per layer
 * @param mixers one token mixer per layer, of {@link #MIXERS} (config key {@code mixers}: a list or a
 *     first/middle/last schedule like masks; default all {@code attention})
 */
public record TransformerConfig(String preset, String modelType, int vocabSize, int hiddenSize, int numHiddenLayers,
    int numAttentionHeads, int numKeyValueHeads, int headDim, Integer intermediateSizeGiven,
    Integer mlpMultiplierGiven, int maxPositionEmbeddings, Position position, double ropeTheta, Rope.Style ropeStyle,
    Init init, NormKind norm, double normEps, double dytAlpha0, Activation activation, Mlp mlp, Normaliser attention,
    ScoreFunction score, List<AttentionMask> attentionMasks, List<String> mixers, boolean attentionBias, boolean oProjBias, boolean mlpBias,
    boolean lmHeadBias, boolean tieWordEmbeddings, double dropout) implements ModelConfig {

  /** How positions enter the model. */
  public enum Position {
    ROPE, LEARNED, SINUSOIDAL, NONE;

    /** The config value: rope, learned, sinusoidal, none. */
    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return configName();
    }
  }

  /** The norm of every block and the final norm. */
  public enum NormKind {
    LAYERNORM, RMSNORM, DYT;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** LayerNorm and DyT carry a bias (shift), RMSNorm none. */
    public boolean hasBias() {
      return this != RMSNORM;
    }

    @Override
    public String toString() {
      return configName();
    }
  }

  /** The feed-forward network: plain act(x W1) W2, or the gated SwiGLU. */
  public enum Mlp {
    PLAIN, SWIGLU;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return configName();
    }
  }

  /**
   * Weight initialisation schemes: {@code gpt2} is minGPT's N(0, 0.02²) with scaled residual
   * projections; {@code pytorch} is what torch.nn modules draw by default (Linear U(±1/√fan_in),
   * Embedding N(0, 1)) — the course GPT is a plain PyTorch model built from those modules.
   */
  public enum Init {
    GPT2, PYTORCH;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
      return configName();
    }
  }

  /** Keys that configure the model (models.md; Hugging Face names where they exist). */
  public static final Set<String> KEYS = TransformerConfigReader.KEYS;

  /** The presets (JSON resources lmlab/presets/NAME.json). */
  public static final List<String> PRESETS = List.of("gpt", "chargpt", "gpt2", "llama", "qwen2", "qwen2-variant");

  /**
   * The token mixers a layer may hold ({@code mixers}): attention, and the linear-time mixers in
   * the block's place of attention (hybrids, models.Mixers says with which sizes).
   */
  public static final List<String> MIXERS = List.of("attention", "gla", "regla", "mamba2");

  /** Default RoPE base (layers.md); Qwen2.5 configs give 1e6. */
  public static final double DEFAULT_ROPE_THETA = 10000.0;

  /** Default context window when max_position_embeddings is not given (Hugging Face Llama's). */
  public static final int DEFAULT_MAX_POSITIONS = 2048;

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public TransformerConfig {
    attentionMasks = List.copyOf(attentionMasks);
    mixers = List.copyOf(mixers);
    if (mixers.size() != numHiddenLayers) {
      throw new IllegalArgumentException("config: " + mixers.size() + " mixers for num_hidden_layers=" + numHiddenLayers);
    }
    if (attentionMasks.size() != numHiddenLayers) {
      throw new IllegalArgumentException("config: " + attentionMasks.size() + " masks for num_hidden_layers="
          + numHiddenLayers);
    }
  }

  // ------------------------------------------------------------------------------------ reading

  /** Parses and validates a JSON object (lmlab or Hugging Face gpt2/llama/qwen2/mistral). */
  public static TransformerConfig fromJson(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config: not valid JSON: " + e.getOriginalMessage(), e);
    }
    return fromJson(node);
  }

  /** Validates a JSON object; every problem is reported naming the key. */
  public static TransformerConfig fromJson(JsonNode node) {
    return TransformerConfigReader.read(node).config();
  }

  /** Reads and validates a config.json file (or the config.json of a checkpoint directory). */
  public static TransformerConfig read(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    try {
      return fromJson(Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /** One of {@link #PRESETS}, with its default sizes. */
  public static TransformerConfig preset(String name) {
    return builder(name).build();
  }

  /** A preset with overrides (key → value text as on the command line: {@code hidden_size=64}). */
  public static TransformerConfig preset(String name, Map<String, String> overrides) {
    Builder b = builder(name);
    overrides.forEach(b::set);
    return b.build();
  }

  /** A builder starting from a preset. */
  public static Builder builder(String preset) {
    String p = preset == null ? "" : preset.trim().toLowerCase(Locale.ROOT);
    if (!PRESETS.contains(p)) {
      throw new IllegalArgumentException("unknown preset '" + preset + "'; available: " + String.join(", ", PRESETS));
    }
    return new Builder(Presets.load(p));
  }

  /** A builder starting from nothing (required keys must then be set). */
  public static Builder builder() {
    return new Builder(JsonNodeFactory.instance.objectNode());
  }

  /** A builder starting from this configuration (every key explicit, as {@link #toJson()}). */
  public Builder toBuilder() {
    return new Builder(toJson());
  }

  /**
   * Collects keys and values and validates them all at {@link #build()}, so overrides may pass
   * through inconsistent states (hidden_size before num_attention_heads). Unknown keys are
   * rejected at once.
   */
  public static final class Builder {
    private final ObjectNode node;

    private Builder(ObjectNode node) {
      this.node = node.deepCopy();
    }

    /**
     * Sets key to a value given as text, the CLI's {@code --set key=value}: JSON when it parses
     * as JSON ({@code 64}, {@code 0.1}, {@code true}, {@code ["causal","causal"]}), else a
     * string ({@code layernorm}).
     */
    public Builder set(String key, String valueText) {
      return set(key, Models.value(valueText));
    }

    /** Sets key to a JSON value. */
    public Builder set(String key, JsonNode value) {
      TransformerConfigReader.checkKnown(key);
      node.set(key, value);
      return this;
    }

    public Builder set(String key, int value) {
      TransformerConfigReader.checkKnown(key);
      node.put(key, value);
      return this;
    }

    public Builder set(String key, double value) {
      TransformerConfigReader.checkKnown(key);
      node.put(key, value);
      return this;
    }

    public Builder set(String key, boolean value) {
      TransformerConfigReader.checkKnown(key);
      node.put(key, value);
      return this;
    }

    /** Removes a key, so its default applies. */
    public Builder unset(String key) {
      node.remove(key);
      return this;
    }

    /** The keys and values collected so far. */
    public ObjectNode json() {
      return node.deepCopy();
    }

    public TransformerConfig build() {
      return fromJson(node);
    }
  }

  // -------------------------------------------------------------------------------- writing

  /**
   * Every key explicitly (preset first when known, then alphabetical, like the fixtures):
   * fromJson(toJson()) is an equal configuration. intermediate_size and mlp_multiplier are written
   * as given (mlp_multiplier 4 when neither was), so an override of hidden_size on a preset keeps
   * d_ff = m·d. Hugging Face names are written as lmlab's (n_embd as hidden_size, ...).
   */
  @Override
  public ObjectNode toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("attention", attention.configName());
    m.put("attention_bias", attentionBias);
    m.put("dropout", dropout);
    if (norm == NormKind.DYT) m.put("dyt_alpha0", dytAlpha0);
    m.put("head_dim", headDim);
    m.put("hidden_act", activation.configName());
    m.put("hidden_size", hiddenSize);
    if (init != Init.GPT2) m.put("init", init.configName()); // written only when not the default, like the fixtures
    if (intermediateSizeGiven != null) m.put("intermediate_size", intermediateSizeGiven);
    m.put("lm_head_bias", lmHeadBias);
    m.put("masks", masks());
    m.put("max_position_embeddings", maxPositionEmbeddings);
    if (mixers.stream().anyMatch(x -> !x.equals("attention"))) m.put("mixers", mixers); // only when not the default
    m.put("mlp", mlp.configName());
    m.put("mlp_bias", mlpBias);
    if (mlpMultiplierGiven != null || intermediateSizeGiven == null) {
      m.put("mlp_multiplier", mlpMultiplierGiven != null ? mlpMultiplierGiven : 4);
    }
    if (modelType != null) m.put("model_type", modelType);
    m.put("norm", norm.configName());
    if (norm != NormKind.DYT) m.put("norm_eps", normEps);
    m.put("num_attention_heads", numAttentionHeads);
    m.put("num_hidden_layers", numHiddenLayers);
    m.put("num_key_value_heads", numKeyValueHeads);
    m.put("o_proj_bias", oProjBias);
    m.put("position", position.configName());
    if (position == Position.ROPE) {
      m.put("rope_style", ropeStyle.configName());
      m.put("rope_theta", ropeTheta);
    }
    if (score != ScoreFunction.SCALED_DOT) m.put("score", score.configName()); // written only when not the default
    m.put("tie_word_embeddings", tieWordEmbeddings);
    m.put("vocab_size", vocabSize);
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    if (preset != null) out.put("preset", preset);
    for (var e : m.entrySet()) out.set(e.getKey(), JSON.valueToTree(e.getValue()));
    return out;
  }

  /** {@link #toJson()} as text, indent 2, with a final newline (what config.json holds). */
  public String toJsonString() {
    try {
      return JSON.writeValueAsString(toJson()) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes config.json (not atomically; checkpoint writers handle atomicity). */
  public void write(Path file) throws IOException {
    Files.writeString(file, toJsonString());
  }

  /** Equal when {@link #toJson()} is: masks compare by their spec. */
  @Override
  public boolean equals(Object o) {
    return o instanceof TransformerConfig c && c.toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return "TransformerConfig" + toJson();
  }

  // ----------------------------------------------------------------------------- derived parts

  /**
   * The configuration of each layer's attention (layers.md): widths, biases, one shared RoPE
   * (position rope) or none, the score function, the normaliser and the layer's mask.
   */
  public List<AttentionConfig> attentionConfigs() {
    Rope rope = position == Position.ROPE ? new Rope(ropeTheta, ropeStyle, headDim) : null;
    List<AttentionConfig> out = new ArrayList<>();
    for (AttentionMask mask : attentionMasks) {
      out.add(new AttentionConfig(hiddenSize, numAttentionHeads, numKeyValueHeads, headDim, attentionBias, oProjBias,
          rope, score, attention, mask, maxPositionEmbeddings, (float) dropout));
    }
    return List.copyOf(out);
  }

  /** One canonical mask string per layer ({@code causal}, {@code sliding(8)}, {@code dilated(128,2)}, ...). */
  public List<String> masks() {
    return attentionMasks.stream().map(AttentionMask::spec).toList();
  }

  /** d_ff: intermediate_size when given, else mlp_multiplier (default 4) × hidden_size. */
  public int intermediateSize() {
    if (intermediateSizeGiven != null) return intermediateSizeGiven;
    return Math.toIntExact((long) (mlpMultiplierGiven != null ? mlpMultiplierGiven : 4) * hiddenSize);
  }

  /** hidden_act as written in config.json ({@code gelu}, {@code gelu_tanh}, {@code silu}, ...). */
  public String hiddenAct() {
    return activation.configName();
  }

  /**
   * The number of parameters of the model this configuration builds, counted on the built model
   * (zero weights): for sizes that do not fit the heap, count with lmlab.analysis instead.
   */
  public long numParameters() {
    return Transformer.uninitialised(this).numParameters();
  }

  /** {@link #numParameters()} with or without the embedding tables, counted on the built model. */
  public long numParameters(boolean includeEmbeddings) {
    return Transformer.uninitialised(this).numParameters(includeEmbeddings);
  }

  /** A string value as JSON text (for messages). */
  static String quoted(String s) {
    return TextNode.valueOf(s).toString();
  }
}
