package lmlab.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.models.Mamba2Config;

/**
 * Mamba-2 (state-spaces/mamba defaults, analysis.md): d_inner = E·d, H = d_inner / P heads of width
 * P, state size N, G groups, conv width d_conv. One layer: in_proj d·(2·d_inner + 2·G·N + H),
 * depthwise conv (d_inner + 2·G·N)·(d_conv + 1) with bias, dt_bias, A_log, D (3H), the gated
 * RMSNorm d_inner, out_proj d_inner·d and its pre-norm d; no FFN. Model: N_layer layers + V_pad·d
 * embedding (V_pad = V rounded up to a multiple of 16, Hugging Face's padding; the head is tied)
 * + the final norm d.
 *
 * <p>State per layer and sequence: conv state (d_inner + 2·G·N)·d_conv and SSM state d_inner·N.
 * FLOPs per token and layer, recurrent form: the projections 2·d·(2·d_inner + 2·G·N + H) and
 * 2·d_inner·d, the conv 2·d_conv·(d_inner + 2·G·N), and the state update
 * S ← a·S + (dt·x)Bᵀ (one multiply, one multiply, one add per state element: 3·d_inner·N) with the
 * read-out y = S·C (2·d_inner·N); gating, dt, D·x and the norms are free.
 *
 * <p>{@code use_bias} (mixers.md) adds the in_proj and out_proj biases, 2·d_inner + 2·G·N + H + d
 * per layer; {@code use_conv_bias = false} drops the conv bias, (d_inner + 2·G·N) per layer.
 */
public record Mamba2Arch(String name, int vocab, int hidden, int layers, int expand, int headWidth, int stateSize,
    int groups, int convWidth, int padMultiple, boolean tied, boolean bias, boolean convBias) implements Architecture {

  public static final int E = Mamba2Config.EXPAND;
  public static final int P = Mamba2Config.HEAD_DIM;
  public static final int N = Mamba2Config.STATE_SIZE;
  public static final int G = Mamba2Config.GROUPS;
  public static final int D_CONV = Mamba2Config.CONV_KERNEL;

  public Mamba2Arch {
    if (vocab < 1 || hidden < 1 || layers < 1 || expand < 1 || headWidth < 1 || stateSize < 1 || groups < 1
        || convWidth < 1 || padMultiple < 1) {
      throw new IllegalArgumentException("mamba2: V, d, N_layer, E, P, N, G, d_conv must be >= 1");
    }
    long inner = (long) expand * hidden;
    if (inner % headWidth != 0) {
      throw new IllegalArgumentException("mamba2: P (head_dim) = " + headWidth + " must divide d_inner = E·d = "
          + inner);
    }
    if ((inner / headWidth) % groups != 0) {
      throw new IllegalArgumentException("mamba2: G (n_groups) = " + groups + " must divide the number of heads H = "
          + inner / headWidth);
    }
  }

  /** The architecture of a config.json read by the shared reader ({@link lmlab.models.HfConfigs}). */
  public static Mamba2Arch of(String name, Mamba2Config c) {
    return new Mamba2Arch(name, c.vocabSize(), c.hiddenSize(), c.numHiddenLayers(), c.expand(), c.headDim(),
        c.stateSize(), c.nGroups(), c.convKernel(), c.padVocabSizeMultiple(), c.tieWordEmbeddings(), c.useBias(),
        c.useConvBias());
  }

  /** The defaults E = 2, P = 64, N = 128, G = 1, conv 4, V padded to 16, tied. */
  public static Mamba2Arch of(String name, int vocab, int hidden, int layers) {
    return new Mamba2Arch(name, vocab, hidden, layers, E, P, N, G, D_CONV, 16, true, false, true);
  }

  int inner() {
    return expand * hidden;
  }

  @Override
  public String summary() {
    return "Mamba-2: E " + expand + ", P " + headWidth + ", N " + stateSize + ", G " + groups + ", H "
        + inner() / headWidth + ", conv " + convWidth + (convBias ? "" : " without bias")
        + (bias ? ", projection biases" : "") + ", V padded to " + padMultiple + ", "
        + (tied ? "tied" : "untied") + " head";
  }

  @Override
  public Map<String, Long> symbols() {
    Map<String, Long> s = new LinkedHashMap<>();
    s.put("V", (long) vocab);
    s.put("V_pad", (long) ((vocab + padMultiple - 1) / padMultiple) * padMultiple);
    s.put("d", (long) hidden);
    s.put("N_layer", (long) layers);
    s.put("E", (long) expand);
    s.put("d_inner", (long) inner());
    s.put("P", (long) headWidth);
    s.put("H", (long) inner() / headWidth);
    s.put("N", (long) stateSize);
    s.put("G", (long) groups);
    s.put("d_conv", (long) convWidth);
    return s;
  }

  @Override
  public String parameters() {
    return (tied ? "V_pad·d" : "2·V_pad·d") + " + N_layer·(" + layerParameters() + ") + d";
  }

  @Override
  public String embeddingParameters() {
    return "V_pad·d";
  }

  @Override
  public String layerParameters() {
    return "d·(2·d_inner + 2·G·N + H) + (d_inner + 2·G·N)·" + (convBias ? "(d_conv + 1)" : "d_conv")
        + " + 3·H + d_inner + d_inner·d + d" + (bias ? " + (2·d_inner + 2·G·N + H) + d" : "");
  }

  @Override
  public boolean recurrent() {
    return true;
  }

  @Override
  public String stateElements() {
    return "N_layer·((d_inner + 2·G·N)·d_conv + d_inner·N)";
  }

  @Override
  public String forwardFlops(Counting counting) {
    return "N_layer·L·(2·d·(2·d_inner + 2·G·N + H) + 2·d_conv·(d_inner + 2·G·N) + 5·d_inner·N + 2·d_inner·d)"
        + " + 2·L·d·V_pad";
  }
}
