package lmlab.decode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search, the course's Algorithm 1 with decoding.md's rules. B hypotheses with
 * log-likelihoods l^(b); the search starts from one live hypothesis (the prompt, l = 0), so no two
 * beams are ever the same sequence. At each step every live hypothesis b and token j give the
 * candidate s_b(j) = l^(b) + log p(j | w^(b)); the B best candidates over all (b, j) survive (ties:
 * lower b, then lower j; b is the beam's rank). A candidate ending in EOS is finished and leaves the
 * beam; the live ones advance together: one reorder of the rows' states and one batched step.
 * The search stops after T steps, when no hypothesis is live, or when no live hypothesis can beat
 * the B-th finished one. Result: the B best of the finished and the live-at-T sequences, best
 * first.
 *
 * <p>Optional length penalty α (Hugging Face's): finished sequences rank by l / len^α, len the new
 * tokens (EOS included); α = 0 ranks by the raw log-likelihood. Candidates are always selected by
 * l. Since l only falls as a sequence grows, a live hypothesis of log-likelihood l and length n can
 * reach at most l (α = 0), l / T^α (α &gt; 0) or l / (n + 1)^α (α &lt; 0).
 *
 * <p>Cost: T steps of B rows (one batched step each), O(T·B·V) candidate scores and the same to
 * select (a sorted array of B); memory O(B·T) for the back-pointers beyond the model's state.
 */
public final class BeamSearch {
  private BeamSearch() {}

  /** Up to beams sequences, best first. */
  public static List<Sequence> search(NextTokenModel lm, int[] prompt, int maxNewTokens, Eos eos, int beams,
      double lengthPenalty) {
    int vocab = lm.vocabSize();
    if (beams < 1) throw new IllegalArgumentException("beam search: beams " + beams + " must be >= 1");
    if (Double.isNaN(lengthPenalty) || Double.isInfinite(lengthPenalty)) {
      throw new IllegalArgumentException("beam search: length penalty " + lengthPenalty + " must be a finite number");
    }
    Greedy.checkArguments(prompt, maxNewTokens, eos, vocab);
    if (maxNewTokens == 0) return List.of(new Sequence(new int[0], new float[0], 0, 0, false));
    Backpointers table = new Backpointers(maxNewTokens, beams);
    List<Finished> finished = new ArrayList<>();
    // live beams in rank order: their score, their slot in the last step's table, their model row
    double[] liveScore = new double[beams];
    int[] liveSlot = new int[beams];
    int[] liveRow = new int[beams];
    liveSlot[0] = -1;
    int live = 1;
    // the step's B best candidates (score, beam, token) and the next live beams; reused every step
    double[] cs = new double[beams];
    int[] cb = new int[beams];
    int[] cj = new int[beams];
    double[] nextScore = new double[beams];
    int[] nextSlot = new int[beams];
    int[] parents = new int[beams];
    int[] tokens = new int[beams];
    Rows rows = new Rows(beams);
    lm.start(prompt);
    for (int t = 0; t < maxNewTokens && live > 0; t++) {
      float[] lp = lm.logProbs();
      // the B best (b, j) by s = l_b + log p(j | b); earlier (lower b, then lower j) wins ties
      int n = 0;
      for (int b = 0; b < live; b++) {
        double base = liveScore[b];
        int off = liveRow[b] * vocab;
        for (int j = 0; j < vocab; j++) {
          float v = lp[off + j];
          if (v == Float.NEGATIVE_INFINITY) continue; // probability 0 (a tree's absent token)
          double s = base + v;
          if (n == beams && !(s > cs[n - 1])) continue;
          int pos = n < beams ? n++ : n - 1;
          while (pos > 0 && cs[pos - 1] < s) {
            cs[pos] = cs[pos - 1];
            cb[pos] = cb[pos - 1];
            cj[pos] = cj[pos - 1];
            pos--;
          }
          cs[pos] = s;
          cb[pos] = b;
          cj[pos] = j;
        }
      }
      if (n == 0) break;
      int[] tok = table.tokens(t);
      int[] parent = table.parents(t);
      float[] tokLp = table.logProbs(t);
      int next = 0;
      for (int k = 0; k < n; k++) {
        int b = cb[k];
        tok[k] = cj[k];
        parent[k] = liveSlot[b];
        tokLp[k] = lp[liveRow[b] * vocab + cj[k]];
        boolean ended = eos.matches(cj[k]);
        if (ended || t + 1 == maxNewTokens) {
          finished.add(new Finished(t, k, cs[k], rank(cs[k], t + 1, lengthPenalty), ended));
        } else {
          nextScore[next] = cs[k];
          nextSlot[next] = k;
          parents[next] = liveRow[b];
          tokens[next] = cj[k];
          next++;
        }
      }
      table.steps = t + 1;
      live = next;
      if (live == 0 || t + 1 == maxNewTokens) break;
      if (finished.size() >= beams && cannotBeat(finished, beams, nextScore, live, t + 1, maxNewTokens, lengthPenalty)) {
        break;
      }
      System.arraycopy(nextScore, 0, liveScore, 0, live);
      System.arraycopy(nextSlot, 0, liveSlot, 0, live);
      rows.place(parents, tokens, live, liveRow);
      lm.advance(rows.parents(), rows.tokens());
    }
    finished.sort(Comparator.comparingDouble(Finished::rank).reversed()); // stable: earlier finished first on ties
    List<Sequence> out = new ArrayList<>();
    for (int i = 0; i < Math.min(beams, finished.size()); i++) out.add(table.sequence(finished.get(i)));
    return out;
  }

  /**
   * The model row of each new beam (beams in rank order, parents their old rows): a hypothesis's
   * first continuation stays in its parent's row, the others take the free rows, so rows whose
   * parent is unchanged keep their state as it is.
   */
  static int[] placeRows(int[] parents, int live) {
    int[] row = new int[live];
    new Rows(live).placeInto(parents, live, row);
    return row;
  }

  /** The rows of the next step: where each beam goes, and the parents and tokens in row order (buffers reused). */
  private static final class Rows {
    private final boolean[] taken;
    private final int[][] parentsOf;
    private final int[][] tokensOf;
    private int[] rowParents;
    private int[] rowTokens;

    Rows(int beams) {
      taken = new boolean[beams];
      parentsOf = new int[beams + 1][];
      tokensOf = new int[beams + 1][];
    }

    /** Fills row (the row of each of live beams) and the row-ordered parents and tokens. */
    void place(int[] parents, int[] tokens, int live, int[] row) {
      placeInto(parents, live, row);
      if (parentsOf[live] == null) {
        parentsOf[live] = new int[live];
        tokensOf[live] = new int[live];
      }
      rowParents = parentsOf[live];
      rowTokens = tokensOf[live];
      for (int b = 0; b < live; b++) {
        rowParents[row[b]] = parents[b];
        rowTokens[row[b]] = tokens[b];
      }
    }

    void placeInto(int[] parents, int live, int[] row) {
      java.util.Arrays.fill(taken, 0, live, false);
      java.util.Arrays.fill(row, 0, live, -1);
      for (int b = 0; b < live; b++) {
        int p = parents[b];
        if (p < live && !taken[p]) {
          row[b] = p;
          taken[p] = true;
        }
      }
      int free = 0;
      for (int b = 0; b < live; b++) {
        if (row[b] >= 0) continue;
        while (taken[free]) free++;
        row[b] = free;
        taken[free] = true;
      }
    }

    /** The parents of the rows, in row order (exactly live entries: the row count of the next step). */
    int[] parents() {
      return rowParents;
    }

    int[] tokens() {
      return rowTokens;
    }
  }

  /** The ranking score l / len^α. */
  static double rank(double logLikelihood, int length, double alpha) {
    return alpha == 0 ? logLikelihood : logLikelihood / Math.pow(length, alpha);
  }

  /** True when no live hypothesis can reach a rank above the B-th best finished one. */
  private static boolean cannotBeat(List<Finished> finished, int beams, double[] liveScore, int live, int length,
      int maxLength, double alpha) {
    double[] ranks = finished.stream().mapToDouble(Finished::rank).sorted().toArray();
    double bth = ranks[ranks.length - beams];
    for (int b = 0; b < live; b++) {
      double l = liveScore[b];
      double best = alpha == 0 ? l : alpha > 0 ? rank(l, maxLength, alpha) : rank(l, length + 1, alpha);
      if (best > bth) return false;
    }
    return true;
  }

  /** A finished (or complete at T) sequence: the step and slot of its last token. */
  record Finished(int step, int slot, double logLikelihood, double rank, boolean endedAtEos) {}

  /** Per step the chosen tokens, their parents' slots in the step before and their log-probabilities: O(B·T). */
  static final class Backpointers {
    private final int[][] tokens;
    private final int[][] parents;
    private final float[][] logProbs;
    int steps;

    private final int beams;

    Backpointers(int maxSteps, int beams) {
      tokens = new int[maxSteps][];
      parents = new int[maxSteps][];
      logProbs = new float[maxSteps][];
      this.beams = beams;
    }

    /** Back-pointers whose steps are given whole ({@link #add}), of any width. */
    Backpointers(int maxSteps) {
      this(maxSteps, 0);
    }

    void add(int[] tok, int[] parent, float[] lp) {
      tokens[steps] = tok;
      parents[steps] = parent;
      logProbs[steps] = lp;
      steps++;
    }

    /** Step t's tokens, B wide (its three arrays are made when the search reaches it). */
    int[] tokens(int t) {
      if (tokens[t] == null) {
        tokens[t] = new int[beams];
        parents[t] = new int[beams];
        logProbs[t] = new float[beams];
      }
      return tokens[t];
    }

    int[] parents(int t) {
      return parents[t];
    }

    float[] logProbs(int t) {
      return logProbs[t];
    }

    Sequence sequence(Finished f) {
      int len = f.step() + 1;
      int[] tok = new int[len];
      float[] lp = new float[len];
      int slot = f.slot();
      for (int t = f.step(); t >= 0; t--) {
        tok[t] = tokens[t][slot];
        lp[t] = logProbs[t][slot];
        slot = parents[t][slot];
      }
      double sum = 0;
      for (float v : lp) sum += v;
      return new Sequence(tok, lp, sum, f.rank(), f.endedAtEos());
    }
  }
}
