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
import lmlab.models.GlaConfig;
import lmlab.models.HfConfigs;
import lmlab.models.Mamba2Config;
import lmlab.models.ModelConfig;
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
  public static final List<String> HF_MODEL_TYPES = HfConfigs.MODEL_TYPES;

  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS) // Mamba-2's time_step_limit [0, Infinity]
      .build();

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
      case "lstm-lm" -> recurrent(RecurrentLmArch.of("lstm-lm", Models.preset("lstm-lm").configAs(RecurrentLmConfig.class)), o);
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
        Overrides.or(o.groups(), m.groups()), m.convWidth(), m.padMultiple(), m.tied(), m.bias(), m.convBias());
  }

  private static GlaArch gla(GlaArch g, Overrides o) {
    int d = Overrides.or(o.hidden(), g.hidden());
    int dk = o.keyDim() != null ? o.keyDim() : g.keyDim() * 2 == g.hidden() ? d / 2 : g.keyDim();
    int dv = o.valueDim() != null ? o.valueDim() : g.valueDim() == g.hidden() ? d : g.valueDim();
    int ff = o.ffDim() != null ? o.ffDim() : g.ffDim() % g.hidden() == 0 ? g.ffDim() / g.hidden() * d : g.ffDim();
    return new GlaArch(g.name(), Overrides.or(o.vocab(), g.vocab()), d, Overrides.or(o.layers(), g.layers()),
        Overrides.or(o.glaHeads(), g.heads()), dk, dv, ff, g.gateRank(), g.tied(), g.regla());
  }

  private static RecurrentLmArch recurrent(RecurrentLmArch r, Overrides o) {
    int dh = Overrides.or(o.hidden(), r.hiddenSize());
    int de = o.embedding() != null ? o.embedding() : r.embedding() == r.hiddenSize() ? dh : r.embedding();
    return r.resized(Overrides.or(o.vocab(), r.vocab()), de, dh, Overrides.or(o.layers(), r.layers()));
  }

  /** Applies overrides to any architecture (those that do not apply to its family are ignored). */
  public static Architecture override(Architecture a, Overrides o) {
    return switch (a) {
      case TransformerArch t -> transformer(t, o, false);
      case Mamba2Arch m -> mamba2(m, o);
      case GlaArch g -> gla(g, o);
      case RecurrentLmArch r -> recurrent(r, o);
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
   * The architecture of a config.json object, read by the engine's own reader
   * ({@link HfConfigs#read}: one reader per model_type, shared with the engine): Hugging Face model
   * types gpt2, llama, mistral, qwen2, mamba2, gla; an lmlab config (no model_type, or lstm-lm).
   * Errors name the field.
   */
  public static Architecture fromJson(String name, JsonNode json) {
    if (json == null || !json.isObject()) throw new IllegalArgumentException("expected a JSON object");
    return of(name, HfConfigs.read(json).config());
  }

  /** The architecture of a typed configuration. */
  public static Architecture of(String name, ModelConfig c) {
    return switch (c) {
      case TransformerConfig t -> TransformerArch.of(name, t);
      case RecurrentLmConfig r -> RecurrentLmArch.of(name, r);
      case Mamba2Config m -> Mamba2Arch.of(name, m);
      case GlaConfig g -> GlaArch.of(name, g);
      default -> throw new IllegalArgumentException("model_type \"" + c.modelType() + "\" is not analysed");
    };
  }
}
