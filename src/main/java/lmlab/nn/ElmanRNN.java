package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The Elman RNN of layers.md: {@code h_t = act(W_hh h_{t-1} + W_hx x_t + b_h)},
 * {@code y_t = act_y(W_yh h_t + b_y)}, with tensors {@code W_hx} (d_h, d_x), {@code W_hh} (d_h, d_h),
 * {@code b_h} (d_h,), {@code W_yh} (d_y, d_h), {@code b_y} (d_y,). Any activation by name (tanh
 * by default; slide for the course's hand-built example). h_0 = 0 unless given.
 */
public final class ElmanRNN extends Module {
  /** The outputs y (B, S, d_y) and the hidden states h (B, S, d_h). */
  public record Result(Tensor y, Tensor h) {}

  private final int inputSize;
  private final int hiddenSize;
  private final int outputSize;
  private final Activation activation;
  private final Activation outputActivation;
  private final Tensor wHx;
  private final Tensor wHh;
  private final Tensor bH;
  private final Tensor wYh;
  private final Tensor bY;

  /** tanh for both activations. */
  public ElmanRNN(int inputSize, int hiddenSize, int outputSize, Rng rng) {
    this(inputSize, hiddenSize, outputSize, Activation.TANH, Activation.TANH, rng);
  }

  /** Activations by configuration name ("tanh", "slide", ...). */
  public ElmanRNN(int inputSize, int hiddenSize, int outputSize, String activation, String outputActivation, Rng rng) {
    this(inputSize, hiddenSize, outputSize, Activation.fromName(activation), Activation.fromName(outputActivation), rng);
  }

  /** Weights U(-1/√d_h, 1/√d_h) (PyTorch's nn.RNN and nn.Linear(d_h, d_y) initialisation). */
  public ElmanRNN(int inputSize, int hiddenSize, int outputSize, Activation activation, Activation outputActivation,
      Rng rng) {
    if (inputSize < 1 || hiddenSize < 1 || outputSize < 1) {
      throw new IllegalArgumentException(
          "ElmanRNN(" + inputSize + ", " + hiddenSize + ", " + outputSize + "): sizes must be >= 1");
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.outputSize = outputSize;
    this.activation = java.util.Objects.requireNonNull(activation, "activation");
    this.outputActivation = java.util.Objects.requireNonNull(outputActivation, "outputActivation");
    float k = (float) (1 / Math.sqrt(hiddenSize));
    this.wHx = parameter("W_hx", Init.uniform(rng, k, hiddenSize, inputSize));
    this.wHh = parameter("W_hh", Init.uniform(rng, k, hiddenSize, hiddenSize));
    this.bH = parameter("b_h", Init.uniform(rng, k, hiddenSize));
    this.wYh = parameter("W_yh", Init.uniform(rng, k, outputSize, hiddenSize));
    this.bY = parameter("b_y", Init.uniform(rng, k, outputSize));
  }

  /** x (B, S, d_x) from h_0 = 0. */
  public Result forward(Tensor x) {
    return forward(x, null);
  }

  /** x (B, S, d_x) from h0 (B, d_h), zeros when null. */
  public Result forward(Tensor x, Tensor h0) {
    Tensor h = ElmanCell.run("ElmanRNN", x, wHx, wHh, bH, activation, h0, false);
    Tensor y = outputActivation.apply(h.linear(wYh, bY)); // all steps in one GEMM
    return new Result(y, h);
  }

  /** One step: x_t (B, d_x), h (B, d_h) → the next h (B, d_h); y_t is {@link #output}(h). */
  public Tensor step(Tensor xt, Tensor h) {
    return activation.apply(xt.linear(wHx, bH).add(h.linear(wHh, null)));
  }

  /** y = act_y(W_yh h + b_y) for h (..., d_h). */
  public Tensor output(Tensor h) {
    return outputActivation.apply(h.linear(wYh, bY));
  }

  public int inputSize() {
    return inputSize;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int outputSize() {
    return outputSize;
  }

  public Activation activation() {
    return activation;
  }

  public Activation outputActivation() {
    return outputActivation;
  }

  public Tensor wHx() {
    return wHx;
  }

  public Tensor wHh() {
    return wHh;
  }

  public Tensor bH() {
    return bH;
  }

  public Tensor wYh() {
    return wYh;
  }

  public Tensor bY() {
    return bY;
  }
}
