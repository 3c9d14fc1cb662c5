package lmlab.decode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Exhaustive search (decoding.md): every sequence of up to T new tokens (ending at EOS or at T) is
 * scored and the best are returned, so greedy and beam search can be checked against the exact
 * argmax. Breadth first: the prefixes of length t are the model's rows and advance together in
 * one batched step; the last level is scored without stepping. Guarded: N^T above a limit is
 * refused, saying how many sequences that would be.
 */
public final class ExhaustiveSearch {
  /** The default limit on N^T. */
  public static final long DEFAULT_LIMIT = 1_000_000;

  private ExhaustiveSearch() {}

  /**
   * The keep best sequences (all of them if fewer), best first by l / len^α (α = lengthPenalty; 0:
   * the log-likelihood); ties keep enumeration order (shorter first, then by row, then token id).
   */
  public static List<Sequence> search(NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos, int keep,
      double lengthPenalty, long limit) {
    int vocab = lm.vocabSize();
    if (keep < 1) throw new IllegalArgumentException("exhaustive search: sequences to keep " + keep + " must be >= 1");
    Greedy.checkArguments(prompt, maxNewTokens, eos, vocab);
    double count = Math.pow(vocab, maxNewTokens);
    if (count > limit) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "exhaustive search: N^T = %d^%d = %s sequences is above the limit of %d (lower the new tokens T, or raise "
              + "the limit)", vocab, maxNewTokens, count < 1e15 ? Long.toString((long) count) : String.format(Locale.ROOT,
                  "%.3g", count), limit));
    }
    if (maxNewTokens == 0) return List.of(new Sequence(new int[0], new float[0], 0, 0, false));
    BeamSearch.Backpointers table = new BeamSearch.Backpointers(maxNewTokens);
    List<BeamSearch.Finished> complete = new ArrayList<>();
    double[] score = {0};
    int[] slotOf = {-1};
    lm.start(prompt);
    for (int t = 0; t < maxNewTokens; t++) {
      float[] lp = lm.logProbs();
      int rows = score.length;
      boolean last = t + 1 == maxNewTokens;
      // every (row, token) of probability > 0 is a prefix of this level
      IntList tok = new IntList();
      IntList parent = new IntList();
      List<Float> lps = new ArrayList<>();
      IntList liveSlots = new IntList();
      IntList rowParents = new IntList();
      List<Double> liveScores = new ArrayList<>();
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < vocab; j++) {
          float v = lp[r * vocab + j];
          if (v == Float.NEGATIVE_INFINITY) continue;
          double s = score[r] + v;
          int slot = tok.size();
          tok.add(j);
          parent.add(slotOf[r]);
          lps.add(v);
          boolean ended = eos.matches(j);
          if (ended || last) {
            complete.add(new BeamSearch.Finished(t, slot, s, BeamSearch.rank(s, t + 1, lengthPenalty), ended));
          } else {
            liveSlots.add(slot);
            rowParents.add(r);
            liveScores.add(s);
          }
        }
      }
      float[] lpArray = new float[lps.size()];
      for (int i = 0; i < lpArray.length; i++) lpArray[i] = lps.get(i);
      table.add(tok.toArray(), parent.toArray(), lpArray);
      if (liveSlots.size() == 0) break;
      score = liveScores.stream().mapToDouble(Double::doubleValue).toArray();
      slotOf = liveSlots.toArray();
      int[] tokens = new int[slotOf.length];
      int[] lastTok = tok.toArray();
      for (int i = 0; i < tokens.length; i++) tokens[i] = lastTok[slotOf[i]];
      lm.advance(rowParents.toArray(), tokens);
    }
    complete.sort(Comparator.comparingDouble(BeamSearch.Finished::rank).reversed());
    List<Sequence> out = new ArrayList<>();
    for (int i = 0; i < Math.min(keep, complete.size()); i++) out.add(table.sequence(complete.get(i)));
    return out;
  }

  /** A growable int array. */
  private static final class IntList {
    private int[] a = new int[16];
    private int n;

    void add(int v) {
      if (n == a.length) a = java.util.Arrays.copyOf(a, 2 * n);
      a[n++] = v;
    }

    int size() {
      return n;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }
}
