package lmlab.decode;

import java.util.Arrays;
import lmlab.models.LanguageModel;
import lmlab.models.ModelState;

/**
 * Continuous batching over one model (Orca, Yu et al. 2022; vLLM's scheduler; llama.cpp's
 * slots): rows (sequences) join and leave between steps, and every step feeds one token to each
 * row in one batched call of the model's own {@link LanguageModel#step}.
 *
 * <p>A joining sequence's prompt is stepped in a state of its own (one step of all its tokens,
 * as {@link SteppedModel#start} does for {@code lmlab generate}), then its rows are appended to
 * the batch ({@link ModelState#join}); a leaving row is dropped by {@link ModelState#reorder}.
 * So a sequence's logits are computed exactly as in a run of its own, as long as the model's
 * few-row products sum each row as the one-row product does (float32 weights up to 16 rows:
 * {@code FloatWeights.matmul}); that is what makes a server's results independent of what else
 * is in flight. Not thread-safe: one decoding thread owns it.
 */
public final class ContinuousBatch {
  /** The most rows a step keeps independent of each other (FloatWeights.matmul's few-row path). */
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
   * The one-row state prompts are stepped in, cleared and reused: a new state has the weights'
   * decoding copies checked against the weights (a pass over all of them), which a server's fixed
   * weights do not need at every request. Weights changed in place need a new batch.
   */
  private ModelState prefill;
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
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException("continuous batch: the prompt needs at least one token");
    }
    if (rows() >= MAX_ROWS) {
      throw new IllegalStateException("continuous batch: " + MAX_ROWS + " rows at most (got one more)");
    }
    if (prefill == null) prefill = model.newState(1);
    else prefill.truncate(0);
    float[] all = model.step(prefill, prompt, prompt.length);
    float[] last = Arrays.copyOfRange(all, (prompt.length - 1) * vocab, prompt.length * vocab);
    if (state == null) {
      state = prefill.fork();
    } else if (empty) {
      // the finished rows leave as the new one joins: their pages go back to the kept pool
      state.join(prefill);
      state.reorder(new int[] {state.rows() - 1});
    } else {
      state.join(prefill);
    }
    empty = false;
    return last;
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
