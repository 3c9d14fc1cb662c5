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
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import lmlab.nn.Activation;
import lmlab.nn.attention.AttentionConfig;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.Normaliser;
import lmlab.nn.attention.Rope;
import lmlab.nn.attention.ScoreFunction;

/**
 * The configuration of the one decoder-only {@link Transformer}: the keys of models.md, Hugging
 * Face names where they exist, read from a JSON object and validated with errors that name the
 * key. Immutable; {@link #toJson()} writes every key explicitly and {@link #fromJson} reads it
 * back to an equal configuration.
 *
 * <p>Three ways to get one:
 * <ul>
 *   <li>{@link #fromJson(String)}, {@link #fromJson(JsonNode)}, {@link #read(Path)}: a config.json
 *       (an lmlab one or a Hugging Face one; {@code model_type} {@code qwen2}, {@code llama} and
 *       {@code mistral} select Hugging Face's defaults for the biases and sliding windows);
 *   <li>{@link #preset(String)}: {@code gpt}, {@code chargpt}, {@code gpt2}, {@code llama}, {@code qwen2},
 *       {@code qwen2-variant};
 *   <li>{@link #builder(String)} + {@link Builder#set(String, String)} + {@link Builder#build()}:
 *       a preset with overrides, as the CLI's {@code --preset NAME --set key=value}.
 * </ul>
 *
 * <p>Defaults where a key is absent (models.md lists the default first): position {@code rope},
 * norm {@code rmsnorm} (eps 1e-6; layernorm 1e-5; dyt alpha0 0.5), hidden_act {@code silu} with
 * mlp {@code swiglu} ({@code plain} for every other activation), attention {@code softmax}, masks
 * all {@code causal}, num_key_value_heads = num_attention_heads, head_dim = hidden_size /
 * num_attention_heads, rope_theta 10000 and rope_style {@code half}, score {@code scaled_dot},
 * mlp_multiplier 4 for a plain MLP, max_position_embeddings 2048, all biases
 * off (o_proj_bias follows attention_bias, except for {@code model_type: qwen2}: q/k/v biases on,
 * o_proj off), untied, dropout 0. vocab_size, hidden_size, num_hidden_layers and
 * num_attention_heads are required.
 *
 * <p>Hugging Face configs of {@code model_type} qwen2, llama and mistral are read as they are:
 * {@code use_sliding_window: true} (qwen2) puts a window of {@code sliding_window} keys on every layer
 * from {@code max_window_layers} on, a mistral {@code sliding_window} on every layer, and a
 * {@code layer_types} list ({@code full_attention} / {@code sliding_attention}) does the same layer by
 * layer; Hugging Face's window of W keys (t - j &lt; W) is lmlab's {@code sliding(2W - 1)} (floor(w/2) + 1
 * keys). A {@code rope_scaling} other than null is rejected (lmlab implements plain RoPE), and so
 * is a hidden_act other than silu with a model_type (Hugging Face's gated MLP with that activation).
 *
 * <p>{@code masks}: a list with one mask per layer, one string for all layers, or a schedule
 * {@code {"first": .., "middle": .., "last": .., "<layer index>": ..}} (unnamed layers causal);
 * written back as the list. Errors name the entry: a window or block count below 1, a dilation
 * not dividing its window, a layer index past the last layer. Each layer's attention is
 * {@link #attentionConfigs()}.
 */
public final class TransformerConfig {
  /** Keys that configure the model (models.md). */
  public static final Set<String> KEYS = Collections.unmodifiableSet(new TreeSet<>(List.of(
      "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "intermediate_size", "mlp_multiplier", "max_position_embeddings", "position", "rope_theta", "rope_style",
      "norm", "norm_eps", "rms_norm_eps", "dyt_alpha0", "hidden_act", "mlp", "attention", "score",
      "attention_bias", "o_proj_bias", "mlp_bias", "lm_head_bias", "masks", "mixers", "tie_word_embeddings", "dropout",
      "init", "preset", "model_type", "rope_scaling", "use_sliding_window", "sliding_window", "max_window_layers",
      "layer_types")));

  /**
   * Hugging Face bookkeeping keys that are accepted and ignored (they do not change the model
   * lmlab builds): what a Hugging Face config.json carries besides the architecture.
   */
  public static final Set<String> IGNORED_KEYS = Collections.unmodifiableSet(new TreeSet<>(List.of(
      "architectures", "torch_dtype", "transformers_version", "_name_or_path", "bos_token_id", "eos_token_id",
      "pad_token_id", "initializer_range", "use_cache", "attention_dropout", "pretraining_tp")));

  /** The presets this class builds. */
  public static final List<String> PRESETS = List.of("gpt", "chargpt", "gpt2", "llama", "qwen2", "qwen2-variant");

