package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lmlab.models.TransformerConfig.Init;
import lmlab.models.TransformerConfig.Mlp;
import lmlab.models.TransformerConfig.NormKind;
import lmlab.models.TransformerConfig.Position;
import lmlab.nn.Activation;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.Normaliser;
import lmlab.nn.attention.Rope;
import lmlab.nn.attention.ScoreFunction;

/**
 * The one reader of Transformer config.json files, for the engine and the analyser alike: an
 * lmlab config (no model_type) or a Hugging Face one of model_type gpt2, llama, qwen2 or mistral.
 * Each {@link Dialect} fixes the family's defaults and key names; lmlab's own keys are accepted in
 * every dialect and override the family defaults.
 *
 * <p>Keys fall in three sets: keys that configure the model ({@link #KEYS}, plus GPT-2's names);
 * keys that change nothing lmlab computes, accepted and listed in {@link ConfigRead#ignoredKeys()}
 * (torch_dtype, architectures, token ids, use_cache, initializer_range, {@code use_mrope: false},
 * GPT-2's summary_* and n_ctx, ...); and everything else, which is an error naming the key. A key
 * that would change the computation in a way lmlab does not implement ({@code rope_scaling},
 * {@code use_mrope: true}, GPT-2's {@code scale_attn_by_inverse_layer_idx: true}, ...) is an error
 * naming it and the value.
 *
 * <p>Masks are parsed here once, into {@link AttentionMask}s: {@code masks} is a list with one mask
 * per layer, one string for all layers, or a schedule
 * {@code {"first": .., "middle": .., "last": .., "<layer index>": ..}} (unnamed layers causal).
 * Hugging Face's sliding-window keys give the same masks: {@code use_sliding_window: true} (qwen2)
 * puts a window of {@code sliding_window} keys on every layer from {@code max_window_layers} on, a
 * mistral {@code sliding_window} on every layer, and a {@code layer_types} list
 * ({@code full_attention} / {@code sliding_attention}) layer by layer; Hugging Face's window of W
 * keys (t - j &lt; W) is lmlab's {@code sliding(2W - 1)} (floor(w/2) + 1 keys).
 *
 * <p>Messages: an lmlab config's are in lmlab's words ({@code config: hidden_size=0 must be a
 * positive integer}); a Hugging Face config's structural errors use the file's key names and the
 * analyser's words ({@code missing field 'hidden_size', needed for model_type qwen2},
 * {@code contradictory fields: n_head = 5 does not divide n_embd = 768}).
 */
final class TransformerConfigReader {
  /** The family a config.json is written for: its key names and defaults. */
  enum Dialect {
    LMLAB(null), GPT2("gpt2"), LLAMA("llama"), QWEN2("qwen2"), MISTRAL("mistral");

    final String modelType;

    Dialect(String modelType) {
      this.modelType = modelType;
    }

    boolean huggingFace() {
      return this != LMLAB;
    }

    /** The model_type values that select a dialect (besides none). */
    static final List<String> MODEL_TYPES = List.of("gpt2", "llama", "qwen2", "mistral");

    static Dialect of(String modelType) {
      for (Dialect d : values()) if (d.modelType != null && d.modelType.equals(modelType)) return d;
      throw new IllegalStateException(modelType);
    }
  }

  /** Keys that configure the model (models.md; Hugging Face names where they exist). */
  static final Set<String> KEYS = Collections.unmodifiableSet(new TreeSet<>(List.of(
      "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "intermediate_size", "mlp_multiplier", "max_position_embeddings", "position", "rope_theta", "rope_style",
      "norm", "norm_eps", "rms_norm_eps", "dyt_alpha0", "hidden_act", "mlp", "attention", "score",
      "attention_bias", "o_proj_bias", "mlp_bias", "lm_head_bias", "masks", "mixers", "tie_word_embeddings", "dropout",
      "init", "preset", "model_type", "rope_scaling", "use_sliding_window", "sliding_window", "max_window_layers",
      "layer_types")));

