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

  /** Zero states (h, c) for rows sequences, every layer. */
  public RecurrentState newState(int rows) {
    for (LSTMCell c : layers) c.checkSteps();
    return new RecurrentState(rows, layers.size(), hiddenSize, true);
  }

  /**
   * The stack on tokens new inputs of every row, without autograd or dropout: x (rows, tokens,
   * d_x), y (rows, tokens, d_h) the last layer's h. Per token and layer, z = [x_t ; h] (rows, d_x + d_h),
   * the four gates i, f, g, o = W z + b (one group of matrix-vector products for one row, four
   * matrix-matrix products for several), then c = f ⊙ c + i ⊙ g, h = o ⊙ tanh(c).
   */
  public void step(RecurrentState state, float[] x, float[] y, int tokens, Workspace ws) {
    int rows = state.rows();
    int dh = hiddenSize;
    float[] in = ws.floats(this, 0, rows * Math.max(inputSize, dh));
    float[] gates = ws.floats(this, 1, 4 * rows * dh);
    for (int t = 0; t < tokens; t++) {
      for (int r = 0; r < rows; r++) System.arraycopy(x, (r * tokens + t) * inputSize, in, r * inputSize, inputSize);
      int width = inputSize;
      for (int l = 0; l < layers.size(); l++) {
        LSTMCell cell = layers.get(l);
        float[] z = ws.floats(cell, 0, rows * (width + dh));
        for (int r = 0; r < rows; r++) { //                                   z = [x_t ; h_{t-1}]
          System.arraycopy(in, r * width, z, r * (width + dh), width);
          System.arraycopy(state.history(r), state.current(r, l), z, r * (width + dh) + width, dh);
        }
        cell.stepGates(z, rows, gates, ws); //                                i, f, g, o pre-activations
        for (int r = 0; r < rows; r++) {
          float[] hist = state.history(r);
          int cur = state.current(r, l);
          int nxt = state.next(r, l);
          hist = state.history(r); // next() may have grown it
          for (int j = 0; j < dh; j++) {
            float i = sigmoid(gates[r * dh + j]);
            float f = sigmoid(gates[(rows + r) * dh + j]);
            float g = (float) Math.tanh(gates[(2 * rows + r) * dh + j]);
            float o = sigmoid(gates[(3 * rows + r) * dh + j]);
            float c = f * hist[cur + dh + j] + i * g; //                      c_t = f ⊙ c_{t-1} + i ⊙ g
            float h = o * (float) Math.tanh(c); //                             h_t = o ⊙ tanh(c_t)
            hist[nxt + dh + j] = c;
            hist[nxt + j] = h;
            in[r * dh + j] = h;
          }
        }
        width = dh;
      }
      for (int r = 0; r < rows; r++) System.arraycopy(in, r * dh, y, (r * tokens + t) * dh, dh);
      state.advance();
    }
  }

  private static float sigmoid(float v) {
    return (float) (1 / (1 + Math.exp(-v)));
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