  public static final List<String> POSITIONS = List.of("rope", "learned", "sinusoidal", "none");
  public static final List<String> NORMS = List.of("layernorm", "rmsnorm", "dyt");
  /**
   * Weight initialisation schemes: {@code gpt2} is minGPT's N(0, 0.02²) with scaled residual
   * projections; {@code pytorch} is what torch.nn modules draw by default (Linear U(±1/√fan_in),
   * Embedding N(0, 1)) — the course GPT is a plain PyTorch model built from those modules.
   */
  public static final List<String> INITS = List.of("gpt2", "pytorch");
  public static final List<String> MLPS = List.of("plain", "swiglu");
  public static final List<String> ATTENTIONS = List.of("softmax", "relu");
  public static final List<String> MODEL_TYPES = List.of("qwen2", "llama", "mistral");
  public static final List<String> ROPE_STYLES = List.of("half", "interleaved");
  public static final List<String> SCORES = List.of("scaled_dot", "dot", "multiplicative", "concat", "additive");
  /** The token mixers a layer may hold ({@code mixers}); models.Mixers builds them. */
  public static final List<String> MIXERS = List.of("attention");

  /** Default RoPE base (layers.md); Qwen2.5 configs give 1e6. */
  public static final double DEFAULT_ROPE_THETA = 10000.0;

  /** Hugging Face's default max_window_layers of a qwen2 config (Qwen2Config). */
  static final int HF_QWEN2_MAX_WINDOW_LAYERS = 28;

  /** Default context window when max_position_embeddings is not given (Hugging Face Llama's). */
  public static final int DEFAULT_MAX_POSITIONS = 2048;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern MASK = Pattern.compile(
      "\\s*(causal|sliding|dilated|block_local|custom)\\s*(?:\\(\\s*(-?\\d+)\\s*(?:,\\s*(-?\\d+)\\s*)?\\))?\\s*");

  private final String preset;
  private final String modelType;
  private final int vocabSize;
  private final int hiddenSize;
  private final int numHiddenLayers;
  private final int numAttentionHeads;
  private final int numKeyValueHeads;
  private final int headDim;
  private final Integer intermediateSizeGiven;
  private final Integer mlpMultiplierGiven;
  private final int maxPositionEmbeddings;
  private final String position;
  private final double ropeTheta;
  private final String ropeStyle;
  private final String init;
  private final String norm;
  private final double normEps;
  private final double dytAlpha0;
  private final String hiddenAct;
  private final String mlp;
  private final String attention;
  private final String score;
  private final List<String> masks;
  private final List<String> mixers;
  private final boolean attentionBias;
  private final boolean oProjBias;
  private final boolean mlpBias;
  private final boolean lmHeadBias;
  private final boolean tieWordEmbeddings;
  private final double dropout;

  // ------------------------------------------------------------------------------------ reading

  /** Parses and validates a JSON object. */
  public static TransformerConfig fromJson(String json) {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config: not valid JSON: " + e.getOriginalMessage(), e);
    }
    return fromJson(node);
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

  /** Validates a JSON object; every problem is reported naming the key. */
  public static TransformerConfig fromJson(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    return new TransformerConfig(new Reader((ObjectNode) node));
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
    return new Builder(presetNode(preset));
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
      JsonNode value;
      try {
        value = valueText == null ? null : JSON.readTree(valueText);
      } catch (JsonProcessingException e) {
        value = null;
      }
      if (value == null || value.isMissingNode()) value = TextNode.valueOf(valueText == null ? "" : valueText.trim());
      return set(key, value);
    }

    /** Sets key to a JSON value. */
    public Builder set(String key, JsonNode value) {
      checkKnown(key);
      node.set(key, value);
      return this;
    }

    public Builder set(String key, int value) {
      checkKnown(key);
      node.put(key, value);
      return this;
    }

    public Builder set(String key, double value) {
      checkKnown(key);
      node.put(key, value);
      return this;
    }

