package lmlab.decode;

import java.util.Arrays;
import lmlab.models.LanguageModel;

/**
 * Greedy decoding (decoding.md): w_t = argmax log p(w | w_&lt;t), ties to the lower token id, until
 * EOS or T new tokens, on top of a {@link Decoder} (any model that steps) so each step feeds one token. The argmax of the
 * logits is the argmax of the log-probabilities (log-softmax only shifts a row).
 */
public final class Greedy {
  /** The new tokens (the prompt excluded; EOS included when it stopped the search). */
  public record Result(int[] tokens, boolean stoppedAtEos) {
    @Override
    public String toString() {
      return "Greedy.Result" + Arrays.toString(tokens) + (stoppedAtEos ? " (EOS)" : "");
    }
  }

  private Greedy() {}

  /**
   * Up to maxNewTokens tokens after prompt, from a fresh cache of model.
   *
   * @param eos the end-of-sequence id, or -1 for none
   */
  public static Result generate(LanguageModel model, int[] prompt, int maxNewTokens, int eos) {
    return generate(new Decoder(model), prompt, maxNewTokens, eos);
  }

  /**
   * Feeds prompt (at least one token) to cache, then picks and feeds one token at a time. The last
   * pick is not fed (its logits are not needed), so the positions used are 0 .. P + T - 2.
   */
  public static Result generate(Decoder cache, int[] prompt, int maxNewTokens, int eos) {
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException("generate: the prompt needs at least one token (e.g. BOS)");
    }
    if (maxNewTokens < 0) throw new IllegalArgumentException("generate: max new tokens must be >= 0, got " + maxNewTokens);
    int vocab = cache.languageModel().vocabSize();
    if (eos < -1 || eos >= vocab) {
      throw new IllegalArgumentException("generate: eos " + eos + " is not a token id in [0, " + vocab + ") (or -1 for none)");
    }
    int[] out = new int[maxNewTokens];
    if (maxNewTokens == 0) return new Result(out, false);
    float[] logits;
    int off;
    if (prompt.length == 1) {
      logits = cache.appendToken(prompt[0]);
      off = 0;
    } else {
      logits = cache.step(prompt, prompt.length);
      off = (prompt.length - 1) * vocab; // the last position's row of (1, P, V)
    }
    for (int i = 0; ; i++) {
      int w = argmax(logits, off, vocab);
      out[i] = w;
      if (w == eos) return new Result(Arrays.copyOf(out, i + 1), true);
      if (i + 1 == maxNewTokens) return new Result(out, false);
      logits = cache.appendToken(w);
      off = 0;
    }
  }

  /** The index of the largest of a[off .. off + n); ties go to the lower index. */
  static int argmax(float[] a, int off, int n) {
    int best = 0;
    float bestV = a[off];
    for (int j = 1; j < n; j++) {
      if (a[off + j] > bestV) { // strict: an equal later value keeps the lower id
        bestV = a[off + j];
        best = j;
      }
    }
    return best;
  }
}
