package lmlab.nn;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * A stack of L Elman recurrences ({@link ElmanCell}, tensors {@code layers.{l}.W_hx},
 * {@code layers.{l}.W_hh}, {@code layers.{l}.b_h}): layer l reads layer l-1's outputs at the
 * same step; dropout on each layer's output sequence except the last's. The recurrent part of
 * the {@code rnn-lm}.
 */
public final class RNN extends Module {
  /** The last layer's states (B, S, d_h), the final states h_n (L, B, d_h), and every layer's outputs. */
  public record Result(Tensor out, Tensor hN, List<Tensor> layerOutputs) {}

  private final List<ElmanCell> layers = new ArrayList<>();
  private final Dropout dropout;
  private final int inputSize;
  private final int hiddenSize;

  /** rng initialises the weights (U(-1/√d_h, 1/√d_h)) and draws the dropout masks in training mode. */
  public RNN(int inputSize, int hiddenSize, int numLayers, double dropout, boolean bias, Activation activation, Rng rng) {
    if (numLayers < 1) throw new IllegalArgumentException("RNN: number of layers must be >= 1, got " + numLayers);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    LayerList list = child("layers", new LayerList());
    for (int l = 0; l < numLayers; l++) {
      layers.add(list.add(new ElmanCell(l == 0 ? inputSize : hiddenSize, hiddenSize, bias, activation, rng)));
    }
    this.dropout = child("dropout", new Dropout(dropout, rng));
  }

  /** x (B, S, d_x) from h0 (L, B, d_h), zeros when null. */
  public Result forward(Tensor x, Tensor h0) {
    RecurrentOps.checkSequence("RNN", x, inputSize);
    int batch = x.size(0);
    List<Tensor> outs = new ArrayList<>();
    List<Tensor> finals = new ArrayList<>();
    Tensor in = x;
    for (int l = 0; l < layers.size(); l++) {
      Tensor h = RecurrentOps.layerState(h0, "RNN: initial state h0", layers.size(), batch, hiddenSize, l);
      Tensor out = layers.get(l).forward(in, h, false);
      outs.add(out);
      finals.add(out.select(1, out.size(1) - 1));
      in = l + 1 < layers.size() ? dropout.forward(out) : out;
    }
    return new Result(in, Tensor.stack(finals, 0), outs);
  }

  public Result forward(Tensor x) {
    return forward(x, null);
  }

  public List<ElmanCell> layers() {
    return List.copyOf(layers);
  }

  public int numLayers() {
    return layers.size();
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  /** Holds the layers under the names 0, 1, ... */
  static final class LayerList extends Module {
    private int n;

    <M extends Module> M add(M m) {
      return child(Integer.toString(n++), m);
    }
  }
}
