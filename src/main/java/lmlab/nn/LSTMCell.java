package lmlab.nn;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * LSTMCell(d_x, d_h, bias) of layers.md: four gate layers {@code input_gate}, {@code forget_gate},
 * {@code cell_gate}, {@code output_gate}, each a {@link Linear}(d_x + d_h, d_h) over
 * z = [x_t ; h_{t-1}] (weight (d_h, d_x + d_h), x's columns first):
 * i = sigmoid(W_i z + b_i), f = sigmoid(W_f z + b_f), o = sigmoid(W_o z + b_o),
 * c~ = tanh(W_c z + b_c); c_t = f ⊙ c_{t-1} + i ⊙ c~; h_t = o ⊙ tanh(c_t).
 * Parameters 4(d_x + d_h)d_h (+ 4d_h with bias).
 *
 * <p>{@link #forward} is one step, written gate by gate. {@link #sequence} runs a whole sequence
 * the fast way: the four weights are concatenated once (differentiably) into W_x (4d_h, d_x) and
 * W_h (4d_h, d_h), the input part x W_xᵀ + b of every step is one GEMM before the loop, and the
 * recurrence is one op ({@link Tensor#lstmSequence}): each step a single (B, d_h)·(d_h, 4d_h)
 * product added onto its input part, and in backward W_h's gradient one product over all steps.
 */
public final class LSTMCell extends Module {
  /** A state (h, c), each (B, d_h). */
  public record State(Tensor h, Tensor c) {}

  /** All states h (B, S, d_h) and the final (h, c), each (B, d_h). */
  public record Sequence(Tensor out, Tensor hN, Tensor cN) {}

  private final int inputSize;
  private final int hiddenSize;
  private final boolean bias;
  private final Linear inputGate;
  private final Linear forgetGate;
  private final Linear cellGate;
  private final Linear outputGate;

  /** Initialised U(-1/√d_h, 1/√d_h) like PyTorch's nn.LSTM. */
  public LSTMCell(int inputSize, int hiddenSize, boolean bias, Rng rng) {
    if (inputSize < 1 || hiddenSize < 1) {
      throw new IllegalArgumentException("LSTMCell(" + inputSize + ", " + hiddenSize + "): sizes must be >= 1");
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.bias = bias;
    this.inputGate = child("input_gate", gate(rng));
    this.forgetGate = child("forget_gate", gate(rng));
    this.cellGate = child("cell_gate", gate(rng));
    this.outputGate = child("output_gate", gate(rng));
  }

  private Linear gate(Rng rng) {
    Linear g = new Linear(inputSize + hiddenSize, hiddenSize, bias, rng);
    float k = (float) (1 / Math.sqrt(hiddenSize));
    g.weight().copy_(Init.uniform(rng, k, hiddenSize, inputSize + hiddenSize));
    if (bias) g.bias().copy_(Init.uniform(rng, k, hiddenSize));
    return g;
  }

  /** One step from x_t (B, d_x) and (h, c) (B, d_h) each; null h or c means zeros. */
  public State forward(Tensor x, Tensor h, Tensor c) {
    return ModuleTrace.traced(this, () -> step(x, h, c));
  }

  private State step(Tensor x, Tensor h, Tensor c) {
    if (x.dim() != 2 || x.size(1) != inputSize) {
      throw new IllegalArgumentException(
          "LSTMCell: input must have shape (B, " + inputSize + "), got " + Shape.str(x.shape()));
    }
    int batch = x.size(0);
    h = RecurrentOps.stateOrZeros(h, "LSTMCell: state h", batch, hiddenSize);
    c = RecurrentOps.stateOrZeros(c, "LSTMCell: state c", batch, hiddenSize);
    Tensor z = Tensor.cat(List.of(x, h), 1);
    Tensor i = inputGate.forward(z).sigmoid();
    Tensor f = forgetGate.forward(z).sigmoid();
    Tensor g = cellGate.forward(z).tanh();
    Tensor o = outputGate.forward(z).sigmoid();
    Tensor cNext = f.mul(c).add(i.mul(g));
    return new State(o.mul(cNext.tanh()), cNext);
  }

  /** The whole sequence x (B, S, d_x) from (h0, c0) (B, d_h) each, zeros when null. */
  public Sequence sequence(Tensor x, Tensor h0, Tensor c0) {
    return ModuleTrace.traced(this, () -> run(x, h0, c0));
  }

  private Sequence run(Tensor x, Tensor h0, Tensor c0) {
    RecurrentOps.checkSequence("LSTMCell", x, inputSize);
    int batch = x.size(0);
    int steps = x.size(1);
    int d = hiddenSize;
    Tensor h = RecurrentOps.stateOrZeros(h0, "LSTMCell: initial state h0", batch, d);
    Tensor c = RecurrentOps.stateOrZeros(c0, "LSTMCell: initial state c0", batch, d);
    Linear[] gates = {inputGate, forgetGate, cellGate, outputGate};
    List<Tensor> wx = new ArrayList<>(4);
    List<Tensor> wh = new ArrayList<>(4);
    List<Tensor> b = new ArrayList<>(4);
    for (Linear g : gates) {
      wx.add(g.weight().narrow(1, 0, inputSize));
      wh.add(g.weight().narrow(1, inputSize, d));
      if (bias) b.add(g.bias());
    }
    Tensor wX = Tensor.cat(wx, 0); // (4d, d_x), rows: i, f, c~, o
    Tensor wH = Tensor.cat(wh, 0); // (4d, d_h)
    Tensor bAll = bias ? Tensor.cat(b, 0) : null;
    // [h_t | c_t] for every step; the recurrence, a_t = X_t + h_{t-1} W_hᵀ and the cell, is one op
    Tensor hc = Tensor.lstmSequence(x.linear(wX, bAll), wH, h, c);
    Tensor out = hc.narrow(2, 0, d);
    return new Sequence(out, out.select(1, steps - 1), hc.narrow(2, d, d).select(1, steps - 1));
  }

  /**
   * The four gate pre-activations W z + b of rows inputs z (rows, d_x + d_h), without autograd, into
   * gates as four blocks (rows, d_h): input, forget, cell, output. One row runs the four
   * matrix-vector products as one group.
   */
  void stepGates(float[] z, int rows, float[] gates, Workspace ws) {
    int n = rows * hiddenSize;
    if (rows == 1) {
      float[] i = ws.floats(this, 1, hiddenSize);
      float[] f = ws.floats(this, 2, hiddenSize);
      float[] g = ws.floats(this, 3, hiddenSize);
      float[] o = ws.floats(this, 4, hiddenSize);
      lmlab.nn.weights.ProductGroup all = ws.group(this, 5, i);
      if (all == null) {
        all = ws.keep(this, 5, lmlab.nn.weights.ProductGroup.of(inputGate.product(i, false),
            forgetGate.product(f, false), cellGate.product(g, false), outputGate.product(o, false)));
      }
      all.run(z);
      System.arraycopy(i, 0, gates, 0, hiddenSize);
      System.arraycopy(f, 0, gates, n, hiddenSize);
      System.arraycopy(g, 0, gates, 2 * n, hiddenSize);
      System.arraycopy(o, 0, gates, 3 * n, hiddenSize);
      return;
    }
    float[] buf = ws.floats(this, 6, n);
    Linear[] four = {inputGate, forgetGate, cellGate, outputGate};
    for (int k = 0; k < 4; k++) {
      four[k].step(z, buf, rows, false, ws);
      System.arraycopy(buf, 0, gates, k * n, n);
    }
  }

  /** Refuses gate layers whose decoding would differ from their forward ({@link Linear#checkSteps}). */
  void checkSteps() {
    inputGate.checkSteps();
    forgetGate.checkSteps();
    cellGate.checkSteps();
    outputGate.checkSteps();
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public boolean hasBias() {
    return bias;
  }

  public Linear inputGate() {
    return inputGate;
  }

  public Linear forgetGate() {
    return forgetGate;
  }

  public Linear cellGate() {
    return cellGate;
  }

  public Linear outputGate() {
    return outputGate;
  }
}
