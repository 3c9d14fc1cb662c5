package lmlab.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import lmlab.models.Models;
import lmlab.models.RecurrentLmConfig;
import lmlab.models.TransformerConfig;

/**
 * Where an {@link Architecture} comes from: a name (an lmlab preset, or one of the analyser's
 * architecture names) with course-notation {@link Overrides}, or a Hugging Face config.json.
 *
 * <p>Names: the lmlab presets ({@code gpt}, {@code chargpt}, {@code gpt2}, {@code lstm-lm} and,
 * where the engine has them, {@code llama}, {@code qwen2}, {@code qwen2-variant}) with their sizes;
 * {@code gpt-gqa} is the gpt preset with grouped-query attention (n_kv = n_q/2 unless --n-kv,
 * our choice: pairs of query heads share a key/value head); {@code mamba2} and {@code gla} take
 * V, d and N_layer of the gpt preset (the course setting) and their families' defaults (Mamba-2:
 * E 2, P 64, N 128, G 1; GLA: n_h 4, d_k = d/2, d_v = d, d_ff = 4d like the GPT's MLP);
 * {@code qwen2.5-0.5b} is the published Qwen2.5-0.5B.
 */
public final class Configurations {
  /** Names that are not lmlab presets. */
  public static final List<String> ANALYSIS_NAMES = List.of("gpt-gqa", "mamba2", "gla", "qwen2.5-0.5b");

  /** model_type values a Hugging Face config.json may have. */
  public static final List<String> HF_MODEL_TYPES = List.of("gpt2", "llama", "mistral", "qwen2", "mamba2", "gla");

  private static final ObjectMapper JSON = new ObjectMapper();

  private Configurations() {}

  /** Every name {@link #named} accepts. */
  public static List<String> names() {
    List<String> all = new ArrayList<>(Models.presets());
    for (String n : List.of("llama", "qwen2")) if (!all.contains(n)) all.add(n);
    all.remove("rnn-lm");
    all.addAll(ANALYSIS_NAMES);
    return all;
  }

