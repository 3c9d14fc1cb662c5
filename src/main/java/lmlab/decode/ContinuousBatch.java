package lmlab.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import lmlab.models.LanguageModel;
import lmlab.models.ModelState;
import lmlab.nn.weights.Weights;

/**
 * Continuous batching over one model (Orca, Yu et al. 2022; vLLM's scheduler; llama.cpp's
 * slots): rows (sequences) join and leave between steps, and every step feeds one token to each
 * row in one batched call of the model's own {@link LanguageModel#step}.
 *
 * <p>A joining sequence's prompt is stepped in a state of its own (one step of all its tokens,
 * as {@link SteppedModel#start} does for {@code lmlab generate}; prompts of one length that join
 * together step together), then its rows are appended to the batch ({@link ModelState#join}); a
 * leaving row is dropped by {@link ModelState#reorder}. So a sequence's logits are computed
 * exactly as in a run of its own, as long as the model's few-row products sum each row as the
 * one-row product does (every weight format up to {@link Weights#independentRows} rows); that is what
 * makes a server's results independent of what else is in flight. Not thread-safe: one decoding
 * thread owns it.
 */
public final class ContinuousBatch {
  /** The most rows a step keeps independent of each other (the few-row path of every weight format's matmul). */
  public static final int MAX_ROWS = 16;

  private final LanguageModel model;
  private final int vocab;
  /**
   * The batch's state; kept when the batch empties (its rows then finished, {@code empty} true),
   * so the next run reuses its KV page pool and step buffers instead of growing new ones from a
   * fork of the prompt's state (the pool doubling as rows advance, every run).
   */
  private ModelState state;
  private boolean empty = true;
  /**
   * The states prompts are stepped in, by row count, cleared and reused: a new state has the
   * weights' decoding copies checked against the weights (a pass over all of them), which a
   * server's fixed weights do not need at every request. Weights changed in place need a new batch.
   */
  private final ModelState[] prefills = new ModelState[MAX_ROWS + 1];
  private int[] one = new int[0];

  public ContinuousBatch(LanguageModel model) {
    if (model == null) throw new IllegalArgumentException("continuous batch: model is null");
    this.model = model;
    this.vocab = model.vocabSize();
  }

  public int vocabSize() {
    return vocab;
  }

  /** Rows decoding now. */
  public int rows() {
    return empty ? 0 : state.rows();
  }

  /** Row's position: the tokens it has consumed. */
  public int position(int row) {
    if (empty) throw new IllegalStateException("continuous batch: no rows");
    return state.position(row);
  }

  /**
   * Steps prompt in a state of its own and appends it as the last row; returns the logits (V) of
   * the prompt's last token (a new array), from which the first new token is drawn.
   */
  public float[] join(int[] prompt) {
    return join(List.of(prompt)).get(0);
  }

  /**
   * Steps the prompts and appends them as the last rows, in order; returns each prompt's last
   * logits (V, new arrays). Requests that arrive together (a server's queue drained between two
   * steps) join in one pass over the weights instead of one each: consecutive prompts of the same
   * length step together, as many as keep their rows (prompts × length) within what every weight
   * format's products keep independent ({@link Weights#independentRows}), so each prompt's logits
   * and cache are the bits it gets joining alone. A prompt longer than that joins alone.
   */
  public List<float[]> join(List<int[]> prompts) {
    for (int[] p : prompts) {
      if (p == null || p.length == 0) {
        throw new IllegalArgumentException("continuous batch: the prompt needs at least one token");
      }
    }
    if (rows() + prompts.size() > MAX_ROWS) {
      throw new IllegalStateException("continuous batch: " + MAX_ROWS + " rows at most (got " + (rows() + prompts.size()) + ")");
    }
    List<float[]> last = new ArrayList<>(prompts.size());
    int before = rows();
    int limit = Weights.independentRows();
    try {
      for (int i = 0, j; i < prompts.size(); i = j) {
        int t = prompts.get(i).length;
        j = i + 1;
        while (j < prompts.size() && prompts.get(j).length == t && (long) (j - i + 1) * t <= limit) j++;
        last.addAll(joinTogether(prompts.subList(i, j), t));
      }
    } catch (RuntimeException e) {
      // all or none: the rows of prompts that did join leave again
      if (before == 0) {
        empty = true;
      } else if (rows() > before) {
        state.reorder(IntStream.range(0, before).toArray());
      }
      throw e;
    }
    return last;
  }

  /** Prompts of length t in one step of a state of their own, then appended: their last logits. */
  private List<float[]> joinTogether(List<int[]> group, int t) {
    int b = group.size();
    ModelState prefill = prefill(b);
    int[] tokens = new int[b * t];
    for (int r = 0; r < b; r++) System.arraycopy(group.get(r), 0, tokens, r * t, t);
    float[] all = model.step(prefill, tokens, t);
    List<float[]> last = new ArrayList<>(b);
    for (int r = 0; r < b; r++) last.add(Arrays.copyOfRange(all, (r * t + t - 1) * vocab, (r * t + t) * vocab));
    if (state == null) {
      state = prefill.fork();
    } else if (empty) {
      // the finished rows leave as the new ones join: their pages go back to the kept pool
      state.join(prefill);
      state.reorder(IntStream.range(state.rows() - b, state.rows()).toArray());
    } else {
      state.join(prefill);
    }
    empty = false;
    return last;
  }

  /** The empty b-row state prompts are stepped in (made once per b, then cleared and reused). */
  private ModelState prefill(int b) {
    ModelState p = prefills[b];
    if (p == null) prefills[b] = p = model.newState(b);
    else p.truncate(0);
    return p;
  }

  /** Keeps the given rows, in this order (the others leave); an empty list empties the batch. */
  public void retain(int[] rows) {
    if (empty) {
      if (rows.length > 0) throw new IllegalStateException("continuous batch: no rows to keep");
      return;
    }
    if (rows.length == 0) {
      empty = true; // the state stays for the next join (a state has at least one row)
      return;
    }
    boolean identity = rows.length == state.rows();
    for (int i = 0; identity && i < rows.length; i++) identity = rows[i] == i;
    if (!identity) state.reorder(rows);
  }

  /** Drops every row and the kept state (after a failed step, whose state may be half written). */
  public void reset() {
    state = null;
    empty = true;
  }

  /**
   * Feeds tokens[r] to row r, every row in one step; returns the logits (rows, V) in the state's
   * buffer (possibly longer; valid until the next call).
   */
  public float[] step(int[] tokens) {
    if (empty) throw new IllegalStateException("continuous batch: no rows to step");
    if (tokens.length != state.rows()) {
      throw new IllegalArgumentException("continuous batch: " + tokens.length + " tokens for " + state.rows() + " rows");
    }
    if (one.length != tokens.length) one = new int[tokens.length];
    System.arraycopy(tokens, 0, one, 0, tokens.length);
    return model.step(state, one, 1);
  }
}
