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

  /** Zero states h for rows sequences, every layer. */
  public RecurrentState newState(int rows) {
    return new RecurrentState(rows, layers.size(), hiddenSize, false);
  }

  /**
   * The stack on tokens new inputs of every row, without autograd or dropout: x (rows, tokens,
   * d_x), y (rows, tokens, d_h) the last layer's h; per token and layer
   * h_t = act(W_hx x_t + b_h + W_hh h_{t-1}).
   */
  public void step(RecurrentState state, float[] x, float[] y, int tokens, Workspace ws) {
    int rows = state.rows();
    int dh = hiddenSize;
    float[] in = ws.floats(this, 0, rows * Math.max(inputSize, dh));
    float[] h = ws.floats(this, 1, rows * dh);
    float[] pre = ws.floats(this, 2, rows * dh);
    for (int t = 0; t < tokens; t++) {
      for (int r = 0; r < rows; r++) System.arraycopy(x, (r * tokens + t) * inputSize, in, r * inputSize, inputSize);
      for (int l = 0; l < layers.size(); l++) {
        for (int r = 0; r < rows; r++) System.arraycopy(state.history(r), state.current(r, l), h, r * dh, dh);
        layers.get(l).stepPre(in, h, rows, pre, ws); //                      W_hx x_t + b_h + W_hh h_{t-1}
        layers.get(l).activation().applyInPlace(pre, rows * dh); //          act(..)
        for (int r = 0; r < rows; r++) {
          int nxt = state.next(r, l);
          System.arraycopy(pre, r * dh, state.history(r), nxt, dh);
        }
        System.arraycopy(pre, 0, in, 0, rows * dh);
      }
      for (int r = 0; r < rows; r++) System.arraycopy(in, r * dh, y, (r * tokens + t) * dh, dh);
      state.advance();
    }
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
