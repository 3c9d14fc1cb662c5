package lmlab.serve;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;
import lmlab.decode.Sampling;
import lmlab.decode.TokenSampler;
import lmlab.decode.structured.JsonConstraint;

/**
 * One request's token choice from a row of raw logits (serving.md's field table, in OpenAI's
 * order): log-probabilities are read from the raw logits (the model's own distribution, so they
 * do not depend on sampling settings); then frequency and presence penalties over the generated
 * tokens (logit_j −= count_j · frequency + [count_j > 0] · presence), the logit bias, the
 * structured-output mask (−∞ for tokens the constraint does not allow), and the draw: argmax at
 * temperature 0 (ties to the lower id), else decode's {@link TokenSampler} (temperature, top-k,
 * top-p) with the request's own seeded generator. Owned by the decoding thread.
 */
final class RowSampler {
  private final Generator.Sampling sampling;
  private final TokenSampler sampler;
  private final JsonConstraint constraint;
  private final int topLogprobs;
  private final int vocab;
  private final float[] x;
  private final int[] counts;
  private final int[] distinct;
  private int distinctCount;

  RowSampler(Generator.Request request, int vocab) {
    this.sampling = request.sampling();
    this.constraint = request.constraint();
    this.topLogprobs = request.topLogprobs();
    this.vocab = vocab;
    this.x = new float[vocab];
    boolean penalties = sampling.presencePenalty() != 0 || sampling.frequencyPenalty() != 0;
    this.counts = penalties ? new int[vocab] : null;
    this.distinct = penalties ? new int[Math.min(vocab, Math.max(16, request.maxTokens()))] : null;
    this.sampler = sampling.temperature() == 0 ? null
        : new Sampling(sampling.temperature(), sampling.topK(), sampling.topP(), 0, 1, sampling.seed()).sampler();
  }

  /** Chooses the next token from logits[off .. off + V), advances the constraint, and describes the token. */
  Generator.Token next(float[] logits, int off) {
    double lse = logSumExp(logits, off, vocab);
    System.arraycopy(logits, off, x, 0, vocab);
    if (counts != null) {
      float f = (float) sampling.frequencyPenalty();
      float p = (float) sampling.presencePenalty();
      for (int i = 0; i < distinctCount; i++) {
        int j = distinct[i];
        x[j] -= counts[j] * f + p;
      }
    }
    Map<Integer, Float> bias = sampling.logitBias();
    if (bias != null) for (Map.Entry<Integer, Float> e : bias.entrySet()) x[e.getKey()] += e.getValue();
    if (constraint != null) {
      BitSet allowed = constraint.allowed();
      if (allowed.isEmpty()) throw new IllegalStateException("structured output: no token of the vocabulary can continue the value");
      for (int j = allowed.nextClearBit(0); j < vocab; j = allowed.nextClearBit(j + 1)) x[j] = Float.NEGATIVE_INFINITY;
    }
    int id = sampler == null ? argmax(x) : sampler.next(x, 0, vocab, null, 0);
    if (constraint != null) constraint.accept(id);
    if (counts != null && counts[id]++ == 0 && distinctCount < distinct.length) distinct[distinctCount++] = id;
    float logprob = (float) (logits[off + id] - lse);
    int[] topIds = top(logits, off, topLogprobs);
    float[] topLp = new float[topIds.length];
    for (int i = 0; i < topIds.length; i++) topLp[i] = (float) (logits[off + topIds[i]] - lse);
    return new Generator.Token(id, logprob, topIds, topLp);
  }

  /** The largest entry of a (ties to the lower id); an all −∞ row has no choice. */
  private int argmax(float[] a) {
    int best = -1;
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < vocab; j++) {
      if (a[j] > max) {
        max = a[j];
        best = j;
      }
    }
    if (best < 0) throw new IllegalStateException("sampler: no token has a finite logit");
    return best;
  }

  /** The k ids with the largest logits, largest first (ties to the lower id). */
  private int[] top(float[] logits, int off, int k) {
    k = Math.min(k, vocab);
    int[] ids = new int[k];
    float[] vals = new float[k];
    Arrays.fill(vals, Float.NEGATIVE_INFINITY);
    Arrays.fill(ids, -1);
    for (int j = 0; j < vocab && k > 0; j++) {
      float v = logits[off + j];
      if (ids[k - 1] >= 0 && v <= vals[k - 1]) continue;
      int i = k - 1;
      while (i > 0 && (ids[i - 1] < 0 || v > vals[i - 1])) {
        ids[i] = ids[i - 1];
        vals[i] = vals[i - 1];
        i--;
      }
      ids[i] = j;
      vals[i] = v;
    }
    return ids;
  }

  /** log Σ exp over a row, in double. */
  static double logSumExp(float[] a, int off, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) if (a[off + j] > max) max = a[off + j];
    double sum = 0;
    for (int j = 0; j < n; j++) sum += Math.exp((double) a[off + j] - max);
    return max + Math.log(sum);
  }
}