    public Builder set(String key, boolean value) {
      checkKnown(key);
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

  private static void checkKnown(String key) {
    if (!KEYS.contains(key) && !IGNORED_KEYS.contains(key)) {
      throw new IllegalArgumentException("config: unknown key '" + key + "'" + suggestion(key) + "; known keys: "
          + String.join(", ", new TreeSet<>(KEYS)));
    }
  }

  private static String suggestion(String key) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : KEYS) {
      int d = editDistance(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD <= Math.max(2, key.length() / 4) ? " (did you mean '" + best + "'?)" : "";
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** The keys a preset fixes (sizes and switches); everything else takes the defaults. */
  private static ObjectNode presetNode(String name) {
    String p = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    switch (p) {
      case "gpt" -> {
        // the course GPT (grokking lab); V 39 = the arithmetic vocabulary for p = q = 31
        n.put("preset", "gpt");
        n.put("vocab_size", 39);
        n.put("hidden_size", 128);
        n.put("num_hidden_layers", 2);
        n.put("num_attention_heads", 4);
        n.put("max_position_embeddings", 128);
        n.put("position", "sinusoidal");
        n.put("norm", "layernorm");
        n.put("hidden_act", "gelu");
        n.put("mlp", "plain");
        n.put("mlp_multiplier", 4);
        n.put("attention_bias", true);
        n.put("o_proj_bias", true);
        n.put("mlp_bias", false);
        n.put("lm_head_bias", true);
        n.put("tie_word_embeddings", false);
        n.put("dropout", 0.0);
        // torch.nn default init: with minGPT's std 0.02 the token embeddings are 50x smaller than
        // the unit sinusoidal table and weight decay 1.0 shrinks them further, so the model sees
        // mostly positions and does not generalise within 10^4 steps (measured: val acc 0.88).
        n.put("init", "pytorch");
      }
      case "chargpt", "gpt2" -> {
        // minGPT gpt-mini for characters; GPT-2 small is the same layout at full size, tied
        boolean gpt2 = p.equals("gpt2");
        n.put("preset", p);
        n.put("vocab_size", gpt2 ? 50257 : 65);
        n.put("hidden_size", gpt2 ? 768 : 192);
        n.put("num_hidden_layers", gpt2 ? 12 : 6);
        n.put("num_attention_heads", gpt2 ? 12 : 6);
        n.put("max_position_embeddings", gpt2 ? 1024 : 128);
        n.put("position", "learned");
        n.put("norm", "layernorm");
        n.put("hidden_act", "gelu_tanh");
        n.put("mlp", "plain");
        n.put("mlp_multiplier", 4);
        n.put("attention_bias", true);
        n.put("o_proj_bias", true);
        n.put("mlp_bias", true);
        n.put("lm_head_bias", false);
        n.put("tie_word_embeddings", gpt2);
        n.put("dropout", 0.1);
      }
      case "llama", "qwen2", "qwen2-variant" -> {
        // The Llama/Qwen2 layouts at the chargpt lab size (models.md gives no sizes): d 192, 6 layers,
        // 6 query heads, the 65-character vocabulary, 128 positions; d_ff = 512 is Llama's
        // 8/3·d rounded up to a multiple of 256. qwen2 shares each key/value head among 3 query heads.
        boolean qwen = !p.equals("llama");
        n.put("preset", p);
        n.put("vocab_size", 65);
        n.put("hidden_size", 192);
        n.put("num_hidden_layers", 6);
        n.put("num_attention_heads", 6);
        n.put("num_key_value_heads", qwen ? 2 : 6);
        n.put("intermediate_size", 512);
        n.put("max_position_embeddings", 128);
        n.put("hidden_act", "silu");
        n.put("mlp", "swiglu");
        n.put("mlp_bias", false);
        n.put("lm_head_bias", false);
        n.put("dropout", 0.0);
        n.put("attention_bias", qwen); //  qwen2: q/k/v biases, o_proj without
        n.put("o_proj_bias", false);
        n.put("tie_word_embeddings", qwen); // Qwen2.5's small models tie, Llama 2 does not
        if (p.equals("qwen2-variant")) {
          // the four course modifications: learned positions instead of RoPE, DyT for every
          // RMSNorm, ReLU attention, and a mask schedule
          n.put("position", "learned");
          n.put("norm", "dyt");
          n.put("dyt_alpha0", 0.5);
          n.put("attention", "relu");
          ObjectNode masks = n.putObject("masks");
          masks.put("first", "causal");
          masks.put("middle", "block_local(4)");
          masks.put("last", "dilated(128,2)");
        } else {
          n.put("position", "rope");
          n.put("rope_style", "half");
          n.put("rope_theta", qwen ? 1e6 : DEFAULT_ROPE_THETA);
          n.put("norm", "rmsnorm");
          n.put("norm_eps", qwen ? 1e-6 : 1e-5); // Llama 2 configs use 1e-5
          n.put("attention", "softmax");
        }
      }
      default -> throw new IllegalArgumentException("unknown preset '" + name + "'; available: "
          + String.join(", ", PRESETS));
    }
    return n;
  }

  // ------------------------------------------------------------------------------- validation

  /** Typed access to a JSON object's keys with errors naming the key; tracks which were read. */
  private static final class Reader {
    final ObjectNode node;

    Reader(ObjectNode node) {
      this.node = node;
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) checkKnown(it.next());
    }

    boolean has(String key) {
      return node.has(key) && !node.get(key).isNull();
    }

    JsonNode get(String key) {
      return node.get(key);
    }

    Integer intOrNull(String key) {
      if (!has(key)) return null;
      JsonNode v = node.get(key);
      if (!v.isNumber() || !v.canConvertToInt() || v.asDouble() != Math.rint(v.asDouble())) {
        throw bad(key, v, "must be an integer");
      }
      return v.asInt();
    }

    int requiredPositive(String key) {
      Integer v = intOrNull(key);
      if (v == null) throw new IllegalArgumentException("config: missing required key '" + key + "'");
      return positive(key, v);
    }

    Integer positiveOrNull(String key) {
      Integer v = intOrNull(key);
      return v == null ? null : positive(key, v);
    }

    int positive(String key, int v) {
      if (v < 1) throw bad(key, node.get(key), "must be a positive integer");
      return v;
    }

    Double doubleOrNull(String key) {
      if (!has(key)) return null;
      JsonNode v = node.get(key);
      if (!v.isNumber()) throw bad(key, v, "must be a number");
      double d = v.asDouble();
      if (!Double.isFinite(d)) throw bad(key, v, "must be finite");
      return d;
    }

    boolean bool(String key, boolean dflt) {
      if (!has(key)) return dflt;
      JsonNode v = node.get(key);
      if (!v.isBoolean()) throw bad(key, v, "must be true or false");
      return v.asBoolean();
    }

    String choice(String key, String dflt, List<String> allowed) {
      if (!has(key)) return dflt;
      JsonNode v = node.get(key);
      if (!v.isTextual()) throw bad(key, v, "must be a string, one of " + String.join(", ", allowed));
      String s = v.asText();
      if (!allowed.contains(s)) throw bad(key, v, "is not one of " + String.join(", ", allowed));
      return s;
    }
  }

  private static IllegalArgumentException bad(String key, JsonNode value, String what) {
    return new IllegalArgumentException("config: " + key + "=" + value + " " + what);
  }

  private static IllegalArgumentException notYet(String key, Object value, String why) {
    return new IllegalArgumentException("config: " + key + "=" + value + " is not yet supported" + why);
  }

  private TransformerConfig(Reader r) {
    preset = r.has("preset") ? textOf(r, "preset") : null;
    modelType = r.choice("model_type", null, MODEL_TYPES);
    boolean qwen2 = "qwen2".equals(modelType);

    vocabSize = r.requiredPositive("vocab_size");
    hiddenSize = r.requiredPositive("hidden_size");
    numHiddenLayers = r.requiredPositive("num_hidden_layers");
    numAttentionHeads = r.requiredPositive("num_attention_heads");

    Integer kv = r.positiveOrNull("num_key_value_heads");
    numKeyValueHeads = kv == null ? numAttentionHeads : kv;
    if (numAttentionHeads % numKeyValueHeads != 0) {
      throw new IllegalArgumentException("config: num_attention_heads=" + numAttentionHeads + " is not divisible by "
          + "num_key_value_heads=" + numKeyValueHeads + " (grouped-query attention shares each key/value head among "
          + "n_q / n_kv query heads)");
    }
    Integer hd = r.positiveOrNull("head_dim");
    if (hd == null) {
      if (hiddenSize % numAttentionHeads != 0) {
        throw new IllegalArgumentException("config: hidden_size=" + hiddenSize + " is not divisible by "
            + "num_attention_heads=" + numAttentionHeads
            + " (give head_dim explicitly for d_h != hidden_size / heads)");
      }
      headDim = hiddenSize / numAttentionHeads;
    } else {
      headDim = hd;
    }

    init = r.choice("init", "gpt2", INITS);

    // position
    position = r.choice("position", "rope", POSITIONS);
    // rope_theta and rope_style are checked whatever the position (a Hugging Face config always
    // carries rope_theta) but act, and are written back, only with position=rope
    Double theta = r.doubleOrNull("rope_theta");
    if (theta != null && !(theta > 1)) throw bad("rope_theta", r.get("rope_theta"), "must be > 1 (the RoPE base)");
    ropeTheta = theta != null ? theta : DEFAULT_ROPE_THETA;
    ropeStyle = r.choice("rope_style", "half", ROPE_STYLES);
    if (r.has("rope_scaling")) {
      throw bad("rope_scaling", r.get("rope_scaling"), "is not supported: lmlab implements plain RoPE "
          + "(theta_i = rope_theta^(-2i/d_h)); remove the key or set it to null");
    }
    if (position.equals("rope") && headDim % 2 != 0) {
      throw new IllegalArgumentException("config: head_dim=" + headDim + " is odd, but position=rope"
          + (r.has("position") ? "" : " (the default)") + " rotates pairs of channels and needs an even head width");
    }
    Integer maxPos = r.positiveOrNull("max_position_embeddings");
    if (maxPos == null && position.equals("learned")) {
      throw new IllegalArgumentException(
          "config: position=learned requires 'max_position_embeddings' (the table size)");
    }
    maxPositionEmbeddings = maxPos != null ? maxPos : DEFAULT_MAX_POSITIONS;

    // normalisation
    norm = r.choice("norm", "rmsnorm", NORMS);
    Double eps = r.doubleOrNull("norm_eps");
    Double rmsEps = r.doubleOrNull("rms_norm_eps");
    if (eps != null && rmsEps != null && !eps.equals(rmsEps)) {
      throw new IllegalArgumentException("config: norm_eps=" + eps + " and rms_norm_eps=" + rmsEps
          + " disagree (rms_norm_eps is the Hugging Face name of norm_eps; give one)");
    }
    double e = eps != null ? eps : rmsEps != null ? rmsEps : norm.equals("layernorm") ? 1e-5 : 1e-6;
    if (e < 0) throw bad(eps != null ? "norm_eps" : "rms_norm_eps", r.get(eps != null ? "norm_eps" : "rms_norm_eps"),
        "must be >= 0");
    normEps = e;
    Double a0 = r.doubleOrNull("dyt_alpha0");
    dytAlpha0 = a0 == null ? 0.5 : a0;

    // feed-forward
    String act = r.has("hidden_act") ? textOf(r, "hidden_act") : "silu";
    try {
      Activation.fromName(act);
    } catch (IllegalArgumentException ex) {
      throw bad("hidden_act", r.get("hidden_act"), "is not one of " + Activation.validNames());
    }
    hiddenAct = act;
    if (modelType != null && !act.equals("silu") && !r.has("mlp")) {
      // Hugging Face's Llama/Qwen2/Mistral MLP is always gated: down(act(gate(x)) · up(x))
      throw bad("hidden_act", r.get("hidden_act"), "with model_type=" + modelType + " means a gated MLP with that "
          + "activation, which lmlab does not implement (only silu = SwiGLU); give mlp=plain for a plain MLP");
    }
    mlp = r.choice("mlp", act.equals("silu") ? "swiglu" : "plain", MLPS);
    if (mlp.equals("swiglu") && !act.equals("silu")) {
      throw new IllegalArgumentException("config: mlp=swiglu requires hidden_act=silu, got hidden_act=" + act
          + " (use mlp=plain for other activations)");
    }
    intermediateSizeGiven = r.positiveOrNull("intermediate_size");
    mlpMultiplierGiven = r.positiveOrNull("mlp_multiplier");
    if (intermediateSizeGiven != null && mlpMultiplierGiven != null
        && (long) mlpMultiplierGiven * hiddenSize != intermediateSizeGiven) {
      throw new IllegalArgumentException("config: intermediate_size=" + intermediateSizeGiven + " disagrees with "
          + "mlp_multiplier=" + mlpMultiplierGiven + " x hidden_size=" + hiddenSize + " (give one of them)");
    }
    if (intermediateSizeGiven == null && mlpMultiplierGiven == null && mlp.equals("swiglu")) {
      throw new IllegalArgumentException("config: mlp=swiglu requires intermediate_size (or mlp_multiplier)");
    }
    if ((long) intermediateSize() > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("config: mlp_multiplier=" + mlpMultiplierGiven + " x hidden_size="
          + hiddenSize + " is too large");
    }

    // attention
    attention = r.choice("attention", "softmax", ATTENTIONS);
    score = r.choice("score", "scaled_dot", SCORES);
    masks = masks(r, numHiddenLayers, modelType);
    mixers = r.has("mixers") ? schedule(r.get("mixers"), "mixers", numHiddenLayers, "attention", TransformerConfig::mixer)
        : Collections.nCopies(numHiddenLayers, "attention");
    for (int i = 0; i < numHiddenLayers; i++) {
      try {
        AttentionMask.parse(masks.get(i), maxPositionEmbeddings);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("config: masks[" + i + "]=" + masks.get(i) + ": " + ex.getMessage(), ex);
      }
    }

    attentionBias = r.bool("attention_bias", qwen2);
    oProjBias = r.bool("o_proj_bias", !qwen2 && attentionBias);
    mlpBias = r.bool("mlp_bias", false);
    tieWordEmbeddings = r.bool("tie_word_embeddings", false);
    lmHeadBias = r.bool("lm_head_bias", false);
    if (lmHeadBias && tieWordEmbeddings) {
      throw new IllegalArgumentException("config: lm_head_bias=true needs tie_word_embeddings=false (a tied model has "
          + "no lm_head)");
    }

    Double p = r.doubleOrNull("dropout");
    dropout = p == null ? 0.0 : p;
    if (!(dropout >= 0 && dropout < 1)) throw bad("dropout", r.get("dropout"), "must be in [0, 1)");
    if (r.has("attention_dropout")) {
      Double ap = r.doubleOrNull("attention_dropout");
      if (ap != 0.0 && ap != dropout) {
        throw notYet("attention_dropout", ap, "; lmlab has one 'dropout' for attention weights, residual branches and"
            + " embeddings");
      }
    }
  }

  private static String textOf(Reader r, String key) {
    JsonNode v = r.get(key);
    if (!v.isTextual()) throw bad(key, v, "must be a string");
    return v.asText();
  }

  /**
   * One canonical mask string per layer from {@code masks} — a list with one mask per layer, one
   * string for every layer, or a schedule object with {@code first}, {@code middle}, {@code last}
   * and layer indices ({@code "2"}), later entries of that order overriding earlier ones — or from
   * the Hugging Face sliding-window keys; all {@code causal} when neither is given.
   */
  private static List<String> masks(Reader r, int layers, String modelType) {
    List<String> hf = huggingFaceMasks(r, layers, modelType);
    if (!r.has("masks")) return hf != null ? hf : Collections.nCopies(layers, "causal");
    if (hf != null) {
      throw new IllegalArgumentException("config: 'masks' and the Hugging Face sliding-window keys (use_sliding_window,"
          + " sliding_window, layer_types) both set the attention masks; give one of them");
    }
    return schedule(r.get("masks"), "masks", layers, "causal", TransformerConfig::mask);
  }

  /**
   * One entry per layer from a per-layer key ({@code masks}, {@code mixers}): a list with one entry
   * per layer, one string for every layer, or a schedule object with {@code first}, {@code middle},
   * {@code last} and layer indices ({@code "2"}), later entries of that order overriding earlier
   * ones; unnamed layers get dflt. entry parses and canonicalises one value (its key for errors).
   */
  private static List<String> schedule(JsonNode m, String key, int layers, String dflt,
      java.util.function.BiFunction<String, JsonNode, String> entry) {
    List<String> out = new ArrayList<>(Collections.nCopies(layers, dflt));
    if (m.isArray()) {
      if (m.size() != layers) {
        throw bad(key, m, "has " + m.size() + " entries but num_hidden_layers=" + layers + " (one per layer)");
      }
      for (int i = 0; i < layers; i++) out.set(i, entry.apply(key + "[" + i + "]", m.get(i)));
    } else if (m.isTextual()) {
      String one = entry.apply(key, m);
      Collections.fill(out, one);
    } else if (m.isObject()) {
      Map<String, JsonNode> byIndex = new LinkedHashMap<>();
      for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (List.of("first", "middle", "last").contains(k)) continue;
        if (!k.matches("\\d{1,9}")) {
          throw bad(key, m, "is a layer schedule: its keys are first, middle, last or layer indices 0.."
              + (layers - 1) + "; got '" + k + "'");
        }
        int i = Integer.parseInt(k);
        if (i >= layers) {
          throw new IllegalArgumentException("config: " + key + "." + k + " names layer " + i + ", but the model has "
              + "num_hidden_layers=" + layers + " (layers 0.." + (layers - 1) + ")");
        }
        byIndex.put(k, m.get(k));
      }
      if (m.has("middle")) {
        String mid = entry.apply(key + ".middle", m.get("middle"));
        for (int i = 1; i < layers - 1; i++) out.set(i, mid);
      }
      String first = m.has("first") ? entry.apply(key + ".first", m.get("first")) : null;
      String last = m.has("last") ? entry.apply(key + ".last", m.get("last")) : null;
      if (layers == 1 && first != null && last != null && !first.equals(last)) {
        throw bad(key, m, "gives first=" + first + " and last=" + last + ", but with num_hidden_layers=1 the one "
            + "layer is both");
      }
      if (first != null) out.set(0, first);
      if (last != null) out.set(layers - 1, last);
      for (var e : byIndex.entrySet()) out.set(Integer.parseInt(e.getKey()), entry.apply(key + "." + e.getKey(), e.getValue()));
    } else {
      throw bad(key, m, "must be a list, one entry per layer, or an object with first, middle, last "
          + "(or layer indices)");
    }
    return Collections.unmodifiableList(out);
  }