  /**
   * Hugging Face bookkeeping keys accepted in every dialect and listed as ignored: they do not
   * change the model lmlab builds or what it computes.
   */
  static final Set<String> IGNORED_KEYS = Collections.unmodifiableSet(new TreeSet<>(List.of(
      "architectures", "torch_dtype", "transformers_version", "_name_or_path", "bos_token_id", "eos_token_id",
      "pad_token_id", "initializer_range", "use_cache", "attention_dropout", "pretraining_tp")));

  /** GPT-2's names for lmlab keys (Hugging Face GPT2Config). */
  static final Map<String, String> GPT2_NAMES = Map.of(
      "n_embd", "hidden_size", "n_layer", "num_hidden_layers", "n_head", "num_attention_heads",
      "n_positions", "max_position_embeddings", "n_inner", "intermediate_size",
      "activation_function", "hidden_act", "layer_norm_epsilon", "norm_eps");

  /** GPT-2's dropout probabilities: lmlab has one dropout, so they must agree. */
  static final List<String> GPT2_DROPOUTS = List.of("resid_pdrop", "embd_pdrop", "attn_pdrop");

  /**
   * GPT-2 keys that change nothing here: the sequence-summary head of GPT2DoubleHeadsModel and
   * GPT2ForSequenceClassification, n_ctx (an old alias of n_positions), task_specific_params
   * (generation settings), reorder_and_upcast_attn (fp16 numerics), gradient_checkpointing.
   */
  static final Set<String> GPT2_IGNORED = Set.of("n_ctx", "summary_type", "summary_use_proj", "summary_activation",
      "summary_proj_to_labels", "summary_first_dropout", "task_specific_params", "reorder_and_upcast_attn",
      "gradient_checkpointing");

  /** Keys accepted only at one value (the one lmlab computes), per dialect; listed as ignored then. */
  private static final Map<String, JsonNode> QWEN2_FIXED = Map.of(
      "use_mrope", com.fasterxml.jackson.databind.node.BooleanNode.FALSE);

  private static final Map<String, JsonNode> GPT2_FIXED = Map.of(
      "scale_attn_weights", com.fasterxml.jackson.databind.node.BooleanNode.TRUE,
      "scale_attn_by_inverse_layer_idx", com.fasterxml.jackson.databind.node.BooleanNode.FALSE,
      "add_cross_attention", com.fasterxml.jackson.databind.node.BooleanNode.FALSE);

  /** Hugging Face's default max_window_layers of a qwen2 config (Qwen2Config). */
  static final int HF_QWEN2_MAX_WINDOW_LAYERS = 28;

  private static final Pattern MASK = Pattern.compile(
      "\\s*(causal|sliding|dilated|block_local|custom)\\s*(?:\\(\\s*(-?\\d+)\\s*(?:,\\s*(-?\\d+)\\s*)?\\))?\\s*");

  private final ObjectNode node;
  private final Dialect dialect;
  /** lmlab key → the key the file used (n_embd for hidden_size in a GPT-2 config). */
  private final Map<String, String> source = new LinkedHashMap<>();
  private final List<String> ignored = new ArrayList<>();

  private TransformerConfigReader(ObjectNode original, Dialect dialect) {
    this.dialect = dialect;
    this.node = original.deepCopy();
    for (Iterator<String> it = original.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      JsonNode v = original.get(key);
      if (dialect == Dialect.GPT2 && GPT2_NAMES.containsKey(key)) {
        String ours = GPT2_NAMES.get(key);
        if (original.has(ours) && !original.get(ours).equals(v)) {
          throw new IllegalArgumentException("config: " + key + "=" + v + " and " + ours + "=" + original.get(ours)
              + " disagree (" + key + " is GPT-2's name of " + ours + "; give one)");
        }
        node.remove(key);
        node.set(ours, key.equals("activation_function") ? gpt2Activation(v) : v);
        source.put(ours, key);
      } else if (dialect == Dialect.GPT2 && GPT2_DROPOUTS.contains(key)) {
        node.remove(key);
      } else if (dialect == Dialect.GPT2 && GPT2_IGNORED.contains(key)) {
        node.remove(key);
        ignored.add(key);
      } else if (fixed().containsKey(key)) {
        JsonNode want = fixed().get(key);
        if (!v.isNull() && !v.equals(want)) {
          throw new IllegalArgumentException("config: " + key + "=" + v + " is not supported (model_type "
              + dialect.modelType + "): lmlab computes " + key + "=" + want + "; remove the key or set it to " + want);
        }
        node.remove(key);
        ignored.add(key);
      } else if (IGNORED_KEYS.contains(key)) {
        ignored.add(key);
      } else {
        checkKnown(key);
      }
    }
    if (dialect == Dialect.GPT2) gpt2Dropout(original);
  }

