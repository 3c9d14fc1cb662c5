package lmlab.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.models.RecurrentLmConfig;

/**
 * The rnn-lm (models.md): embedding V·d_e, N_layer Elman layers of width d_h (h_t = act(W_hx x_t
 * + W_hh h_{t-1} + b_h), one bias each when bias is on), classifier Linear(d_h, V) with bias.
 * State: h per layer, N_layer·d_h elements per sequence. FLOPs per token: 2·d_h·(d_e + d_h) in the
 * first layer, 4·d_h^2 in every other, the classifier 2·d_h·V; the activation is free.
 */
public record RnnLmArch(String name, int vocab, int embedding, int hiddenSize, int layers, boolean bias)
    implements Architecture {

  public RnnLmArch {
    if (vocab < 1 || embedding < 1 || hiddenSize < 1 || layers < 1) {
      throw new IllegalArgumentException("rnn-lm: V, d_e, d_h, N_layer must be >= 1");
    }
  }

  public static RnnLmArch of(String name, RecurrentLmConfig c) {
    if (!RecurrentLmConfig.RNN_LM.equals(c.modelType())) {
      throw new IllegalArgumentException("model_type \"" + c.modelType() + "\" is not an rnn-lm");
    }
    return new RnnLmArch(name, c.vocabSize(), c.embeddingSize(), c.hiddenSize(), c.numHiddenLayers(), c.bias());
  }

  @Override
  public String summary() {
    return "rnn-lm: d_e " + embedding + ", d_h " + hiddenSize + ", bias " + (bias ? "on" : "off");
  }

  @Override
  public Map<String, Long> symbols() {
    Map<String, Long> s = new LinkedHashMap<>();
    s.put("V", (long) vocab);
    s.put("d_e", (long) embedding);
    s.put("d_h", (long) hiddenSize);
    s.put("N_layer", (long) layers);
    return s;
  }

  @Override
  public String parameters() {
    return bias
        ? "V·d_e + (d_e + d_h)·d_h + d_h + (N_layer - 1)·(2·d_h^2 + d_h) + V·d_h + V"
        : "V·d_e + (d_e + d_h)·d_h + (N_layer - 1)·2·d_h^2 + V·d_h + V";
  }

  @Override
  public String embeddingParameters() {
    return "V·d_e";
  }

  @Override
  public String layerParameters() {
    return bias ? "(d_e + d_h)·d_h + d_h" : "(d_e + d_h)·d_h";
  }

  @Override
  public String layerLabel() {
    return "first layer (later layers: 2·d_h^2" + (bias ? " + d_h" : "") + ")";
  }

  @Override
  public boolean recurrent() {
    return true;
  }

  @Override
  public String stateElements() {
    return "N_layer·d_h";
  }

  @Override
  public String forwardFlops(Counting counting) {
    return "L·(2·d_h·(d_e + d_h) + 4·(N_layer - 1)·d_h^2 + 2·d_h·V)";
  }
}
