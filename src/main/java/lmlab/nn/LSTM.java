package lmlab.nn;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * LSTM(d_x, d_h, L, dropout, bias) of layers.md: L {@link LSTMCell}s under {@code layers.{l}};
 * layer l reads layer l-1's outputs at the same step; dropout on each layer's output sequence
 * except the last layer's; initial (h, c) zeros unless given (L, B, d_h).
 */
public final class LSTM extends Module {
  /** The last layer's outputs (B, S, d_h), the final h_n and c_n (L, B, d_h), and every layer's outputs. */
  public record Result(Tensor out, Tensor hN, Tensor cN, List<Tensor> layerOutputs) {}

  private final List<LSTMCell> layers = new ArrayList<>();
  private final Dropout dropout;
  private final int inputSize;
  private final int hiddenSize;

  /** rng initialises the weights (U(-1/√d_h, 1/√d_h)) and draws the dropout masks in training mode. */
  public LSTM(int inputSize, int hiddenSize, int numLayers, double dropout, boolean bias, Rng rng) {
    if (numLayers < 1) throw new IllegalArgumentException("LSTM: number of layers must be >= 1, got " + numLayers);
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    RNN.LayerList list = child("layers", new RNN.LayerList());
    for (int l = 0; l < numLayers; l++) {
      layers.add(list.add(new LSTMCell(l == 0 ? inputSize : hiddenSize, hiddenSize, bias, rng)));
    }
    this.dropout = child("dropout", new Dropout(dropout, rng));
  }

  /** x (B, S, d_x) from zero states. */
  public Result forward(Tensor x) {
    return forward(x, null, null);
  }

  /** x (B, S, d_x) from h0, c0 (L, B, d_h); either may be null (zeros). */
  public Result forward(Tensor x, Tensor h0, Tensor c0) {
    RecurrentOps.checkSequence("LSTM", x, inputSize);
    int batch = x.size(0);
    int n = layers.size();
    List<Tensor> outs = new ArrayList<>(n);
    List<Tensor> hs = new ArrayList<>(n);
    List<Tensor> cs = new ArrayList<>(n);
    Tensor in = x;
    for (int l = 0; l < n; l++) {
      Tensor h = RecurrentOps.layerState(h0, "LSTM: initial state h0", n, batch, hiddenSize, l);
      Tensor c = RecurrentOps.layerState(c0, "LSTM: initial state c0", n, batch, hiddenSize, l);
      LSTMCell.Sequence s = layers.get(l).sequence(in, h, c);
      outs.add(s.out());
      hs.add(s.hN());
      cs.add(s.cN());
      in = l + 1 < n ? dropout.forward(s.out()) : s.out();
    }
    return new Result(in, Tensor.stack(hs, 0), Tensor.stack(cs, 0), outs);
  }

  public List<LSTMCell> layers() {
    return List.copyOf(layers);
  }

  public int numLayers() {
    return layers.size();
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }
}
