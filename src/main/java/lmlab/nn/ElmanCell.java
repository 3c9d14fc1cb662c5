package lmlab.nn;

import lmlab.nn.weights.FloatWeights;
import lmlab.nn.weights.MatVec;
import lmlab.nn.weights.ProductGroup;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The recurrence of an Elman RNN without its output layer: {@code h_t = act(W_hh h_{t-1} + W_hx x_t + b_h)},
 * with tensors {@code W_hx} (d_h, d_x), {@code W_hh} (d_h, d_h) and, when bias is on, {@code b_h}
 * (d_h,). One layer of {@link RNN} and each direction of {@link BiRNN}.
 *
 * <p>The input part {@code x W_hxᵀ + b_h} is computed for all steps in one GEMM before the time
 * loop; only {@code h W_hhᵀ} runs per step.
 */
public final class ElmanCell extends Module {
  private final int inputSize;
  private final int hiddenSize;
  private final Activation activation;
  private final Tensor wHx;
  private final Tensor wHh;
  private final Tensor bH;
  /** W_hx and W_hh as weight types (their kernels serve the decoding step). */
  private final FloatWeights hx;
  private final FloatWeights hh;

  /** Initialised U(-1/√d_h, 1/√d_h) like PyTorch's nn.RNN. */
  public ElmanCell(int inputSize, int hiddenSize, boolean bias, Activation activation, Rng rng) {
    if (inputSize < 1 || hiddenSize < 1) {
      throw new IllegalArgumentException("ElmanCell(" + inputSize + ", " + hiddenSize + "): sizes must be >= 1");
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.activation = java.util.Objects.requireNonNull(activation, "activation");
    float k = (float) (1 / Math.sqrt(hiddenSize));
    this.wHx = parameter("W_hx", Init.uniform(rng, k, hiddenSize, inputSize));
    this.wHh = parameter("W_hh", Init.uniform(rng, k, hiddenSize, hiddenSize));
    this.bH = bias ? parameter("b_h", Init.uniform(rng, k, hiddenSize)) : null;
    this.hx = new FloatWeights(wHx);
    this.hh = new FloatWeights(wHh);
  }

  /**
   * Runs over x (B, S, d_x) from h0 (B, d_h) (zeros when null) and returns every state h (B, S, d_h).
   * With reverse, the recurrence runs from t = S-1 down to 0 (h[:, t] is then the state after
   * reading x_t .. x_{S-1}).
   */
  public Tensor forward(Tensor x, Tensor h0, boolean reverse) {
    return run("ElmanCell", x, wHx, wHh, bH, activation, h0, reverse);
  }

  /** Left to right from h0 (zeros when null). */
  public Tensor forward(Tensor x, Tensor h0) {
    return forward(x, h0, false);
  }

  /** One step: x_t (B, d_x), h (B, d_h) → the next h (B, d_h). */
  public Tensor step(Tensor xt, Tensor h) {
    Tensor pre = xt.linear(wHx, bH).add(h.linear(wHh, null));
    return activation.apply(pre);
  }

  /**
   * pre (rows, d_h) = x W_hxᵀ + b_h + h W_hhᵀ for rows inputs x (rows, d_x) and states h (rows,
   * d_h), without autograd: matrix-vector products for one row, matrix-matrix for several.
   */
  void stepPre(float[] x, float[] h, int rows, float[] pre, Workspace ws) {
    float[] b = bH == null ? null : bH.contiguous().storage();
    int bo = bH == null ? 0 : bH.contiguous().offset();
    if (rows == 1) {
      ProductGroup gx = ws.group(this, 0, pre);
      if (gx == null) gx = ws.keep(this, 0, ProductGroup.of(new MatVec.Product(hx, b, bo, pre, false)));
      ProductGroup gh = ws.group(this, 1, pre);
      if (gh == null) gh = ws.keep(this, 1, ProductGroup.of(new MatVec.Product(hh, null, 0, pre, true)));
      gx.run(x);
      gh.run(h);
    } else {
      hx.matmul(x, rows, b, bo, pre, false);
      hh.matmul(h, rows, null, 0, pre, true);
    }
  }

  /** The Elman recurrence with explicit tensors (b_h may be null); shared with {@link ElmanRNN}. */
  static Tensor run(String who, Tensor x, Tensor wHx, Tensor wHh, Tensor bH, Activation act, Tensor h0,
      boolean reverse) {
    int dH = wHh.size(0);
    RecurrentOps.checkSequence(who, x, wHx.size(1));
    int batch = x.size(0);
    int steps = x.size(1);
    Tensor h = RecurrentOps.stateOrZeros(h0, who + ": initial state h0", batch, dH);
    List<Tensor> inputs = RecurrentOps.unbindTime(x.linear(wHx, bH)); // (B, d_h) per step: W_hx x_t + b_h
    Tensor[] states = new Tensor[steps];
    for (int i = 0; i < steps; i++) {
      int t = reverse ? steps - 1 - i : i;
      h = act.apply(inputs.get(t).add(h.linear(wHh, null)));
      states[t] = h;
    }
    return Tensor.stack(new ArrayList<>(List.of(states)), 1);
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public Activation activation() {
    return activation;
  }

  public Tensor wHx() {
    return wHx;
  }

  public Tensor wHh() {
    return wHh;
  }

  /** b_h, or null without bias. */
  public Tensor bH() {
    return bH;
  }
}
