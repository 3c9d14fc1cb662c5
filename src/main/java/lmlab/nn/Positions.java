package lmlab.nn;

import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Absolute position information added to the token embeddings: {@code x + P[start .. start+S)}
 * for x (..., S, d). {@link SinusoidalPositions} (fixed) or {@link LearnedPositions} (a table).
 */
public abstract class Positions extends Module {
  /** The width d. */
  public abstract int dim();

  /** Rows start .. start + length - 1 of the position table, shape (length, d). */
  public abstract Tensor table(int start, int length);

  /** Adds row pos of the table to x[xo, xo + d) (decoding, no autograd). */
  public void addRow(float[] x, int xo, int pos) {
    Tensor row = table(pos, 1).contiguous(); // P[pos]
    float[] pa = row.storage();
    int po = row.offset();
    for (int i = 0, d = dim(); i < d; i++) x[xo + i] += pa[po + i];
  }

  /** x + P[0 .. S) for x (..., S, d). */
  public final Tensor addTo(Tensor x) {
    return addTo(x, 0);
  }

  /** x + P[start .. start + S) for x (..., S, d): positions continue at start (incremental decoding). */
  public final Tensor addTo(Tensor x, int start) {
    if (x.dim() < 2 || x.size(-1) != dim()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + "(d " + dim()
          + "): input must be (..., S, " + dim() + "), got shape " + Shape.str(x.shape()));
    }
    if (start < 0) throw new IllegalArgumentException("position start must be >= 0, got " + start);
    return x.add(table(start, x.size(-2))); // x[..., s, :] + P[start + s, :]
  }
}
