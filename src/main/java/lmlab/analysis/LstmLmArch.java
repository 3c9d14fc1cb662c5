package lmlab.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.models.RecurrentLmConfig;

/**
 * The lstm-lm (models.md): embedding V·d_e, N_layer LSTM layers of width d_h (four gates, one bias
 * each when bias is on), classifier Linear(d_h, V) with bias. State: (h, c) per layer,
 * 2·N_layer·d_h elements per sequence. FLOPs per token: the gate products 8·d_h·(d_e + d_h) in the
 * first layer and 16·d_h^2 in every other, the classifier 2·d_h·V; the gate nonlinearities and
 * the cell update c = f⊙c + i⊙g are activations (free), as the engine computes them elementwise.
 */
public record LstmLmArch(String name, int vocab, int embedding, int hiddenSize, int layers, boolean bias)
    implements Architecture {

  public LstmLmArch {
    if (vocab < 1 || embedding < 1 || hiddenSize < 1 || layers < 1) {
      throw new IllegalArgumentException("lstm-lm: V, d_e, d_h, N_layer must be >= 1");
    }
  }

  public static LstmLmArch of(String name, RecurrentLmConfig c) {
    if (!RecurrentLmConfig.LSTM_LM.equals(c.modelType())) {
      throw new IllegalArgumentException("model_type \"" + c.modelType() + "\" is not analysed (only lstm-lm among "
          + "the recurrent models)");
    }
    return new LstmLmArch(name, c.vocabSize(), c.embeddingSize(), c.hiddenSize(), c.numHiddenLayers(), c.bias());
  }

  @Override
  public String summary() {
    return "lstm-lm: d_e " + embedding + ", d_h " + hiddenSize + ", bias " + (bias ? "on" : "off");
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
        ? "V·d_e + 4·(d_e + d_h)·d_h + 4·d_h + (N_layer - 1)·(8·d_h^2 + 4·d_h) + V·d_h + V"
        : "V·d_e + 4·(d_e + d_h)·d_h + (N_layer - 1)·8·d_h^2 + V·d_h + V";
  }

  @Override
  public String embeddingParameters() {
    return "V·d_e";
  }

  @Override
  public String layerParameters() {
    return bias ? "4·(d_e + d_h)·d_h + 4·d_h" : "4·(d_e + d_h)·d_h";
  }

  @Override
  public String layerLabel() {
    return "first layer (later layers: 8·d_h^2" + (bias ? " + 4·d_h" : "") + ")";
  }

  @Override
  public boolean recurrent() {
    return true;
  }

  @Override
  public String stateElements() {
    return "2·N_layer·d_h";
  }

  @Override
  public String forwardFlops(Counting counting) {
    return "L·(8·d_h·(d_e + d_h) + 16·(N_layer - 1)·d_h^2 + 2·d_h·V)";
  }
}