  private Map<String, JsonNode> fixed() {
    return switch (dialect) {
      case QWEN2 -> QWEN2_FIXED;
      case GPT2 -> GPT2_FIXED;
      default -> Map.of();
    };
  }

  /** Hugging Face's activation names for GPT-2: gelu_new is the tanh approximation (lmlab's gelu_tanh). */
  private static JsonNode gpt2Activation(JsonNode v) {
    if (v.isTextual() && (v.asText().equals("gelu_new") || v.asText().equals("gelu_pytorch_tanh"))) {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf("gelu_tanh");
    }
    return v;
  }

  /** resid_pdrop, embd_pdrop and attn_pdrop must agree: they become lmlab's one dropout. */
  private void gpt2Dropout(ObjectNode original) {
    JsonNode first = null;
    String firstKey = null;
    for (String k : GPT2_DROPOUTS) {
      JsonNode v = original.get(k);
      if (v == null || v.isNull()) continue;
      if (first == null) {
        first = v;
        firstKey = k;
      } else if (!v.equals(first) && v.asDouble() != first.asDouble()) {
        throw new IllegalArgumentException("config: " + firstKey + "=" + first + " and " + k + "=" + v
            + " differ; lmlab has one 'dropout' for attention weights, residual branches and embeddings");
      }
    }
    if (first == null) return;
    if (node.has("dropout") && node.get("dropout").asDouble() != first.asDouble()) {
      throw new IllegalArgumentException("config: dropout=" + node.get("dropout") + " and " + firstKey + "=" + first
          + " disagree (give one)");
    }
    node.set("dropout", first);
    source.put("dropout", firstKey);
  }

