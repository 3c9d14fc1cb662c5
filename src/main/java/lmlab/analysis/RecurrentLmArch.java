package lmlab.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.models.RecurrentLmConfig;

/**
 * The recurrent language models of models.md: embedding V·d_e, N_layer recurrent layers of width
 * d_h, classifier Linear(d_h, V) with bias. The two cells differ only in how many d_h-wide products
 * a layer has (g: the lstm-lm's four gates, the rnn-lm's one pre-activation) and how many d_h
 * vectors it carries (s: (h, c) or h):
 * <ul>
 *   <li>a layer has g·(d_in + d_h)·d_h weights (the gate's input is [x_t ; h_{t-1}]) and g·d_h
 *       biases when bias is on, d_in = d_e in the first layer and d_h above;
 *   <li>the state is s·N_layer·d_h elements per sequence;
 *   <li>FLOPs per token: 2·g·d_h·(d_e + d_h) in the first layer, 4·g·d_h^2 in every other, the
 *       classifier 2·d_h·V; the gate nonlinearities, the activation and the LSTM cell update
 *       c = f⊙c + i⊙g are elementwise (free), as the engine computes them.
 * </ul>
 */
public record RecurrentLmArch(String name, Cell cell, int vocab, int embedding, int hiddenSize, int layers,
    boolean bias) implements Architecture {

  /** The recurrent cell: its model_type, products per layer (g) and state vectors (s). */
  public enum Cell {
    LSTM(RecurrentLmConfig.LSTM_LM, 4, 2),
    RNN(RecurrentLmConfig.RNN_LM, 1, 1);

    final String modelType;
    final int products;
    final int stateVectors;

    Cell(String modelType, int products, int stateVectors) {
      this.modelType = modelType;
      this.products = products;
      this.stateVectors = stateVectors;
    }

    static Cell of(String modelType) {
      for (Cell c : values()) if (c.modelType.equals(modelType)) return c;
      throw new IllegalArgumentException("model_type \"" + modelType + "\" is not a recurrent language model"
          + " (lstm-lm, rnn-lm)");
    }
  }

  public RecurrentLmArch {
    if (vocab < 1 || embedding < 1 || hiddenSize < 1 || layers < 1) {
      throw new IllegalArgumentException(cell.modelType + ": V, d_e, d_h, N_layer must be >= 1");
    }
  }

  public static RecurrentLmArch of(String name, RecurrentLmConfig c) {
    return new RecurrentLmArch(name, Cell.of(c.modelType()), c.vocabSize(), c.embeddingSize(), c.hiddenSize(),
        c.numHiddenLayers(), c.bias());
  }

  /** The same model with other sizes. */
  RecurrentLmArch resized(int vocab, int embedding, int hiddenSize, int layers) {
    return new RecurrentLmArch(name, cell, vocab, embedding, hiddenSize, layers, bias);
  }

  /** The model_type of config.json: lstm-lm or rnn-lm. */
  public String modelType() {
    return cell.modelType;
  }

  /** k·term, or term alone when k is 1. */
  private static String times(int k, String term) {
    return k == 1 ? term : k + "·" + term;
  }

  @Override
  public String summary() {
    return cell.modelType + ": d_e " + embedding + ", d_h " + hiddenSize + ", bias " + (bias ? "on" : "off");
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
    int g = cell.products;
    return bias
        ? "V·d_e + " + layerParameters() + " + (N_layer - 1)·(" + times(2 * g, "d_h^2") + " + " + times(g, "d_h")
            + ") + V·d_h + V"
        : "V·d_e + " + layerParameters() + " + (N_layer - 1)·" + times(2 * g, "d_h^2") + " + V·d_h + V";
  }

  @Override
  public String embeddingParameters() {
    return "V·d_e";
  }

  @Override
  public String layerParameters() {
    int g = cell.products;
    String weights = times(g, "(d_e + d_h)·d_h");
    return bias ? weights + " + " + times(g, "d_h") : weights;
  }

  @Override
  public String layerLabel() {
    int g = cell.products;
    return "first layer (later layers: " + times(2 * g, "d_h^2") + (bias ? " + " + times(g, "d_h") : "") + ")";
  }

  @Override
  public boolean recurrent() {
    return true;
  }

  @Override
  public String stateElements() {
    return times(cell.stateVectors, "N_layer·d_h");
  }

  @Override
  public String forwardFlops(Counting counting) {
    int g = cell.products;
    return "L·(" + times(2 * g, "d_h·(d_e + d_h)") + " + " + times(4 * g, "(N_layer - 1)·d_h^2") + " + 2·d_h·V)";
  }
}