  /** One mixer name of {@link #MIXERS}. */
  private static String mixer(String key, JsonNode v) {
    if (!v.isTextual() || !MIXERS.contains(v.asText())) {
      throw new IllegalArgumentException("config: " + key + "=" + v + " is not a mixer: expected one of "
          + String.join(", ", MIXERS));
    }
    return v.asText();
  }

  /**
   * The canonical form of one mask ({@code dilated(128,2)}, no spaces), with its parameters
   * checked: window and block count >= 1, a dilation dividing its window. custom masks (a
   * predicate or boolean matrix) are built in code and have no config form.
   */
  private static String mask(String key, JsonNode v) {
    String what = " is not a mask: expected causal, sliding(w), dilated(window,dilation) or block_local(n_blocks)";
    if (!v.isTextual()) throw new IllegalArgumentException("config: " + key + "=" + v + what);
    var mt = MASK.matcher(v.asText());
    if (!mt.matches()) throw new IllegalArgumentException("config: " + key + "=" + v + what);
    String kind = mt.group(1);
    int args = mt.group(2) == null ? 0 : mt.group(3) == null ? 1 : 2;
    int need = switch (kind) {
      case "causal", "custom" -> 0;
      case "dilated" -> 2;
      default -> 1;
    };
    if (args != need) {
      throw new IllegalArgumentException("config: " + key + "=" + v + " " + kind + " takes " + need + " argument"
          + (need == 1 ? "" : "s") + what.replace(" is not a mask:", ";"));
    }
    if (kind.equals("custom")) {
      throw new IllegalArgumentException("config: " + key + "=" + v + ": a custom mask (a predicate or boolean matrix)"
          + " is given in code, not in a config");
    }
    if (need == 0) return kind;
    long a = Long.parseLong(mt.group(2));
    switch (kind) {
      case "sliding" -> {
        if (a < 1 || a > Integer.MAX_VALUE) throw badMask(key, v, "the window w must be >= 1, got " + a);
        return "sliding(" + a + ")";
      }
      case "block_local" -> {
        if (a < 1 || a > Integer.MAX_VALUE) throw badMask(key, v, "the number of blocks must be >= 1, got " + a);
        return "block_local(" + a + ")";
      }
      default -> {
        long d = Long.parseLong(mt.group(3));
        if (a < 1 || a > Integer.MAX_VALUE) throw badMask(key, v, "the window must be >= 1, got " + a);
        if (d < 1 || d > Integer.MAX_VALUE) throw badMask(key, v, "the dilation must be >= 1, got " + d);
        if (a % d != 0) throw badMask(key, v, "the dilation " + d + " does not divide the window " + a);
        return "dilated(" + a + "," + d + ")";
      }
    }
  }

