package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * A learned position table {@code weight} (S_max, d) whose row s is added at position s (in the
 * Transformer, {@code model.embed_positions.weight}). Initialised N(0, 1) like an Embedding.
 * Sequences longer than S_max are an error naming both.
 */
public final class LearnedPositions extends Positions {
  private final int maxPositions;
  private final int d;
  private final Tensor weight;

  public LearnedPositions(int maxPositions, int d, Rng rng) {
    if (maxPositions < 1 || d < 1) {
      throw new IllegalArgumentException("LearnedPositions(S_max " + maxPositions + ", d " + d + "): sizes must be >= 1");
    }
    this.maxPositions = maxPositions;
    this.d = d;
    this.weight = parameter("weight", Init.normal(rng, 1, maxPositions, d));
  }

  @Override
  public Tensor table(int start, int length) {
    if (start < 0 || length < 0) {
      throw new IllegalArgumentException("positions [" + start + ", " + (start + length) + ") are out of range");
    }
    if ((long) start + length > maxPositions) {
      String s = start == 0 ? "sequence length S = " + length
          : "positions up to " + ((long) start + length - 1) + " (start " + start + ", S = " + length + ")";
      throw new IllegalArgumentException(s + " exceeds the learned position table's S_max = " + maxPositions
          + " (max_position_embeddings)");
    }
    return weight.narrow(0, start, length); // rows start .. start + length - 1 of weight
  }

  /** Adds row pos of the table to x[xo, xo + d) in place (decoding): no view allocated. */
  @Override
  public void addRow(float[] x, int xo, int pos) {
    if (pos < 0 || pos >= maxPositions) table(pos, 1); // the same error as the forward's
    float[] w = weight.storage();
    int wo = weight.offset() + pos * d;
    for (int i = 0; i < d; i++) x[xo + i] += w[wo + i];
  }

  @Override
  public int dim() {
    return d;
  }

  public int maxPositions() {
    return maxPositions;
  }

  public Tensor weight() {
    return weight;
  }
}
