package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The course's bidirectional RNN, without biases: a forward Elman recurrence
 * {@code h_t^f = act(W_hh^f h_{t-1}^f + W_hx^f x_t)} from the left (h_{-1}^f = 0), a backward one
 * {@code h_t^b = act(W_hh^b h_{t+1}^b + W_hx^b x_t)} from the right (starting at t = S-1 from
 * h_S^b = 0), and {@code y_t = V_f h_t^f + V_b h_t^b}. Tensors {@code fwd.W_hx}, {@code fwd.W_hh},
 * {@code bwd.W_hx}, {@code bwd.W_hh}, {@code V_f} and {@code V_b} (d_y, d_h).
 */
public final class BiRNN extends Module {
  /** y (B, S, d_y) and the two directions' states h_f, h_b (B, S, d_h), both indexed by t. */
  public record Result(Tensor y, Tensor hF, Tensor hB) {}

  private final ElmanCell fwd;
  private final ElmanCell bwd;
  private final Tensor vF;
  private final Tensor vB;

  /** tanh recurrences. */
  public BiRNN(int inputSize, int hiddenSize, int outputSize, Rng rng) {
    this(inputSize, hiddenSize, outputSize, Activation.TANH, rng);
  }

  public BiRNN(int inputSize, int hiddenSize, int outputSize, Activation activation, Rng rng) {
    if (outputSize < 1) throw new IllegalArgumentException("BiRNN: output size must be >= 1, got " + outputSize);
    this.fwd = child("fwd", new ElmanCell(inputSize, hiddenSize, false, activation, rng));
    this.bwd = child("bwd", new ElmanCell(inputSize, hiddenSize, false, activation, rng));
    float k = (float) (1 / Math.sqrt(hiddenSize));
    this.vF = parameter("V_f", Init.uniform(rng, k, outputSize, hiddenSize));
    this.vB = parameter("V_b", Init.uniform(rng, k, outputSize, hiddenSize));
  }

  /** x (B, S, d_x), both directions from zero states. */
  public Result forward(Tensor x) {
    Tensor hF = fwd.forward(x, null, false);
    Tensor hB = bwd.forward(x, null, true);
    Tensor y = hF.linear(vF, null).add(hB.linear(vB, null));
    return new Result(y, hF, hB);
  }

  public ElmanCell forwardCell() {
    return fwd;
  }

  public ElmanCell backwardCell() {
    return bwd;
  }

  public Tensor vF() {
    return vF;
  }

  public Tensor vB() {
    return vB;
  }
}
