package lmlab.models;

import lmlab.nn.Module;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * A model that maps token ids (B, S) to next-token logits (B, S, V). Every model family
 * (Transformer, LSTM, RNN) implements it, so training, decoding, the CLI and the analyser treat
 * them alike.
 */
public abstract class LanguageModel extends Module {
  /** What to return besides the logits. */
  public record Request(boolean hiddenStates, boolean attentions) {
    public static final Request LOGITS = new Request(false, false);
  }

  /**
   * Forward outputs. hiddenStates (B, N_layer, S, d): block i's output, before the final norm;
   * attentions (B, N_layer, n_q, S, S); extras: model-specific named outputs (e.g. h_n, c_n for
   * recurrent models). Absent entries are null / empty.
   */
  public record Output(Tensor logits, Tensor hiddenStates, Tensor attentions, java.util.Map<String, Tensor> extras) {}

  /** Runs the model on tokens (B, S). */
  public abstract Output forward(IntTensor tokens, Request request);

  /** Logits only. */
  public final Tensor logits(IntTensor tokens) {
    return forward(tokens, Request.LOGITS).logits();
  }

  /**
   * Checks tokens is (B, S) with B, S >= 1 and every id in [0, V); the error names the model, the
   * id, its (batch, position) and vocab_size.
   */
  protected static void checkTokens(String model, IntTensor tokens, int vocab) {
    if (tokens == null || tokens.dim() != 2 || tokens.size(0) < 1 || tokens.size(1) < 1) {
      throw new IllegalArgumentException(model + ": tokens must be (B, S) with B, S >= 1, got "
          + (tokens == null ? "null" : "shape " + lmlab.tensor.Shape.str(tokens.shape())));
    }
    int s = tokens.size(1);
    int[] ids = tokens.storage();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException(model + ": token id " + ids[i] + " at (batch " + i / s + ", position "
            + i % s + ") is outside the vocabulary [0, " + vocab + ") (vocab_size " + vocab + ")");
      }
    }
  }

  /**
   * An empty decoding state for rows sequences at position 0: one state per sequence layer. A
   * model (or one of its layers) that cannot step is an error naming it.
   */
  public ModelState newState(int rows) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no step (decoding needs one)");
  }

  /**
   * The next-token logits (rows, tokens, V) of tokens (rows, tokens) row-major, fed at each row's
   * next positions, without autograd; equal to {@link #forward} over each row's whole sequence at
   * those positions. The array is the state's buffer (it may be longer): valid until the next step.
   */
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " has no step (decoding needs one)");
  }

  /** Checks step's arguments: tokens holds rows × tokensPerRow ids in [0, V). */
  protected static void checkStep(String model, ModelState state, int[] tokens, int tokensPerRow, int vocab) {
    if (state == null) throw new IllegalArgumentException(model + ": the decoding state is null (use newState(rows))");
    if (tokensPerRow < 1 || tokens == null || tokens.length != state.rows() * tokensPerRow) {
      throw new IllegalArgumentException(model + ": a step needs rows x tokens = " + state.rows() + " x "
          + tokensPerRow + " token ids, got " + (tokens == null ? "null" : tokens.length));
    }
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= vocab) {
        throw new IllegalArgumentException(model + ": token id " + tokens[i] + " at (row " + i / tokensPerRow
            + ", new token " + i % tokensPerRow + ") is outside the vocabulary [0, " + vocab + ") (vocab_size " + vocab
            + ")");
      }
    }
  }

  /** The vocabulary size V. */
  public abstract int vocabSize();

  /** The configuration as written to config.json (Hugging Face keys where they exist). */
  public abstract com.fasterxml.jackson.databind.node.ObjectNode config();
}