  /** The architecture of a name with overrides applied. */
  public static Architecture named(String name, Overrides o) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    TransformerArch gpt = TransformerArch.of("gpt", TransformerConfig.preset("gpt"));
    return switch (n) {
      case "gpt", "chargpt", "gpt2" -> transformer(TransformerArch.of(n, TransformerConfig.preset(n)), o, false);
      case "gpt-gqa" -> transformer(gpt.withName("gpt-gqa"), o, true);
      case "llama", "qwen2", "qwen2-variant" -> transformer(enginePresetOrLayout(n, gpt), o, false);
      case "qwen2.5-0.5b" -> transformer(qwen25(), o, false);
      case "mamba2" -> mamba2(Mamba2Arch.of("mamba2", gpt.vocab(), gpt.hidden(), gpt.layers()), o);
      case "gla" -> gla(GlaArch.of("gla", gpt.vocab(), gpt.hidden(), gpt.layers(), GlaArch.HEADS, 4 * gpt.hidden()), o);
      case "lstm-lm" -> lstm(LstmLmArch.of("lstm-lm", Models.preset("lstm-lm").recurrent()), o);
      default -> throw new IllegalArgumentException("unknown architecture '" + name + "'; known: "
          + String.join(", ", names()) + " (or --config FILE for a config.json)");
    };
  }

  /** The engine's preset when it has one; else the layout of models.md at the gpt preset's sizes. */
  private static TransformerArch enginePresetOrLayout(String n, TransformerArch gpt) {
    try {
      return TransformerArch.of(n, TransformerConfig.preset(n));
    } catch (IllegalArgumentException e) {
      if (n.equals("qwen2-variant")) throw new IllegalArgumentException("qwen2-variant: " + e.getMessage(), e);
      boolean qwen = n.equals("qwen2");
      return new TransformerArch(n, gpt.vocab(), gpt.hidden(), gpt.layers(), gpt.qHeads(), gpt.qHeads(),
          gpt.headDim(), 4 * gpt.hidden(), true, "silu", "rmsnorm", "rope", gpt.maxPositions(), qwen, false, false,
          false, false, null);
    }
  }

  /** Qwen2.5-0.5B as published (config.json of Qwen/Qwen2.5-0.5B). */
  static TransformerArch qwen25() {
    return new TransformerArch("qwen2.5-0.5b", 151936, 896, 24, 14, 2, 64, 4864, true, "silu", "rmsnorm", "rope",
        32768, true, false, false, false, true, null);
  }

  // ---------------------------------------------------------------------------- overrides

  private static TransformerArch transformer(TransformerArch t, Overrides o, boolean gqa) {
    int d = Overrides.or(o.hidden(), t.hidden());
    int nq = Overrides.or(o.qHeads(), t.qHeads());
    boolean derivedHead = (long) t.headDim() * t.qHeads() == t.hidden();
    int dh;
    if (o.headDim() != null) {
      dh = o.headDim();
    } else if (derivedHead) {
      if (nq < 1 || d % nq != 0) {
        throw new IllegalArgumentException("n_q = " + nq + " does not divide d = " + d
            + " (give --d-h for another head width)");
      }
      dh = d / nq;
    } else {
      dh = t.headDim();
    }
    int nkv;
    if (o.kvHeads() != null) nkv = o.kvHeads();
    else if (gqa) nkv = nq % 2 == 0 ? nq / 2 : 1;
    else if (t.kvHeads() == t.qHeads()) nkv = nq;
    else nkv = t.kvHeads();
    if (nkv < 1 || nq % nkv != 0) {
      throw new IllegalArgumentException("n_kv = " + nkv + " must divide n_q = " + nq);
    }
    int ff;
    if (o.ffDim() != null) ff = o.ffDim();
    else if (t.ffDim() % t.hidden() == 0) ff = Math.multiplyExact(t.ffDim() / t.hidden(), d); // d_ff = m·d follows d
    else ff = t.ffDim();
    int layers = Overrides.or(o.layers(), t.layers());
    List<String> masks = t.masks();
    if (layers != t.layers()) {
      if (masks.stream().distinct().count() > 1) {
        throw new IllegalArgumentException("--n-layer: " + t.name() + " has a per-layer mask schedule " + masks
            + "; its layer count cannot change");
      }
      masks = Collections.nCopies(layers, masks.getFirst());
    }
    return new TransformerArch(t.name(), Overrides.or(o.vocab(), t.vocab()), d, layers, nq, nkv, dh, ff, t.swiglu(),
        t.activation(), t.norm(), t.position(), Overrides.or(o.maxPositions(), t.maxPositions()), t.qkvBias(),
        t.oBias(), t.mlpBias(), t.lmHeadBias(), t.tied(), masks);
  }

  private static Mamba2Arch mamba2(Mamba2Arch m, Overrides o) {
    return new Mamba2Arch(m.name(), Overrides.or(o.vocab(), m.vocab()), Overrides.or(o.hidden(), m.hidden()),
        Overrides.or(o.layers(), m.layers()), Overrides.or(o.expand(), m.expand()),
        Overrides.or(o.headWidth(), m.headWidth()), Overrides.or(o.stateSize(), m.stateSize()),
        Overrides.or(o.groups(), m.groups()), m.convWidth(), m.padMultiple(), m.tied());
  }

  private static GlaArch gla(GlaArch g, Overrides o) {
    int d = Overrides.or(o.hidden(), g.hidden());
    int dk = o.keyDim() != null ? o.keyDim() : g.keyDim() * 2 == g.hidden() ? d / 2 : g.keyDim();
    int dv = o.valueDim() != null ? o.valueDim() : g.valueDim() == g.hidden() ? d : g.valueDim();
    int ff = o.ffDim() != null ? o.ffDim() : g.ffDim() % g.hidden() == 0 ? g.ffDim() / g.hidden() * d : g.ffDim();
    return new GlaArch(g.name(), Overrides.or(o.vocab(), g.vocab()), d, Overrides.or(o.layers(), g.layers()),
        Overrides.or(o.glaHeads(), g.heads()), dk, dv, ff, g.gateRank(), g.tied());
  }

  private static LstmLmArch lstm(LstmLmArch l, Overrides o) {
    int dh = Overrides.or(o.hidden(), l.hiddenSize());
    int de = o.embedding() != null ? o.embedding() : l.embedding() == l.hiddenSize() ? dh : l.embedding();
    return new LstmLmArch(l.name(), Overrides.or(o.vocab(), l.vocab()), de, dh, Overrides.or(o.layers(), l.layers()),
        l.bias());
  }

  /** Applies overrides to any architecture (those that do not apply to its family are ignored). */
  public static Architecture override(Architecture a, Overrides o) {
    return switch (a) {
      case TransformerArch t -> transformer(t, o, false);
      case Mamba2Arch m -> mamba2(m, o);
      case GlaArch g -> gla(g, o);
      case LstmLmArch l -> lstm(l, o);
    };
  }

  // ---------------------------------------------------------------------------- config.json

  /** Reads a config.json (a file, or a directory holding one); errors name the file and the field. */
  public static Architecture read(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.isRegularFile(file)) throw new IOException(file + ": no such file");
    JsonNode json;
    try {
      json = JSON.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    Path parent = file.toAbsolutePath().getParent();
    String name = parent != null && parent.getFileName() != null ? parent.getFileName().toString() : file.toString();
    try {
      return fromJson(name, json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The architecture of a config.json object: Hugging Face model types gpt2, llama, mistral, qwen2,
   * mamba2, gla; an lmlab config (no model_type, or lstm-lm). Errors name the field.
   */
  public static Architecture fromJson(String name, JsonNode json) {
    if (json == null || !json.isObject()) throw new IllegalArgumentException("expected a JSON object");
    JsonNode mt = json.get("model_type");
    if ((mt == null || mt.isNull()) && json.has("ssm_cfg")) return mambaSsm(name, new HfFields(json, "mamba2 (mamba_ssm)"));
    if (mt == null || mt.isNull()) return lmlab(name, json);
    if (!mt.isTextual()) throw new IllegalArgumentException("model_type must be a string, got " + mt);
    HfFields f = new HfFields(json, mt.asText());
    return switch (mt.asText()) {
      case "gpt2" -> gpt2(name, f);
      case "llama", "mistral", "qwen2" -> llama(name, f);
      case "mamba2" -> mamba2(name, f);
      case "gla" -> gla(name, f);
      case "lstm-lm" -> lmlab(name, json);
      default -> throw new IllegalArgumentException("model_type \"" + mt.asText() + "\" is not known; known: "
          + String.join(", ", HF_MODEL_TYPES) + ", lstm-lm (or none for an lmlab Transformer config)");
    };
  }

  private static Architecture lmlab(String name, JsonNode json) {
    Models.Spec s = Models.parseConfig(json);
    return s.transformer() != null ? TransformerArch.of(name, s.transformer()) : LstmLmArch.of(name, s.recurrent());
  }

  private static TransformerArch gpt2(String name, HfFields f) {
    int d = f.positive("n_embd", "hidden_size");
    int layers = f.positive("n_layer", "num_hidden_layers");
    int heads = f.positive("n_head", "num_attention_heads");
    int vocab = f.positive("vocab_size");
    int positions = f.positive("n_positions", "max_position_embeddings");
    f.divides("n_head", heads, "n_embd", d);
    Integer inner = f.optionalPositive("n_inner");
    String act = f.optionalText("activation_function", "gelu_new");
    return new TransformerArch(name, vocab, d, layers, heads, heads, d / heads, inner != null ? inner : 4 * d, false,
        act, "layernorm", "learned", positions, true, true, true, false, f.bool("tie_word_embeddings", true), null);
  }

  private static TransformerArch llama(String name, HfFields f) {
    String type = f.type;
    int d = f.positive("hidden_size");
    int layers = f.positive("num_hidden_layers");
    int nq = f.positive("num_attention_heads");
    int vocab = f.positive("vocab_size");
    int ff = f.positive("intermediate_size");
    Integer nkvGiven = f.optionalPositive("num_key_value_heads");
    int nkv = nkvGiven != null ? nkvGiven : nq;
    f.divides("num_key_value_heads", nkv, "num_attention_heads", nq);
    Integer dhGiven = f.optionalPositive("head_dim");
    int dh;
    if (dhGiven != null) {
      dh = dhGiven;
    } else {
      f.divides("num_attention_heads", nq, "hidden_size", d);
      dh = d / nq;
    }
    String act = f.optionalText("hidden_act", "silu");
    if (!act.equals("silu") && !act.equals("swish")) {
      throw new IllegalArgumentException("hidden_act \"" + act + "\": a " + type + " config has the SwiGLU MLP (silu)");
    }
    boolean qkvBias;
    boolean oBias;
    if (type.equals("qwen2")) {
      qkvBias = true; // Qwen2: q/k/v biases always, o_proj without
      oBias = false;
    } else if (type.equals("llama")) {
      qkvBias = oBias = f.bool("attention_bias", false); // Llama: attention_bias puts a bias on all four
    } else {
      qkvBias = oBias = false; // Mistral: no biases
    }
    boolean mlpBias = type.equals("llama") && f.bool("mlp_bias", false);
    int positions = f.optionalPositive("max_position_embeddings") != null ? f.positive("max_position_embeddings")
        : TransformerConfig.DEFAULT_MAX_POSITIONS;
    // A Hugging Face window of W keys (t - j < W) is lmlab's sliding(2W - 1), floor(w/2) + 1 = W keys.
    List<String> masks = new ArrayList<>(Collections.nCopies(layers, "causal"));
    Integer window = f.optionalPositive("sliding_window");
    if (window != null) {
      if (type.equals("mistral")) {
        Collections.fill(masks, "sliding(" + (2 * window - 1) + ")");
      } else if (type.equals("qwen2") && f.bool("use_sliding_window", false)) {
        Integer from = f.optionalPositive("max_window_layers");
        for (int i = from == null ? 28 : from; i < layers; i++) masks.set(i, "sliding(" + (2 * window - 1) + ")");
      }
    }
    return new TransformerArch(name, vocab, d, layers, nq, nkv, dh, ff, true, "silu", "rmsnorm", "rope", positions,
        qkvBias, oBias, mlpBias, false, f.bool("tie_word_embeddings", false), masks);
  }

  private static Mamba2Arch mamba2(String name, HfFields f) {
    int d = f.positive("hidden_size", "d_model");
    int layers = f.positive("num_hidden_layers", "n_layer");
    int vocab = f.positive("vocab_size");
    int expand = f.positiveOr("expand", Mamba2Arch.E);
    int p = f.positiveOr("head_dim", Mamba2Arch.P);
    int n = f.positiveOr("state_size", Mamba2Arch.N);
    int g = f.positiveOr("n_groups", Mamba2Arch.G);
    int conv = f.positiveOr("conv_kernel", Mamba2Arch.D_CONV);
    int pad = f.positiveOr("pad_vocab_size_multiple", 16);
    long inner = (long) expand * d;
    if (inner % p != 0) {
      throw new IllegalArgumentException("head_dim = " + p + " does not divide expand·hidden_size = " + inner);
    }
    Integer heads = f.optionalPositive("num_heads");
    if (heads != null && heads != inner / p) {
      throw new IllegalArgumentException("num_heads = " + heads + " contradicts expand·hidden_size / head_dim = "
          + expand + "·" + d + " / " + p + " = " + inner / p);
    }
    if (f.bool("use_bias", false)) throw new IllegalArgumentException("use_bias = true is not analysed (in_proj/out_proj biases)");
    if (!f.bool("use_conv_bias", true)) throw new IllegalArgumentException("use_conv_bias = false is not analysed");
    // the state-spaces/mamba models tie the head to the embedding (analysis.md)
    return new Mamba2Arch(name, vocab, d, layers, expand, p, n, g, conv, pad, f.bool("tie_word_embeddings", true));
  }

  /** A state-spaces/mamba config.json (d_model, n_layer, ssm_cfg {layer: Mamba2, ...}), no model_type. */
  private static Mamba2Arch mambaSsm(String name, HfFields f) {
    JsonNode ssm = f.json.get("ssm_cfg");
    if (!ssm.isObject()) throw new IllegalArgumentException("field 'ssm_cfg' must be an object, got " + ssm);
    HfFields c = new HfFields(ssm, f.type);
    String layer = c.optionalText("layer", "Mamba1");
    if (!layer.equals("Mamba2")) {
      throw new IllegalArgumentException("ssm_cfg.layer \"" + layer + "\" is not analysed (only Mamba2)");
    }
    JsonNode mlp = f.json.get("d_intermediate");
    if (mlp != null && !(mlp.isIntegralNumber() && mlp.intValue() == 0)) {
      throw new IllegalArgumentException("field 'd_intermediate' = " + mlp + ": Mamba-2 layers with an MLP are not analysed");
    }
    JsonNode attn = f.json.get("attn_layer_idx");
    if (attn != null && !(attn.isArray() && attn.isEmpty())) {
      throw new IllegalArgumentException("field 'attn_layer_idx' = " + attn + ": hybrid attention layers are not analysed");
    }
    int d = f.positive("d_model");
    int expand = c.positiveOr("expand", Mamba2Arch.E);
    int p = c.positiveOr("headdim", Mamba2Arch.P);
    if ((long) expand * d % p != 0) {
      throw new IllegalArgumentException("ssm_cfg.headdim = " + p + " does not divide expand·d_model = " + (long) expand * d);
    }
    return new Mamba2Arch(name, f.positive("vocab_size"), d, f.positive("n_layer"), expand, p,
        c.positiveOr("d_state", Mamba2Arch.N), c.positiveOr("ngroups", Mamba2Arch.G), c.positiveOr("d_conv", Mamba2Arch.D_CONV),
        f.positiveOr("pad_vocab_size_multiple", 16), f.bool("tie_embeddings", true));
  }

  private static GlaArch gla(String name, HfFields f) {
    int d = f.positive("hidden_size");
    int layers = f.positive("num_hidden_layers");
    int vocab = f.positive("vocab_size");
    int heads = f.positiveOr("num_heads", GlaArch.HEADS);
    double ek = f.number("expand_k", 0.5);
    double ev = f.number("expand_v", 1.0);
    int dk = (int) (d * ek);
    int dv = (int) (d * ev);
    if (dk < 1 || dk % heads != 0) {
      throw new IllegalArgumentException("num_heads = " + heads + " does not divide the key width hidden_size·expand_k = "
          + dk);
    }
    if (dv < 1 || dv % heads != 0) {
      throw new IllegalArgumentException("num_heads = " + heads
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
    if (f.json.has("num_kv_heads") && !f.json.get("num_kv_heads").isNull()) {
      throw new IllegalArgumentException("num_kv_heads is not analysed for gla (grouped GLA); remove it or set it to null");
    }
    if (!f.bool("use_output_gate", true)) throw new IllegalArgumentException("use_output_gate = false is not analysed");
    return new GlaArch(name, vocab, d, layers, heads, dk, dv, ff, f.positiveOr("gate_low_rank_dim", GlaArch.GATE_RANK),
        f.bool("tie_word_embeddings", false));
  }

  /** Typed reads of a Hugging Face config with errors that name the field. */
  private static final class HfFields {
    final JsonNode json;
    final String type;

    HfFields(JsonNode json, String type) {
      this.json = json;
      this.type = type;
    }

    private JsonNode find(String... keys) {
      for (String k : keys) {
        JsonNode v = json.get(k);
        if (v != null && !v.isNull()) return v;
      }
      return null;
    }

    int positive(String... keys) {
      JsonNode v = find(keys);
      if (v == null) {
        throw new IllegalArgumentException("missing field '" + keys[0] + "'"
            + (keys.length > 1 ? " (or '" + String.join("', '", List.of(keys).subList(1, keys.length)) + "')" : "")
            + ", needed for model_type " + type);
      }
      return check(keys[0], v);
    }

    Integer optionalPositive(String key) {
      JsonNode v = find(key);
      return v == null ? null : check(key, v);
    }

    int positiveOr(String key, int fallback) {
      Integer v = optionalPositive(key);
      return v != null ? v : fallback;
    }

    private static int check(String key, JsonNode v) {
      if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
        throw new IllegalArgumentException("field '" + key + "' must be a positive integer, got " + v);
      }
      return v.intValue();
    }

    double number(String key, double fallback) {
      JsonNode v = find(key);
      if (v == null) return fallback;
      if (!v.isNumber() || v.doubleValue() <= 0) {
        throw new IllegalArgumentException("field '" + key + "' must be a positive number, got " + v);
      }
      return v.doubleValue();
    }

    boolean bool(String key, boolean fallback) {
      JsonNode v = find(key);
      if (v == null) return fallback;
      if (!v.isBoolean()) throw new IllegalArgumentException("field '" + key + "' must be true or false, got " + v);
      return v.booleanValue();
    }

    String optionalText(String key, String fallback) {
      JsonNode v = find(key);
      if (v == null) return fallback;
      if (!v.isTextual()) throw new IllegalArgumentException("field '" + key + "' must be a string, got " + v);
      return v.asText();
    }

    void divides(String divisorKey, int divisor, String key, int value) {
      if (value % divisor != 0) {
        throw new IllegalArgumentException("contradictory fields: " + divisorKey + " = " + divisor + " does not divide "
            + key + " = " + value);
      }
    }
  }
}
