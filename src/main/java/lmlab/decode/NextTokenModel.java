package lmlab.decode;

/**
 * A language model as the search strategies see it (decoding.md): log p(next | prefix) for a batch
 * of rows (prefixes) that advance together. A neural model steps its layers on all rows at once
 * ({@link SteppedModel}: one batched step, matrix-matrix products over the rows); a {@link TreeLm}
 * looks the answer up.
 *
 * <p>Protocol: {@link #start} with the prompt (one row), then any number of {@link #advance}; after
 * each, {@link #logits()} and {@link #logProbs()} hold one row of V values per row.
 */
public interface NextTokenModel {
  /** V: ids are in [0, V). */
  int vocabSize();

  /** Forgets every row and starts one row on prompt (at least one token, ids in [0, V)). */
  void start(int[] prompt);

  /** Rows held now. */
  int rows();

  /**
   * New row i continues old row parents[i] with token tokens[i] (parents may repeat or leave rows
   * out; the row count becomes parents.length). The rows' states are reordered, not copied
   * whole, and the new tokens are fed in one batched step.
   */
  void advance(int[] parents, int[] tokens);

  /**
   * The next-token scores, rows × V row-major (valid until the next call): raw logits for a neural
   * model (what sampling's repetition penalty and temperature act on), the log-probabilities for
   * a tree. Entries may be −∞ (probability 0).
   */
  float[] logits();

  /** The next-token log-probabilities log p(j | row), rows × V row-major (valid until the next call). */
  float[] logProbs();
}
