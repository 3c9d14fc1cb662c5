package lmlab.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lmlab.models.TransformerConfig;

/**
 * The decoder-only Transformer (gpt, gpt-gqa, chargpt, gpt2, llama, qwen2 and any lmlab or Hugging
 * Face config of that shape) in the course notation: V, d, N_layer, n_q, n_kv, d_h, d_ff, S_max.
 *
 * <ul>
 *   <li>Parameters: V·d (+ S_max·d learned positions) + N_layer·(attention + biases + MLP + two
 *       norms) + final norm (+ V·d untied head, + V head bias).
 *   <li>KV cache: 2·N_layer·L·n_kv·d_h elements; a windowed layer holds min(L, span) tokens
 *       (sliding span floor(w/2) + 1, dilated (floor(window/δ) - 1)·δ + 1) and block_local
 *       ((L - 1) mod b) + 1 with b = ceil(S_max / n_blocks) (layers.md, analysis.md).
 *   <li>FLOPs per layer: 8·L·d^2 (MHA projections; GQA 4·L·d^2 + 4·L·d^2·n_kv/n_q) +
 *       2·d·L(L+1) causal attention (4·d·L^2 full) + 4·L·d·d_ff (SwiGLU 6·L·d·d_ff); LM head 2·L·d·V.
 * </ul>
 *
 * @param masks one mask per layer in the layers.md syntax (causal, sliding(w), dilated(w,δ),
 *     block_local(n), custom)
 * @param maxPositions S_max: the learned position table's rows (and block_local's context window)
 */
