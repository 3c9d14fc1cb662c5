package lmlab.nn.attention;

import lmlab.nn.StepState;

/**
 * Rows [from, to) of a {@link LayerKvCache}, prepared by {@link LayerKvCache#prepareRows}, as the
 * state of one part of a decoding step whose rows are split over the threads: each part steps its
 * own rows through every layer, so the threads share no activations and meet once per step
 * instead of once per product. It steps one token and nothing else; the cache itself forks,
 * reorders and truncates.
 */
public final class RowWindow implements StepState {
  private final LayerKvCache cache;
  private final int from;
  private final int to;
  private final int scratch;

  RowWindow(LayerKvCache cache, int from, int to, int scratch) {
    this.cache = cache;
    this.from = from;
    this.to = to;
    this.scratch = scratch;
  }

  public LayerKvCache cache() {
    return cache;
  }

  @Override
  public int rows() {
    return to - from;
  }

  @Override
  public int position(int row) {
    if (row < 0 || row >= rows()) throw new IllegalArgumentException("RowWindow: row " + row + " is not one of " + rows());
    return cache.position(from + row);
  }

  @Override
  public StepState fork() {
    throw new UnsupportedOperationException("a RowWindow only steps; fork its LayerKvCache");
  }

  @Override
  public void reorder(int[] rows) {
    throw new UnsupportedOperationException("a RowWindow only steps; reorder its LayerKvCache");
  }

  @Override
  public void truncate(int row, int length) {
    throw new UnsupportedOperationException("a RowWindow only steps; truncate its LayerKvCache");
  }

  @Override
  public long bytes() {
    throw new UnsupportedOperationException("a RowWindow only steps; ask its LayerKvCache for bytes()");
  }

  /** One token for the window's rows: q, k, v and out hold its rows only ({@link Decoding#stepRows}). */
  public void step(AttentionConfig cfg, ScoreParams score, float[] q, float[] k, float[] v, float[] out) {
    Decoding.stepRows(cfg, score, from, rows(), q, k, v, cache, out, scratch);
  }
}
