package lmlab.lab.text;

import java.util.function.IntConsumer;
import lmlab.autograd.Autograd;
import lmlab.decode.Decoder;
import lmlab.decode.Sampling;
import lmlab.decode.TokenSampler;
import lmlab.models.LanguageModel;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import lmlab.tokenize.CharTokenizer;

/**
 * Character sampling as minGPT's {@code generate} (model.py 283–306) does it, with decoding.md's
 * sampler ({@link Sampling}: logits / τ, keep the logits ≥ the k-th largest, softmax, draw):
 * while the text fits the context (S_max characters) the model steps on its KV cache; past S_max
 * the context is the last S_max characters at positions 0 … S_max − 1, one full forward pass per
 * character ({@code idx[:, -block_size:]}), since cached keys carry the positions they were made at.
 */
public final class CharGeneration {
  private CharGeneration() {}

  /**
   * The prompt's ids; a character outside the vocabulary is an error naming it and where the
   * vocabulary came from.
   */
  public static int[] encodePrompt(CharTokenizer vocab, String prompt, String where) {
    if (prompt.isEmpty()) throw new IllegalArgumentException("the prompt is empty; give at least one character");
    int[] out = new int[prompt.codePointCount(0, prompt.length())];
    int k = 0;
    for (int i = 0; i < prompt.length(); ) {
      int cp = prompt.codePointAt(i);
      var id = vocab.id(Character.toString(cp));
      if (id.isEmpty()) {
        String shown = Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + Character.toString(cp) + "' ";
        throw new IllegalArgumentException("prompt character " + shown + String.format("(U+%04X)", cp) + " at position " + k
            + " is not in the " + vocab.vocabSize() + "-character vocabulary of " + where);
      }
      out[k++] = id.getAsInt();
      i += Character.charCount(cp);
    }
    return out;
  }

  /**
   * Generates chars characters after prompt (ids) and returns the whole text (prompt included);
   * each new id goes to sink as it is drawn. The model is put in eval mode (its mode is restored).
   */
  public static int[] generate(LanguageModel model, int contextLength, int[] prompt, int chars, Sampling sampling,
      IntConsumer sink) {
    int v = model.vocabSize();
    int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + chars);
    int len = prompt.length;
    TokenSampler sampler = sampling.sampler();
    boolean wasTraining = model.isTraining();
    model.eval();
    try (var g = Autograd.noGrad()) {
      Decoder cache = null;
      float[] logits;
      int off;
      if (len <= contextLength) {
        cache = new Decoder(model, 1);
        Tensor out = cache.append(IntTensor.of(prompt, 1, len));
        logits = out.toArray();
        off = (len - 1) * v;
      } else {
        logits = window(model, seq, len, contextLength);
        off = (contextLength - 1) * v;
      }
      for (int i = 0; i < chars; i++) {
        int next = sampler.next(logits, off, v, seq, len);
        seq[len++] = next;
        if (sink != null) sink.accept(next);
        if (i == chars - 1) break;
        if (cache != null && len <= contextLength) {
          logits = cache.appendToken(next);
          off = 0;
        } else {
          cache = null; // the cache holds positions the cropped context no longer has
          logits = window(model, seq, len, contextLength);
          off = (Math.min(len, contextLength) - 1) * v;
        }
      }
    } finally {
      model.train(wasTraining);
    }
    return java.util.Arrays.copyOf(seq, len);
  }

  /** Logits (flattened) of a full forward pass over the last min(len, S_max) ids at positions 0 … . */
  private static float[] window(LanguageModel model, int[] seq, int len, int contextLength) {
    int n = Math.min(len, contextLength);
    int[] ctx = java.util.Arrays.copyOfRange(seq, len - n, len);
    return model.logits(IntTensor.of(ctx, 1, n)).toArray();
  }

  /** The text of ids. */
  public static String text(CharTokenizer vocab, int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) sb.append(vocab.piece(id));
    return sb.toString();
  }
}