  /** Reads a config.json object of any Transformer dialect; errors start with "config: " and name the key. */
  static ConfigRead<TransformerConfig> read(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("config: expected a JSON object, got "
          + (json == null ? "nothing" : json.getNodeType().toString().toLowerCase(Locale.ROOT)));
    }
    JsonNode mt = json.get("model_type");
    Dialect d = Dialect.LMLAB;
    if (mt != null && !mt.isNull()) {
      if (!mt.isTextual() || !Dialect.MODEL_TYPES.contains(mt.asText())) {
        throw bad("model_type", mt, "is not one of " + String.join(", ", Dialect.MODEL_TYPES)
            + " (or none for an lmlab Transformer)");
      }
      d = Dialect.of(mt.asText());
    }
    TransformerConfigReader r = new TransformerConfigReader((ObjectNode) json, d);
    TransformerConfig c = r.config();
    List<String> ig = new ArrayList<>(new TreeSet<>(r.ignored));
    return new ConfigRead<>(c, ig);
  }

  static void checkKnown(String key) {
    if (!KEYS.contains(key) && !IGNORED_KEYS.contains(key)) {
      throw new IllegalArgumentException("config: unknown key '" + key + "'" + suggestion(key) + "; known keys: "
          + String.join(", ", KEYS));
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

  // ------------------------------------------------------------------------------- typed access

  /** The name the file gave this key (GPT-2: n_embd for hidden_size). */
  private String name(String key) {
    return source.getOrDefault(key, key);
  }

  private boolean has(String key) {
    return node.has(key) && !node.get(key).isNull();
  }

  private JsonNode get(String key) {
    return node.get(key);
  }

  private Integer intOrNull(String key) {
    if (!has(key)) return null;
    JsonNode v = node.get(key);
    if (!v.isNumber() || !v.canConvertToInt() || v.asDouble() != Math.rint(v.asDouble())) {
      if (dialect.huggingFace()) throw field(key, v);
      throw bad(key, v, "must be an integer");
    }
    return v.asInt();
  }

  private IllegalArgumentException field(String key, JsonNode v) {
    return new IllegalArgumentException("config: field '" + name(key) + "' must be a positive integer, got " + v);
  }

  private int requiredPositive(String key) {
    Integer v = intOrNull(key);
    if (v == null) {
      if (dialect.huggingFace()) {
        String theirs = dialect == Dialect.GPT2 ? gpt2Name(key) : null;
        throw new IllegalArgumentException("config: missing field '" + (theirs != null ? theirs : key) + "'"
            + (theirs != null ? " (or '" + key + "')" : "") + ", needed for model_type " + dialect.modelType);
      }
      throw new IllegalArgumentException("config: missing required key '" + key + "'");
    }
    return positive(key, v);
  }

  private static String gpt2Name(String key) {
    for (var e : GPT2_NAMES.entrySet()) if (e.getValue().equals(key)) return e.getKey();
    return null;
  }

  private Integer positiveOrNull(String key) {
    Integer v = intOrNull(key);
    return v == null ? null : positive(key, v);
  }

  private int positive(String key, int v) {
    if (v < 1) {
      if (dialect.huggingFace()) throw field(key, node.get(key));
      throw bad(key, node.get(key), "must be a positive integer");
    }
    return v;
  }

  private Double doubleOrNull(String key) {
    if (!has(key)) return null;
    JsonNode v = node.get(key);
    if (!v.isNumber()) throw bad(name(key), v, "must be a number");
    double d = v.asDouble();
    if (!Double.isFinite(d)) throw bad(name(key), v, "must be finite");
    return d;
  }

  private boolean bool(String key, boolean dflt) {
    if (!has(key)) return dflt;
    JsonNode v = node.get(key);
    if (!v.isBoolean()) throw bad(name(key), v, "must be true or false");
    return v.asBoolean();
  }

  private String choice(String key, String dflt, List<String> allowed) {
    if (!has(key)) return dflt;
    JsonNode v = node.get(key);
    if (!v.isTextual()) throw bad(name(key), v, "must be a string, one of " + String.join(", ", allowed));
    String s = v.asText();
    if (!allowed.contains(s)) throw bad(name(key), v, "is not one of " + String.join(", ", allowed));
    return s;
  }

  private static <E extends Enum<E>> List<String> names(E[] values) {
    List<String> out = new ArrayList<>();
    for (E e : values) out.add(e.name().toLowerCase(Locale.ROOT));
    return out;
  }

  private String text(String key) {
    JsonNode v = node.get(key);
    if (!v.isTextual()) throw bad(name(key), v, "must be a string");
    return v.asText();
  }

  static IllegalArgumentException bad(String key, JsonNode value, String what) {
    return new IllegalArgumentException("config: " + key + "=" + value + " " + what);
  }

  private static IllegalArgumentException notYet(String key, Object value, String why) {
    return new IllegalArgumentException("config: " + key + "=" + value + " is not yet supported" + why);
  }

  private IllegalArgumentException contradictory(String divisorKey, int divisor, String key, int value) {
    return new IllegalArgumentException("config: contradictory fields: " + name(divisorKey) + " = " + divisor
        + " does not divide " + name(key) + " = " + value);
  }

  // ---------------------------------------------------------------------------------- reading

  private TransformerConfig config() {
    String preset = has("preset") ? text("preset") : null;
    boolean qwen2 = dialect == Dialect.QWEN2;
    boolean gpt2 = dialect == Dialect.GPT2;

    int vocabSize = requiredPositive("vocab_size");
    int hiddenSize = requiredPositive("hidden_size");
    int numHiddenLayers = requiredPositive("num_hidden_layers");
    int numAttentionHeads = requiredPositive("num_attention_heads");

    Integer kv = positiveOrNull("num_key_value_heads");
    int numKeyValueHeads = kv == null ? numAttentionHeads : kv;
    if (numAttentionHeads % numKeyValueHeads != 0) {
      if (dialect.huggingFace()) {
        throw contradictory("num_key_value_heads", numKeyValueHeads, "num_attention_heads", numAttentionHeads);
      }
      throw new IllegalArgumentException("config: num_attention_heads=" + numAttentionHeads + " is not divisible by "
          + "num_key_value_heads=" + numKeyValueHeads + " (grouped-query attention shares each key/value head among "
          + "n_q / n_kv query heads)");
    }
    Integer hd = positiveOrNull("head_dim");
    int headDim;
    if (hd == null) {
      if (hiddenSize % numAttentionHeads != 0) {
        if (dialect.huggingFace()) throw contradictory("num_attention_heads", numAttentionHeads, "hidden_size", hiddenSize);
        throw new IllegalArgumentException("config: hidden_size=" + hiddenSize + " is not divisible by "
            + "num_attention_heads=" + numAttentionHeads
            + " (give head_dim explicitly for d_h != hidden_size / heads)");
      }
      headDim = hiddenSize / numAttentionHeads;
    } else {
      headDim = hd;
    }

    Init init = Init.valueOf(choice("init", "gpt2", names(Init.values())).toUpperCase(Locale.ROOT));

    // position
    Position position = Position.valueOf(
        choice("position", gpt2 ? "learned" : "rope", names(Position.values())).toUpperCase(Locale.ROOT));
    // rope_theta and rope_style are checked whatever the position (a Hugging Face config always
    // carries rope_theta) but act, and are written back, only with position=rope
    Double theta = doubleOrNull("rope_theta");
    if (theta != null && !(theta > 1)) throw bad("rope_theta", get("rope_theta"), "must be > 1 (the RoPE base)");
    double ropeTheta = theta != null ? theta : TransformerConfig.DEFAULT_ROPE_THETA;
    Rope.Style ropeStyle = Rope.Style.parse(choice("rope_style", "half", List.of("half", "interleaved")));
    if (has("rope_scaling")) {
      throw bad("rope_scaling", get("rope_scaling"), "is not supported: lmlab implements plain RoPE "
          + "(theta_i = rope_theta^(-2i/d_h)); remove the key or set it to null");
    }
    if (position == Position.ROPE && headDim % 2 != 0) {
      throw new IllegalArgumentException("config: head_dim=" + headDim + " is odd, but position=rope"
          + (has("position") ? "" : " (the default)") + " rotates pairs of channels and needs an even head width");
    }
    Integer maxPos = gpt2 ? Integer.valueOf(requiredPositive("max_position_embeddings"))
        : positiveOrNull("max_position_embeddings");
    if (maxPos == null && position == Position.LEARNED) {
      throw new IllegalArgumentException(
          "config: position=learned requires 'max_position_embeddings' (the table size)");
    }
    int maxPositionEmbeddings = maxPos != null ? maxPos : TransformerConfig.DEFAULT_MAX_POSITIONS;

    // normalisation
    NormKind norm = NormKind.valueOf(
        choice("norm", gpt2 ? "layernorm" : "rmsnorm", names(NormKind.values())).toUpperCase(Locale.ROOT));
    Double eps = doubleOrNull("norm_eps");
    Double rmsEps = doubleOrNull("rms_norm_eps");
    if (eps != null && rmsEps != null && !eps.equals(rmsEps)) {
      throw new IllegalArgumentException("config: norm_eps=" + eps + " and rms_norm_eps=" + rmsEps
          + " disagree (rms_norm_eps is the Hugging Face name of norm_eps; give one)");
    }
    double e = eps != null ? eps : rmsEps != null ? rmsEps : norm == NormKind.LAYERNORM ? 1e-5 : 1e-6;
    if (e < 0) {
      String k = eps != null ? "norm_eps" : "rms_norm_eps";
      throw bad(name(k), get(k), "must be >= 0");
    }
    Double a0 = doubleOrNull("dyt_alpha0");
    double dytAlpha0 = a0 == null ? 0.5 : a0;

    // feed-forward
    String act = has("hidden_act") ? text("hidden_act") : gpt2 ? "gelu_tanh" : "silu";
    boolean gated = dialect == Dialect.LLAMA || qwen2 || dialect == Dialect.MISTRAL;
    if (gated && act.equals("swish")) act = "silu"; // Hugging Face's ACT2FN: swish is SiLU
    Activation activation;
    try {
      activation = Activation.fromName(act);
    } catch (IllegalArgumentException ex) {
      throw bad(name("hidden_act"), get("hidden_act"), "is not one of " + Activation.validNames());
    }
    if (gated && !act.equals("silu") && !has("mlp")) {
      // Hugging Face's Llama/Qwen2/Mistral MLP is always gated: down(act(gate(x)) · up(x))
      throw bad("hidden_act", get("hidden_act"), "with model_type=" + dialect.modelType + " means a gated MLP with "
          + "that activation, which lmlab does not implement (only silu = SwiGLU); give mlp=plain for a plain MLP");
    }
    Mlp mlp = Mlp.valueOf(choice("mlp", act.equals("silu") && !gpt2 ? "swiglu" : "plain", names(Mlp.values()))
        .toUpperCase(Locale.ROOT));
    if (mlp == Mlp.SWIGLU && !act.equals("silu")) {
      throw new IllegalArgumentException("config: mlp=swiglu requires hidden_act=silu, got hidden_act=" + act
          + " (use mlp=plain for other activations)");
    }
    Integer intermediateSizeGiven = positiveOrNull("intermediate_size");
    Integer mlpMultiplierGiven = positiveOrNull("mlp_multiplier");
    if (intermediateSizeGiven != null && mlpMultiplierGiven != null
        && (long) mlpMultiplierGiven * hiddenSize != intermediateSizeGiven) {
      throw new IllegalArgumentException("config: intermediate_size=" + intermediateSizeGiven + " disagrees with "
          + "mlp_multiplier=" + mlpMultiplierGiven + " x hidden_size=" + hiddenSize + " (give one of them)");
    }
    if (intermediateSizeGiven == null && mlpMultiplierGiven == null && mlp == Mlp.SWIGLU) {
      if (dialect.huggingFace()) {
        throw new IllegalArgumentException("config: missing field 'intermediate_size', needed for model_type "
            + dialect.modelType);
      }
      throw new IllegalArgumentException("config: mlp=swiglu requires intermediate_size (or mlp_multiplier)");
    }
    long ff = intermediateSizeGiven != null ? intermediateSizeGiven
        : (long) (mlpMultiplierGiven != null ? mlpMultiplierGiven : 4) * hiddenSize;
    if (ff > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("config: mlp_multiplier=" + mlpMultiplierGiven + " x hidden_size="
          + hiddenSize + " is too large");
    }

    // attention
    Normaliser attention = Normaliser.parse(choice("attention", "softmax", List.of("softmax", "relu")));
    List<String> scores = new ArrayList<>();
    for (ScoreFunction f : ScoreFunction.values()) scores.add(f.configName());
    ScoreFunction score = ScoreFunction.parse(choice("score", "scaled_dot", scores));
    List<AttentionMask> masks = masks(numHiddenLayers, maxPositionEmbeddings);
    List<String> mixers = has("mixers") ? schedule(get("mixers"), "mixers", numHiddenLayers, "attention",
        TransformerConfigReader::mixer) : Collections.nCopies(numHiddenLayers, "attention");

    boolean attentionBias = bool("attention_bias", qwen2 || gpt2);
    boolean oProjBias = bool("o_proj_bias", !qwen2 && attentionBias);
    boolean mlpBias = bool("mlp_bias", gpt2);
    boolean tieWordEmbeddings = bool("tie_word_embeddings", gpt2);
    boolean lmHeadBias = bool("lm_head_bias", false);
    if (lmHeadBias && tieWordEmbeddings) {
      throw new IllegalArgumentException("config: lm_head_bias=true needs tie_word_embeddings=false (a tied model has "
          + "no lm_head)");
    }

    Double p = doubleOrNull("dropout");
    double dropout = p == null ? 0.0 : p;
    if (!(dropout >= 0 && dropout < 1)) throw bad(name("dropout"), get("dropout"), "must be in [0, 1)");
    if (has("attention_dropout")) {
      Double ap = doubleOrNull("attention_dropout");
      if (ap != 0.0 && ap != dropout) {
        throw notYet("attention_dropout", ap, "; lmlab has one 'dropout' for attention weights, residual branches and"
            + " embeddings");
      }
    }
    return new TransformerConfig(preset, dialect.modelType, vocabSize, hiddenSize, numHiddenLayers, numAttentionHeads,
        numKeyValueHeads, headDim, intermediateSizeGiven, mlpMultiplierGiven, maxPositionEmbeddings, position,
        ropeTheta, ropeStyle, init, norm, e, dytAlpha0, activation, mlp, attention, score, masks, mixers, attentionBias,
        oProjBias, mlpBias, lmHeadBias, tieWordEmbeddings, dropout);
  }

  // ------------------------------------------------------------------------------------ masks

  /**
   * One mask per layer from {@code masks} — a list, one string for every layer, or a schedule
   * object with {@code first}, {@code middle}, {@code last} and layer indices ({@code "2"}), later
   * entries of that order overriding earlier ones — or from the Hugging Face sliding-window keys;
   * all causal when neither is given. Each mask is parsed once, here.
   */
  private List<AttentionMask> masks(int layers, int maxPositions) {
    List<String> specs = maskSpecs(layers);
    List<AttentionMask> out = new ArrayList<>(layers);
    for (int i = 0; i < layers; i++) out.add(build(maskKey(i), specs.get(i), maxPositions));
    return out;
  }

  /** The key a layer's mask came from, for messages: masks[i] (a list or schedule resolved per layer). */
  private String maskKey(int i) {
    return "masks[" + i + "]";
  }

  private List<String> maskSpecs(int layers) {
    List<String> hf = huggingFaceMasks(layers);
    if (!has("masks")) return hf != null ? hf : Collections.nCopies(layers, "causal");
    if (hf != null) {
      throw new IllegalArgumentException("config: 'masks' and the Hugging Face sliding-window keys (use_sliding_window,"
          + " sliding_window, layer_types) both set the attention masks; give one of them");
    }
    return schedule(get("masks"), "masks", layers, "causal", TransformerConfigReader::mask);
  }

  /**
   * One entry per layer from a per-layer key ({@code masks}, {@code mixers}): a list with one entry
   * per layer, one string for every layer, or a schedule object with {@code first}, {@code middle},
   * {@code last} and layer indices ({@code "2"}), later entries of that order overriding earlier
   * ones; unnamed layers get dflt. entry parses and canonicalises one value (its key for errors).
   */
  static List<String> schedule(JsonNode m, String key, int layers, String dflt,
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
    return out;
  }

  /** One mixer name of {@link TransformerConfig#MIXERS}. */
  static String mixer(String key, JsonNode v) {
    if (!v.isTextual() || !TransformerConfig.MIXERS.contains(v.asText())) {
      throw new IllegalArgumentException("config: " + key + "=" + v + " is not a mixer: expected one of "
          + String.join(", ", TransformerConfig.MIXERS));
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
    Matcher mt = MASK.matcher(v.asText());
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

  /** The mask object of a canonical spec (checked by {@link #mask}); errors name the layer. */
  private static AttentionMask build(String key, String spec, int maxPositions) {
    Matcher mt = MASK.matcher(spec);
    if (!mt.matches()) throw new IllegalStateException(spec);
    try {
      return switch (mt.group(1)) {
        case "causal" -> AttentionMask.causal();
        case "sliding" -> AttentionMask.sliding(Integer.parseInt(mt.group(2)));
        case "dilated" -> AttentionMask.dilated(Integer.parseInt(mt.group(2)), Integer.parseInt(mt.group(3)));
        case "block_local" -> AttentionMask.blockLocal(Integer.parseInt(mt.group(2)), maxPositions);
        default -> throw new IllegalStateException(spec);
      };
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("config: " + key + "=" + spec + ": " + ex.getMessage(), ex);
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
  private List<String> huggingFaceMasks(int layers) {
    Integer w = positiveOrNull("sliding_window");
    String sliding = w == null ? null : "sliding(" + (2L * w - 1) + ")";
    if (has("layer_types")) {
      JsonNode t = get("layer_types");
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
      return any ? out : null;
    }
    boolean mistral = dialect == Dialect.MISTRAL;
    boolean use = bool("use_sliding_window", mistral);
    Integer from = intOrNull("max_window_layers");
    if (from != null && from < 0) throw bad("max_window_layers", get("max_window_layers"), "must be >= 0");
    if (!use || sliding == null) return null;
    int first = mistral ? 0 : from != null ? from : HF_QWEN2_MAX_WINDOW_LAYERS;
    if (first >= layers) return null;
    List<String> out = new ArrayList<>(Collections.nCopies(layers, "causal"));
    for (int i = first; i < layers; i++) out.set(i, sliding);
    return out;
  }
}