  private static IllegalArgumentException badMask(String key, JsonNode v, String why) {
    return new IllegalArgumentException("config: " + key + "=" + v + ": " + why);
  }

  /**
   * The masks a Hugging Face config asks for, or null when it asks for none. Hugging Face's window
   * of W keys (query t sees t - W < j <= t) is lmlab's sliding(2W - 1), which sees floor(w/2) + 1 = W
   * keys. {@code layer_types} names each layer's kind; otherwise qwen2 puts the window on layers
   * i >= max_window_layers (default 28) when use_sliding_window is true, mistral on every layer
   * whenever sliding_window is set.
   */
  private static List<String> huggingFaceMasks(Reader r, int layers, String modelType) {
    Integer w = r.positiveOrNull("sliding_window");
    String sliding = w == null ? null : "sliding(" + (2L * w - 1) + ")";
    if (r.has("layer_types")) {
      JsonNode t = r.get("layer_types");
      if (!t.isArray() || t.size() != layers) {
        throw bad("layer_types", t, "must be a list with one entry per layer (num_hidden_layers=" + layers + ")");
      }
      List<String> out = new ArrayList<>();
      boolean any = false;
      for (int i = 0; i < layers; i++) {
        String kind = t.get(i).asText("");
        if (kind.equals("full_attention")) {
          out.add("causal");
        } else if (kind.equals("sliding_attention")) {
          if (sliding == null) {
            throw bad("layer_types", t, "has sliding_attention at layer " + i + " but sliding_window is not set");
          }
          out.add(sliding);
          any = true;
        } else {
          throw bad("layer_types", t, "entry " + i + " must be full_attention or sliding_attention");
        }
      }
      return any ? Collections.unmodifiableList(out) : null;
    }
    boolean mistral = "mistral".equals(modelType);
    boolean use = r.bool("use_sliding_window", mistral);
    Integer from = r.intOrNull("max_window_layers");
    if (from != null && from < 0) throw bad("max_window_layers", r.get("max_window_layers"), "must be >= 0");
    if (!use || sliding == null) return null;
    int first = mistral ? 0 : from != null ? from : HF_QWEN2_MAX_WINDOW_LAYERS;
    if (first >= layers) return null;
    List<String> out = new ArrayList<>(Collections.nCopies(layers, "causal"));
    for (int i = first; i < layers; i++) out.set(i, sliding);
    return Collections.unmodifiableList(out);
  }

