package lmlab.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampling (decoding.md): n sequences drawn by a {@link Sampling}, advancing together in one
 * batched step per token; sequence i draws with its own generator (seed + i), so sequence 0 is
 * what a single draw with the same seed gives. A sequence that draws EOS leaves the batch (its
 * row is dropped by the next reorder). Reported log-probabilities are the model's own
 * (log-softmax of the logits), not those of the filtered distribution.
 */
public final class Sample {
  private Sample() {}

  /** One sequence, each token handed to sink as it is drawn (sink may stop it). */
  public static Sequence generate(NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos, Sampling sampling,
      TokenSink sink) {
    return generate(lm, prompt, maxNewTokens, eos, sampling, 1, sink).get(0);
  }

  /**
   * n sequences of up to maxNewTokens tokens after prompt, in order of their index; sink sees the
   * tokens of sequence 0.
   */
  public static List<Sequence> generate(NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos, Sampling sampling,
      int n, TokenSink sink) {
    int vocab = lm.vocabSize();
    Greedy.checkArguments(prompt, maxNewTokens, eos, vocab);
    if (n < 1) throw new IllegalArgumentException("sample: the number of sequences must be >= 1, got " + n);
    int p = prompt.length;
    int[][] history = new int[n][p + maxNewTokens];
    float[][] lps = new float[n][maxNewTokens];
    int[] lengths = new int[n];
    boolean[] ended = new boolean[n];
    TokenSampler[] samplers = new TokenSampler[n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(prompt, 0, history[i], 0, p);
      samplers[i] = sampling.sampler(i);
    }
    if (maxNewTokens > 0) {
      lm.start(prompt);
      // live[r] = the sequence row r of the model holds; before the first draw every sequence reads row 0
      int[] rowOf = new int[n];
      int[] live = new int[n];
      for (int i = 0; i < n; i++) live[i] = i;
      int liveCount = n;
      boolean sinkOpen = true;
      for (int t = 0; t < maxNewTokens && liveCount > 0; t++) {
        float[] logits = lm.logits();
        float[] logProbs = lm.logProbs();
        int[] parents = new int[liveCount];
        int[] tokens = new int[liveCount];
        int next = 0;
        for (int k = 0; k < liveCount; k++) {
          int i = live[k];
          int row = rowOf[i];
          int w = samplers[i].next(logits, row * vocab, vocab, history[i], p + lengths[i]);
          history[i][p + lengths[i]] = w;
          lps[i][lengths[i]] = logProbs[row * vocab + w];
          lengths[i]++;
          boolean stop = eos.matches(w);
          if (i == 0 && sinkOpen) {
            sinkOpen = sink.accept(w, lps[i][lengths[i] - 1]);
            if (!sinkOpen) stop = true;
          }
          if (stop) {
            ended[i] = eos.matches(w);
            continue;
          }
          parents[next] = row;
          tokens[next] = w;
          rowOf[i] = next;
          live[next] = i;
          next++;
        }
        liveCount = next;
        if (liveCount > 0 && t + 1 < maxNewTokens) lm.advance(Arrays.copyOf(parents, next), Arrays.copyOf(tokens, next));
      }
    }
    List<Sequence> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int[] tokens = Arrays.copyOfRange(history[i], p, p + lengths[i]);
      float[] lp = Arrays.copyOf(lps[i], lengths[i]);
      double sum = 0;
      for (float v : lp) sum += v;
      out.add(new Sequence(tokens, lp, sum, sum, ended[i]));
    }
    return out;
  }
}