public record TransformerArch(String name, int vocab, int hidden, int layers, int qHeads, int kvHeads, int headDim,
    int ffDim, boolean swiglu, String activation, String norm, String position, int maxPositions, boolean qkvBias,
    boolean oBias, boolean mlpBias, boolean lmHeadBias, boolean tied, List<String> masks) implements Architecture {

  private static final Pattern SLIDING = Pattern.compile("sliding\\(\\s*(\\d+)\\s*\\)");
  private static final Pattern DILATED = Pattern.compile("dilated\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)");
  private static final Pattern BLOCK = Pattern.compile("block_local\\(\\s*(\\d+)\\s*\\)");

  public TransformerArch {
    positive("V (vocab_size)", vocab);
    positive("d (hidden_size)", hidden);
    positive("N_layer (num_hidden_layers)", layers);
    positive("n_q (num_attention_heads)", qHeads);
    positive("n_kv (num_key_value_heads)", kvHeads);
    positive("d_h (head_dim)", headDim);
    positive("d_ff (intermediate_size)", ffDim);
    if (qHeads % kvHeads != 0) {
      throw new IllegalArgumentException("n_kv (num_key_value_heads) = " + kvHeads
          + " must divide n_q (num_attention_heads) = " + qHeads);
    }
    if (!List.of("layernorm", "rmsnorm", "dyt").contains(norm)) {
      throw new IllegalArgumentException("norm '" + norm + "' is not known; use layernorm, rmsnorm or dyt");
    }
    masks = masks == null ? Collections.nCopies(layers, "causal") : List.copyOf(masks);
    if (masks.size() != layers) {
      throw new IllegalArgumentException("masks: " + masks.size() + " entries for " + layers + " layers");
    }
    for (String m : masks) span(m.trim(), maxPositions); // validates
  }

  private static void positive(String what, int v) {
    if (v < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + v);
  }

  /** The architecture of an lmlab Transformer configuration (a preset or a config.json). */
  public static TransformerArch of(String name, TransformerConfig c) {
    if (c.mixers().stream().anyMatch(m -> !m.equals("attention"))) {
      throw new IllegalArgumentException("mixers " + c.mixers() + ": the closed forms cover attention layers only;"
          + " a hybrid is counted by building it (lmlab params)");
    }
    return new TransformerArch(name, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numAttentionHeads(),
        c.numKeyValueHeads(), c.headDim(), c.intermediateSize(), c.mlp() == TransformerConfig.Mlp.SWIGLU, c.hiddenAct(),
        c.norm().configName(), c.position().configName(), c.maxPositionEmbeddings(), c.attentionBias(), c.oProjBias(), c.mlpBias(), c.lmHeadBias(),
        c.tieWordEmbeddings(), c.masks());
  }

  public TransformerArch withName(String n) {
    return new TransformerArch(n, vocab, hidden, layers, qHeads, kvHeads, headDim, ffDim, swiglu, activation, norm,
        position, maxPositions, qkvBias, oBias, mlpBias, lmHeadBias, tied, masks);
  }

  private boolean learned() {
    return position.equals("learned");
  }

  /** n_q·d_h = d: the query width reads as d. */
  private boolean square() {
    return (long) qHeads * headDim == hidden;
  }

  private String qWidth() {
    return square() ? "d" : "n_q·d_h";
  }

  private String kvWidth() {
    return square() && kvHeads == qHeads ? "d" : "n_kv·d_h";
  }

  @Override
  public String summary() {
    String attn = kvHeads == qHeads ? "MHA" : kvHeads == 1 ? "MQA" : "GQA";
    List<String> bias = new ArrayList<>();
    if (qkvBias) bias.add("qkv");
    if (oBias) bias.add("o");
    if (mlpBias) bias.add("mlp");
    if (lmHeadBias) bias.add("head");
    boolean causal = masks.stream().allMatch(m -> m.equals("causal"));
    return "Transformer: " + attn + " (n_q " + qHeads + ", n_kv " + kvHeads + ", d_h " + headDim + "), "
        + position + " positions, " + norm + ", " + (swiglu ? "SwiGLU" : activation + " MLP") + ", biases "
        + (bias.isEmpty() ? "none" : String.join("+", bias)) + ", " + (tied ? "tied" : "untied") + " head"
        + (causal ? "" : ", masks " + masks);
  }

  @Override
  public Map<String, Long> symbols() {
    Map<String, Long> s = new LinkedHashMap<>();
    s.put("V", (long) vocab);
    s.put("d", (long) hidden);
    s.put("N_layer", (long) layers);
    s.put("n_q", (long) qHeads);
    s.put("n_kv", (long) kvHeads);
    s.put("d_h", (long) headDim);
    s.put("d_ff", (long) ffDim);
    if (learned() || masks.stream().anyMatch(m -> m.startsWith("block_local"))) s.put("S_max", (long) maxPositions);
    return s;
  }

  /** Attention weights, biases, MLP and the two norms of one block. */
  private Terms layerTerms() {
    Terms t = new Terms();
    if (square() && kvHeads == qHeads) {
      t.add(4, "d^2");
    } else if (square()) {
      t.add(2, "d^2").add(2, "d·n_kv·d_h");
    } else {
      t.add(2, "d·n_q·d_h").add(2, "d·n_kv·d_h");
    }
    t.add(swiglu ? 3 : 2, "d·d_ff");
    if (qkvBias) {
      if (square()) t.add(1, "d");
      else t.add(1, "n_q·d_h");
      t.add(2, kvWidth().equals("d") ? "d" : "n_kv·d_h");
    }
    if (oBias) t.add(1, "d");
    if (mlpBias) t.add(swiglu ? 2 : 1, "d_ff").add(1, "d");
    normTerms(t, 2);
    return t;
  }

  /** count norms: LayerNorm 2d, RMSNorm d, DyT 2d + 1 (weight, bias, alpha). */
  private void normTerms(Terms t, int count) {
    switch (norm) {
      case "layernorm" -> t.add(2L * count, "d");
      case "rmsnorm" -> t.add(count, "d");
      default -> t.add(2L * count, "d").add(count, "1");
    }
  }

  @Override
  public String parameters() {
    Terms outer = new Terms().add(tied ? 1 : 2, "V·d");
    if (learned()) outer.add(1, "S_max·d");
    String s = outer.render() + " + " + Architecture.timesLeft("N_layer", layerTerms().render());
    Terms tail = new Terms();
    normTerms(tail, 1);
    if (!tied && lmHeadBias) tail.add(1, "V");
    return s + " + " + tail.render();
  }

  @Override
  public String embeddingParameters() {
    return learned() ? "V·d + S_max·d" : "V·d";
  }

  @Override
  public String layerParameters() {
    return layerTerms().render();
  }

  @Override
  public boolean recurrent() {
    return false;
  }

  @Override
  public String stateElements() {
    String w = kvWidth();
    if (masks.stream().allMatch(m -> span(m, maxPositions).equals("L"))) return "2·N_layer·L·" + w;
    Terms held = new Terms();
    for (String m : masks) held.add(1, span(m, maxPositions));
    return "2·" + w + "·" + held.grouped();
  }

  /** Tokens a layer's cache holds after L tokens, as an expression in L. */
  static String span(String mask, int maxPositions) {
    String m = mask.trim();
    if (m.equals("causal") || m.equals("custom")) return "L";
    Matcher s = SLIDING.matcher(m);
    if (s.matches()) return "min(L, " + (Integer.parseInt(s.group(1)) / 2 + 1) + ")";
    Matcher dl = DILATED.matcher(m);
    if (dl.matches()) {
      int window = Integer.parseInt(dl.group(1));
      int delta = Integer.parseInt(dl.group(2));
      if (delta < 1 || window < delta) {
        throw new IllegalArgumentException("mask '" + m + "': dilation must be >= 1 and <= window");
      }
      return "min(L, " + ((window / delta - 1) * delta + 1) + ")";
    }
    Matcher b = BLOCK.matcher(m);
    if (b.matches()) {
      int n = Integer.parseInt(b.group(1));
      if (n < 1) throw new IllegalArgumentException("mask '" + m + "': n_blocks must be >= 1");
      int size = (maxPositions + n - 1) / n;
      return "(mod(L - 1, " + size + ") + 1)";
    }
    throw new IllegalArgumentException("mask '" + m + "' is not known; use causal, sliding(w), dilated(w,δ), "
        + "block_local(n) or custom");
  }

  /**
   * Query-key pairs one head scores under mask for L queries (causal counting): the lower triangle
   * L(L+1)/2 for causal; a window of s keys gives m(m+1)/2 + (L - m)·s with m = min(L, s).
   */
  static String pairs(String mask, int maxPositions) {
    String m = mask.trim();
    Matcher s = SLIDING.matcher(m);
    if (s.matches()) {
      int w = Integer.parseInt(s.group(1)) / 2 + 1;
      return "(min(L, " + w + ")·(min(L, " + w + ") + 1)/2 + (L - min(L, " + w + "))·" + w + ")";
    }
    Matcher dl = DILATED.matcher(m);
    if (dl.matches()) {
      // row t sees min(k, floor(t/δ) + 1) keys, k = floor(window/δ); rows t < T = min(L, (k-1)·δ) see floor(t/δ) + 1
      int delta = Integer.parseInt(dl.group(2));
      int k = Integer.parseInt(dl.group(1)) / delta;
      String tt = "min(L, " + (k - 1) * delta + ")";
      String q = "floor(" + tt + "/" + delta + ")";
      return "(" + delta + "·" + q + "·(" + q + " + 1)/2 + mod(" + tt + ", " + delta + ")·(" + q + " + 1) + (L - "
          + tt + ")·" + k + ")";
    }
    Matcher b = BLOCK.matcher(m);
    if (b.matches()) {
      int n = Integer.parseInt(b.group(1));
      int size = (maxPositions + n - 1) / n;
      // floor(L/b) full blocks of b(b+1)/2 pairs, then a partial block of r = L mod b rows
      return "(floor(L/" + size + ")·" + (long) size * (size + 1) / 2 + " + mod(L, " + size + ")·(mod(L, " + size
          + ") + 1)/2)";
    }
    return "L(L+1)/2";
  }

  @Override
  public String forwardFlops(Counting counting) {
    Terms layer = new Terms();
    if (square() && kvHeads == qHeads) {
      layer.add(8, "L·d^2");
    } else if (square()) {
      layer.add(4, "L·d^2").add(4, "L·d^2·n_kv/n_q"); // K and V projections shrink by n_kv/n_q
    } else {
      layer.add(4, "L·d·n_q·d_h").add(4, "L·d·n_kv·d_h");
    }
    layer.add(swiglu ? 6 : 4, "L·d·d_ff");
    String w = qWidth();
    boolean causalOnly = masks.stream().allMatch(m -> pairs(m, maxPositions).equals("L(L+1)/2"));
    String perLayerTotal;
    if (counting == Counting.FULL) {
      layer.add(4, w + "·L^2"); // scores 2·d_h·L^2 and A·V 2·d_h·L^2 per head
      perLayerTotal = Architecture.timesLeft("N_layer", layer.render());
    } else if (causalOnly) {
      layer.add(2, w + "·L(L+1)"); // scores d_h·L(L+1) and A·V d_h·L(L+1) per head
      perLayerTotal = Architecture.timesLeft("N_layer", layer.render());
    } else {
      Terms attn = new Terms();
      for (String m : masks) attn.add(4, w + "·" + pairs(m, maxPositions));
      perLayerTotal = Architecture.timesLeft("N_layer", layer.render()) + " + " + attn.render();
    }
    return perLayerTotal + " + 2·L·d·V";
  }

  @Override
  public List<Matrix> loraMatrices() {
    String q = qWidth();
    String kv = kvWidth();
    List<Matrix> m = new ArrayList<>();
    m.add(new Matrix("q", "d", q));
    m.add(new Matrix("k", "d", kv));
    m.add(new Matrix("v", "d", kv));
    m.add(new Matrix("o", q, "d"));
    if (swiglu) m.add(new Matrix("gate", "d", "d_ff"));
    m.add(new Matrix("up", "d", "d_ff"));
    m.add(new Matrix("down", "d_ff", "d"));
    return m;
  }
}
