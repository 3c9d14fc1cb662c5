package lmlab.decode;

import java.util.Arrays;

/**
 * One decoded sequence: the new tokens (prompt excluded; the end-of-sequence token included when
 * it ended the sequence), each token's log-probability under the model (log-softmax of its logits,
 * before any sampling filter), their sum, and the score the search ranked it by (the
 * log-likelihood, or l / len^α with a length penalty α).
 */
public record Sequence(int[] tokens, float[] logProbs, double logLikelihood, double score, boolean endedAtEos) {
  public Sequence {
    if (tokens.length != logProbs.length) {
      throw new IllegalArgumentException("sequence: " + tokens.length + " tokens but " + logProbs.length + " log-probabilities");
    }
  }

  public int length() {
    return tokens.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sequence s && Arrays.equals(tokens, s.tokens) && Arrays.equals(logProbs, s.logProbs)
        && Double.compare(logLikelihood, s.logLikelihood) == 0 && Double.compare(score, s.score) == 0
        && endedAtEos == s.endedAtEos;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tokens) * 31 + Double.hashCode(logLikelihood);
  }

  @Override
  public String toString() {
    return "Sequence" + Arrays.toString(tokens) + " log p " + logLikelihood + (endedAtEos ? " (EOS)" : "");
  }
}
