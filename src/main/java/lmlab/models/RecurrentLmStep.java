package lmlab.models;

import lmlab.nn.Embedding;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.RecurrentState;
import lmlab.nn.Workspace;
import lmlab.tensor.Tensor;

/**
 * The decoding step the recurrent language models (lstm-lm, rnn-lm) share: embedding → the
 * recurrent stack's step on the state's (h[, c]) → classifier, on the state's buffers, without
 * autograd. Only the stack differs, so it comes in as a {@link Stack}.
 */
final class RecurrentLmStep {
  /** The recurrent stack's step: x (n, d_e) → h (n, d_h), updating the state. */
  @FunctionalInterface
  interface Stack {
    void step(RecurrentState state, float[] x, float[] h, int tokensPerRow, Workspace ws);
  }

  private RecurrentLmStep() {}

  static float[] run(Module owner, RecurrentLmConfig config, Embedding embedding, Stack stack, Linear classifier,
      ModelState state, int[] tokens, int tokensPerRow) {
    int n = state.rows() * tokensPerRow;
    int de = config.embeddingSize();
    int dh = config.hiddenSize();
    Workspace ws = state.workspace();
    float[] x = ws.floats(owner, 0, n * de);
    float[] h = ws.floats(owner, 1, n * dh);
    float[] logits = ws.floats(owner, 2, n * config.vocabSize());
    Tensor e = embedding.weight();
    for (int v = 0; v < n; v++) System.arraycopy(e.storage(), e.offset() + tokens[v] * de, x, v * de, de); // E[token]
    stack.step((RecurrentState) state.layer(0), x, h, tokensPerRow, ws);
    classifier.step(h, logits, n, false, ws);
    state.advance(tokensPerRow);
    return logits;
  }
}
