package lmlab.nn;

/**
 * What a sequence layer carries from one decoding step to the next for a batch of rows (one row =
 * one sequence): an attention layer's KV cache, an LSTM's (h, c). Every row has its own position
 * (the tokens it has consumed), so rows of a batch may be at different lengths.
 *
 * <p>The three operations beam search and a batching server need:
 * <ul>
 *   <li>{@link #fork()}: an independent copy (stepping one never changes the other);
 *   <li>{@link #reorder(int[])}: new row i becomes old row rows[i]; rows may repeat (beam search
 *       keeps two continuations of one hypothesis) and the row count may change;
 *   <li>{@link #truncate(int)}: every row (or one, {@link #truncate(int, int)}) forgets the tokens
 *       from position length on, so stepping on continues as a fresh run over the first length
 *       tokens would.
 * </ul>
 */
public interface StepState {
  /** Rows (sequences) this state holds. */
  int rows();

  /** Tokens row has consumed: the absolute position of its next token. */
  int position(int row);

  /** An independent deep copy. */
  StepState fork();

  /** Row i of the result is row rows[i] of this state (repeats allowed, rows.length >= 1). */
  void reorder(int[] rows);

  /** Every row at a position past length goes back to length (its first length tokens stay). */
  default void truncate(int length) {
    checkLength(getClass().getSimpleName(), length);
    for (int r = 0; r < rows(); r++) truncate(r, length);
  }

  /**
   * Row goes back to min(its position, length). With {@link #reorder} this also admits a new
   * sequence: repeat any row, then truncate the copy to 0.
   */
  void truncate(int row, int length);

  /**
   * Appends other's rows after this state's rows (other is left unchanged): a server admits a
   * sequence whose prompt was stepped in a state of its own, so continuous batching does not
   * re-run the prompt token by token. Both states must come from the same layer.
   */
  default void join(StepState other) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot join the rows of another state");
  }

  /** Bytes of state held (exact, for the analyser and the benches). */
  long bytes();

  /** Checks a reorder index list against rows rows. */
  static void checkRows(String who, int[] order, int rows) {
    if (order == null || order.length == 0) {
      throw new IllegalArgumentException(who + ": reorder needs at least one row index");
    }
    for (int r : order) {
      if (r < 0 || r >= rows) {
        throw new IllegalArgumentException(who + ": reorder index " + r + " is not a row of [0, " + rows + ")");
      }
    }
  }

  /** Checks a truncate length. */
  static void checkLength(String who, int length) {
    if (length < 0) throw new IllegalArgumentException(who + ": truncate length must be >= 0, got " + length);
  }
}
