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

  /** The vocabulary size V. */
  public abstract int vocabSize();

  /** The configuration as written to config.json (Hugging Face keys where they exist). */
  public abstract com.fasterxml.jackson.databind.node.ObjectNode config();
}
