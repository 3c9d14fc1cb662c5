package lmlab.decode;

import lmlab.models.LanguageModel;

/**
 * A {@link LanguageModel} as a {@link NextTokenModel}, over a {@link Decoder}: the prompt is fed in
 * one step of P tokens; each {@link #advance} reorders the rows' decoding states
 * ({@link Decoder#reorder}, skipped when the rows stay as they are) and feeds the B new tokens in
 * one batched step of the model's own layers.
 */
public final class SteppedModel implements NextTokenModel {
  private final Decoder decoder;
  private final int vocab;
  private float[] logits;
  /** The prompt's last row of logits (its step returns all P rows). */
  private float[] promptRow;
  private float[] logProbs = new float[0];
  private boolean logProbsValid;
  private int rows;

  public SteppedModel(LanguageModel model) {
    this(new Decoder(model));
  }

  /** Over decoder (cleared at each {@link #start}). */
  public SteppedModel(Decoder decoder) {
    this.decoder = decoder;
    this.vocab = decoder.languageModel().vocabSize();
    this.promptRow = new float[vocab];
  }

  public Decoder decoder() {
    return decoder;
  }

  @Override
  public int vocabSize() {
    return vocab;
  }

  @Override
  public void start(int[] prompt) {
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException("generate: the prompt needs at least one token (e.g. BOS)");
    }
    for (int i = 0; i < prompt.length; i++) {
      if (prompt[i] < 0 || prompt[i] >= vocab) {
        throw new IllegalArgumentException("generate: prompt token " + prompt[i] + " at position " + i
            + " is outside the vocabulary [0, " + vocab + ")");
      }
    }
    decoder.clear();
    float[] all = decoder.step(prompt, prompt.length);
    System.arraycopy(all, (prompt.length - 1) * vocab, promptRow, 0, vocab);
    logits = promptRow;
    rows = 1;
    logProbsValid = false;
  }

  @Override
  public int rows() {
    return rows;
  }

  @Override
  public void advance(int[] parents, int[] tokens) {
    if (parents.length != tokens.length || parents.length == 0) {
      throw new IllegalArgumentException("advance: " + parents.length + " parents for " + tokens.length + " tokens");
    }
    if (!identity(parents)) decoder.reorder(parents);
    logits = decoder.step(tokens, 1);
    rows = tokens.length;
    logProbsValid = false;
  }

  private boolean identity(int[] parents) {
    if (parents.length != rows) return false;
    for (int i = 0; i < parents.length; i++) if (parents[i] != i) return false;
    return true;
  }

  @Override
  public float[] logits() {
    return logits;
  }

  @Override
  public float[] logProbs() {
    if (!logProbsValid) {
      if (logProbs.length < rows * vocab) logProbs = new float[rows * vocab];
      LogSoftmax.rows(logits, 0, rows, vocab, logProbs, 0);
      logProbsValid = true;
    }
    return logProbs;
  }
}
