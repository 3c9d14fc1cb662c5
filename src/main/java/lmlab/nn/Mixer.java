package lmlab.nn;

import lmlab.tensor.Tensor;

/**
 * The token mixer of a {@link TransformerBlock}: the one part of a block that reads other
 * positions (attention now; linear-attention and state-space mixers are other implementations).
 * It maps (B, S, d) to (B, S, d) with autograd in {@link #forward(Tensor, boolean)}; which mixer
 * a layer holds is chosen per layer by the config key {@code mixers} (models.Mixers builds them).
 */
public abstract class Mixer extends Layer {
  /** The mixed sequence (B, S, d) and, when asked for and the mixer has them, its attention weights, else null. */
  public interface Result {
    Tensor out();

    Tensor weights();
  }

  /** The model width d (input and output). */
  public abstract int hiddenSize();

  /** out (B, S, d) and, when returnWeights, the weights the mixer can show (null when it has none). */
  public abstract Result forward(Tensor x, boolean returnWeights);

  /** The child name under which a block registers this mixer (Hugging Face's: {@code self_attn} for attention). */
  public abstract String childName();

  /**
   * An empty step state for rows sequences at position 0: the mixer's own type (attention: a
   * {@link lmlab.nn.attention.LayerKvCache}). A mixer that cannot step says so here, by name.
   */
  public StepState newState(int rows) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no step (decoding needs one)");
  }

  /**
   * The mixer on tokens new tokens of every row of state, without autograd: x (rows, tokens, d)
   * row-major (its norm_1 output), y (rows, tokens, d) stored or, with accumulate, added to (the
   * residual stream). Each row continues at its own position; state advances by tokens.
   */
  public void step(StepState state, float[] x, float[] y, int tokens, boolean accumulate, Workspace ws) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no step (decoding needs one)");
  }

  /**
   * y (+)= mix(norm(x)) on tokens new tokens of every row: {@link #step} on the norm of x, which
   * goes into h (rows · tokens · d floats, the caller's). A mixer whose first products can make the
   * norm inside their parallel parts does so (attention), so no thread waits while another
   * normalises; the result is the same bits either way.
   */
  public void stepNormed(StepState state, Norm norm, float[] x, float[] h, float[] y, int tokens, boolean accumulate,
      Workspace ws) {
    norm.step(x, h, state.rows() * tokens, false, ws);
    step(state, h, y, tokens, accumulate, ws);
  }

  @Override
  public Tensor forward(Tensor x) {
    return forward(x, false).out();
  }
}