  // -------------------------------------------------------------------------------- writing

  /**
   * Every key explicitly (preset first when known, then alphabetical, like the fixtures):
   * fromJson(toJson()) is an equal configuration. intermediate_size and mlp_multiplier are written
   * as given (mlp_multiplier 4 when neither was), so an override of hidden_size on a preset keeps
   * d_ff = m·d.
   */
  public ObjectNode toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("attention", attention);
    m.put("attention_bias", attentionBias);
    m.put("dropout", dropout);
    if (norm.equals("dyt")) m.put("dyt_alpha0", dytAlpha0);
    m.put("head_dim", headDim);
    m.put("hidden_act", hiddenAct);
    m.put("hidden_size", hiddenSize);
    if (!init.equals("gpt2")) m.put("init", init); // written only when not the default, like the fixtures' configs
    if (intermediateSizeGiven != null) m.put("intermediate_size", intermediateSizeGiven);
    m.put("lm_head_bias", lmHeadBias);
    m.put("masks", masks);
    m.put("max_position_embeddings", maxPositionEmbeddings);
    if (mixers.stream().anyMatch(x -> !x.equals("attention"))) m.put("mixers", mixers); // only when not the default
    m.put("mlp", mlp);
    m.put("mlp_bias", mlpBias);
    if (mlpMultiplierGiven != null || intermediateSizeGiven == null) {
      m.put("mlp_multiplier", mlpMultiplierGiven != null ? mlpMultiplierGiven : 4);
    }
    if (modelType != null) m.put("model_type", modelType);
    m.put("norm", norm);
    if (!norm.equals("dyt")) m.put("norm_eps", normEps);
    m.put("num_attention_heads", numAttentionHeads);
    m.put("num_hidden_layers", numHiddenLayers);
    m.put("num_key_value_heads", numKeyValueHeads);
    m.put("o_proj_bias", oProjBias);
    m.put("position", position);
    if (position.equals("rope")) {
      m.put("rope_style", ropeStyle);
      m.put("rope_theta", ropeTheta);
    }
    if (!score.equals("scaled_dot")) m.put("score", score); // written only when not the default
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
    Rope rope = position.equals("rope") ? new Rope(ropeTheta, Rope.Style.parse(ropeStyle), headDim) : null;
    ScoreFunction f = ScoreFunction.parse(score);
    Normaliser n = Normaliser.parse(attention);
    List<AttentionConfig> out = new ArrayList<>();
    for (String m : masks) {
      out.add(new AttentionConfig(hiddenSize, numAttentionHeads, numKeyValueHeads, headDim, attentionBias, oProjBias,
          rope, f, n, AttentionMask.parse(m, maxPositionEmbeddings), maxPositionEmbeddings, (float) dropout));
    }
    return List.copyOf(out);
  }

  // ----------------------------------------------------------------------------- derived sizes

  /**
   * The number of trainable parameters of the model this configuration builds, in closed form
   * (tied embeddings counted once), without building it.
   */
  public long numParameters() {
    return numParameters(true);
  }

  /**
   * Trainable parameters with or without the embedding tables (token embeddings, learned
   * positions, and a tied head with them).
   */
  public long numParameters(boolean includeEmbeddings) {
    long d = hiddenSize;
    long inner = (long) numAttentionHeads * headDim;
    long kvInner = (long) numKeyValueHeads * headDim;
    long attn = d * inner + 2 * d * kvInner + inner * d
        + (attentionBias ? inner + 2 * kvInner : 0) + (oProjBias ? d : 0);
    long hd = headDim;
    attn += switch (score) { // the score parameters, one set per layer shared by the heads
      case "multiplicative" -> hd * hd; //     W_s (d_h, d_h)
      case "concat" -> 2 * hd; //              w_s (2 d_h)
      case "additive" -> hd * 2 * hd + hd; //  W_s (d_a, 2 d_h), w_s (d_a), d_a = d_h
      default -> 0;
    };
    long ff = intermediateSize();
    long mlpParams = mlp.equals("swiglu")
        ? 3 * d * ff + (mlpBias ? 2 * ff + d : 0)
        : 2 * d * ff + (mlpBias ? ff + d : 0);
    long normParams = switch (norm) {
      case "layernorm" -> 2 * d;
      case "rmsnorm" -> d;
      default -> 2 * d + 1; // dyt: weight, bias, alpha
    };
    long total = numHiddenLayers * (attn + mlpParams + 2 * normParams) + normParams;
    if (!tieWordEmbeddings) total += (long) vocabSize * d + (lmHeadBias ? vocabSize : 0);
    if (includeEmbeddings) {
      total += (long) vocabSize * d;
      if (position.equals("learned")) total += (long) maxPositionEmbeddings * d;
    }
    return total;
  }

  // --------------------------------------------------------------------------------- getters

  /** The preset named in the config (information only), or null. */
  public String preset() {
    return preset;
  }

  /** model_type when given (qwen2, llama), else null. */
  public String modelType() {
    return modelType;
  }

  public int vocabSize() {
    return vocabSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int numHiddenLayers() {
    return numHiddenLayers;
  }

  public int numAttentionHeads() {
    return numAttentionHeads;
  }

  public int numKeyValueHeads() {
    return numKeyValueHeads;
  }

  public int headDim() {
    return headDim;
  }

  /** d_ff: intermediate_size when given, else mlp_multiplier (default 4) × hidden_size. */
  public int intermediateSize() {
    if (intermediateSizeGiven != null) return intermediateSizeGiven;
    return Math.toIntExact((long) (mlpMultiplierGiven != null ? mlpMultiplierGiven : 4) * hiddenSize);
  }

  public int maxPositionEmbeddings() {
    return maxPositionEmbeddings;
  }

  /** The weight initialisation scheme, one of {@link #INITS}. */
  public String init() {
    return init;
  }

  /** rope, learned, sinusoidal or none. */
  public String position() {
    return position;
  }

  /** layernorm, rmsnorm or dyt. */
  public String norm() {
    return norm;
  }

  public double normEps() {
    return normEps;
  }

  public double dytAlpha0() {
    return dytAlpha0;
  }

  public String hiddenAct() {
    return hiddenAct;
  }

  public Activation activation() {
    return Activation.fromName(hiddenAct);
  }

  /** plain or swiglu. */
  public String mlp() {
    return mlp;
  }

  /** The normaliser: softmax or relu. */
  public String attention() {
    return attention;
  }

  /** The score function, one of {@link #SCORES}. */
  public String score() {
    return score;
  }

  /** One canonical mask string per layer ({@code causal}, {@code sliding(8)}, {@code dilated(128,2)}, ...). */
  public List<String> masks() {
    return masks;
  }

  /** One mixer name per layer, of {@link #MIXERS} (default all {@code attention}). */
  public List<String> mixers() {
    return mixers;
  }

  /** The RoPE base (used with position rope). */
  public double ropeTheta() {
    return ropeTheta;
  }

  /** half or interleaved (used with position rope). */
  public String ropeStyle() {
    return ropeStyle;
  }

  public boolean attentionBias() {
    return attentionBias;
  }

  public boolean oProjBias() {
    return oProjBias;
  }

  public boolean mlpBias() {
    return mlpBias;
  }

  public boolean lmHeadBias() {
    return lmHeadBias;
  }

  public boolean tieWordEmbeddings() {
    return tieWordEmbeddings;
  }

  public double dropout() {
    return dropout;
  }
}
