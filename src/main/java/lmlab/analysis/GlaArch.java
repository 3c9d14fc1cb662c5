package lmlab.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.models.GlaConfig;

/**
 * Gated linear attention (flash-linear-attention defaults, analysis.md): d_k = d/2, d_v = d, n_h
 * heads. One layer: q, k (d·d_k each), v and the output gate g (d·d_v each), o (d_v·d), the
 * low-rank forget gate d·r + r·d_k + d_k (r = 16), a per-head RMSNorm d_v/n_h, a SwiGLU FFN
 * 3·d·d_ff and two RMSNorms 2d. Model: N_layer layers + V·d embedding + final norm d (+ V·d when
 * the head is untied, fla's default).
 *
 * <p>State per layer and sequence: n_h·(d_k/n_h)·(d_v/n_h) = d_k·d_v/n_h. FLOPs per token and
 * layer: projections 2·d·(2·d_k + 2·d_v) + 2·d_v·d, the gate 2·d·r + 2·r·d_k, the state update
 * S ← diag(α)·S + kᵀv (3 per state element) and read-out q·S (2 per state element):
 * 5·d_k·d_v/n_h, and the FFN 6·d·d_ff.
 *
 * <p>ReGLA (mixers.md) replaces the low-rank gate by the full-rank refining gate, f and r with
 * biases: 2·(d·d_k + d_k) parameters, 4·d·d_k FLOPs per token; its state adds the running key
 * maximum, one element per head (n_h).
 */
public record GlaArch(String name, int vocab, int hidden, int layers, int heads, int keyDim, int valueDim, int ffDim,
    int gateRank, boolean tied, boolean regla) implements Architecture {

  public static final int HEADS = GlaConfig.HEADS;
  public static final int GATE_RANK = GlaConfig.GATE_RANK;

  public GlaArch {
    if (vocab < 1 || hidden < 1 || layers < 1 || heads < 1 || keyDim < 1 || valueDim < 1 || ffDim < 1
        || (!regla && gateRank < 1)) {
      throw new IllegalArgumentException("gla: V, d, N_layer, n_h, d_k, d_v, d_ff must be >= 1");
    }
    if (keyDim % heads != 0) {
      throw new IllegalArgumentException("gla: n_h (num_heads) = " + heads + " must divide d_k = " + keyDim);
    }
    if (valueDim % heads != 0) {
      throw new IllegalArgumentException("gla: n_h (num_heads) = " + heads + " must divide d_v = " + valueDim);
    }
  }

  /** The architecture of a config.json read by the shared reader ({@link lmlab.models.HfConfigs}). */
  public static GlaArch of(String name, GlaConfig c) {
    return new GlaArch(name, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.numHeads(), c.keyDim(),
        c.valueDim(), c.intermediateSize(), c.regla() ? GATE_RANK : c.gateLowRankDim(), c.tieWordEmbeddings(), c.regla());
  }

  /** fla's defaults: d_k = d/2, d_v = d, gate rank 16, untied head. */
  public static GlaArch of(String name, int vocab, int hidden, int layers, int heads, int ffDim) {
    return new GlaArch(name, vocab, hidden, layers, heads, hidden / 2, hidden, ffDim, GATE_RANK, false, false);
  }

  @Override
  public String summary() {
    return (regla ? "ReGLA: n_h " : "GLA: n_h ") + heads + ", d_k " + keyDim + ", d_v " + valueDim
        + (regla ? ", refining gate" : ", gate rank " + gateRank)
        + ", SwiGLU FFN, " + (tied ? "tied" : "untied") + " head";
  }

  @Override
  public Map<String, Long> symbols() {
    Map<String, Long> s = new LinkedHashMap<>();
    s.put("V", (long) vocab);
    s.put("d", (long) hidden);
    s.put("N_layer", (long) layers);
    s.put("n_h", (long) heads);
    s.put("d_k", (long) keyDim);
    s.put("d_v", (long) valueDim);
    s.put("d_ff", (long) ffDim);
    return s;
  }

  @Override
  public String parameters() {
    return (tied ? "V·d" : "2·V·d") + " + N_layer·(" + layerParameters() + ") + d";
  }

  @Override
  public String embeddingParameters() {
    return "V·d";
  }

  @Override
  public String layerParameters() {
    int r = gateRank;
    if (regla) return "2·d·d_k + 2·d·d_v + d_v·d + 2·d·d_k + 2·d_k + d_v/n_h + 3·d·d_ff + 2d";
    return "2·d·d_k + 2·d·d_v + d_v·d + " + r + "·d + " + r + "·d_k + d_k + d_v/n_h + 3·d·d_ff + 2d";
  }

  @Override
  public boolean recurrent() {
    return true;
  }

  @Override
  public String stateElements() {
    return regla ? "N_layer·(d_k·d_v/n_h + n_h)" : "N_layer·d_k·d_v/n_h";
  }

  @Override
  public String forwardFlops(Counting counting) {
    int r = gateRank;
    if (regla) {
      return "N_layer·L·(2·d·(2·d_k + 2·d_v) + 2·d_v·d + 4·d·d_k + 5·d_k·d_v/n_h + 6·d·d_ff) + 2·L·d·V";
    }
    return "N_layer·L·(2·d·(2·d_k + 2·d_v) + 2·d_v·d + " + 2 * r + "·d + " + 2 * r + "·d_k + 5·d_k·d_v/n_h + 6·d·d_ff)"
        + " + 2·L·d·V";
  }
}
