package lmlab.decode;

import java.util.Arrays;
import lmlab.models.LanguageModel;

/**
 * Greedy decoding (decoding.md): w_t = argmax log p(w | w_&lt;t), ties to the lower token id, until
 * EOS or T new tokens, over any {@link NextTokenModel} (a model that steps, or a tree) so each step
 * feeds one token. The argmax of the logits is the argmax of the log-probabilities (log-softmax
 * only shifts a row).
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

  /** {@link #search} on decoder (cleared first), without the log-probabilities. */
  public static Result generate(Decoder decoder, int[] prompt, int maxNewTokens, int eos) {
    Sequence s = search(new SteppedModel(decoder), prompt, maxNewTokens, Eos.of(eos), TokenSink.NONE);
    return new Result(s.tokens(), s.endedAtEos());
  }

  /**
   * Feeds prompt (at least one token), then picks and feeds one token at a time, handing each to
   * sink (which may stop the search). The last pick is not fed (its logits are not needed), so
   * the positions used are 0 .. P + T - 2.
   *
   * @param eos the end-of-sequence ids
   */
  public static Sequence search(NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos, TokenSink sink) {
    int vocab = lm.vocabSize();
    checkArguments(prompt, maxNewTokens, eos, vocab);
    int[] out = new int[maxNewTokens];
    float[] lp = new float[maxNewTokens];
    if (maxNewTokens == 0) return new Sequence(out, lp, 0, 0, false);
    lm.start(prompt);
    int[] parent = {0};
    int[] token = new int[1];
    double sum = 0;
    for (int i = 0; ; i++) {
      float[] logProbs = lm.logProbs();
      int w = argmax(logProbs, 0, vocab);
      if (logProbs[w] == Float.NEGATIVE_INFINITY) { // a tree leaf with no continuation: nothing can follow
        return new Sequence(Arrays.copyOf(out, i), Arrays.copyOf(lp, i), sum, sum, false);
      }
      out[i] = w;
      lp[i] = logProbs[w];
      sum += lp[i];
      boolean more = sink.accept(w, lp[i]);
      if (eos.matches(w)) return new Sequence(Arrays.copyOf(out, i + 1), Arrays.copyOf(lp, i + 1), sum, sum, true);
      if (i + 1 == maxNewTokens || !more) {
        return new Sequence(Arrays.copyOf(out, i + 1), Arrays.copyOf(lp, i + 1), sum, sum, false);
      }
      token[0] = w;
      lm.advance(parent, token);
    }
  }

  /** The checks every strategy shares: a prompt, T >= 0, eos an id or -1. */
  static void checkArguments(int[] prompt, int maxNewTokens, Eos eos, int vocab) {
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException("generate: the prompt needs at least one token (e.g. BOS)");
    }
    if (maxNewTokens < 0) throw new IllegalArgumentException("generate: max new tokens must be >= 0, got " + maxNewTokens);
    eos.check(vocab);
    for (int i = 0; i < prompt.length; i++) {
      if (prompt[i] < 0 || prompt[i] >= vocab) {
        throw new IllegalArgumentException("generate: prompt token " + prompt[i] + " at position " + i
            + " is outside the vocabulary [0, " + vocab + ")");
      }
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
