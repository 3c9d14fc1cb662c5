package lmlab.lab.arith;

import lmlab.tensor.IntTensor;

/**
 * One part (train or validation) of an {@link ArithmeticDataset}, stored as int tensors: inputs
 * X = seq[:-1] (N, S), targets Y = seq[1:] (N, S), eq_position (N,) (the index of '=' in Y),
 * mask (N, S) (1 where Y is not PAD) and order (N,) (2 or 3). Immutable: the accessors return
 * the stored tensors, which callers must not write.
 */
public final class ArithmeticSplit {
  private final IntTensor inputs;
  private final IntTensor targets;
  private final IntTensor eqPosition;
  private final IntTensor mask;
  private final IntTensor order;
  private final int s; // S = L - 1

  /** From full sequences seq (N, L) row-major. */
  ArithmeticSplit(int[] seq, int[] eqPosition, int[] order, int length, int pad) {
    int n = order.length;
    this.s = length - 1;
    int[] x = new int[n * s];
    int[] y = new int[n * s];
    int[] m = new int[n * s];
    for (int i = 0; i < n; i++) {
      System.arraycopy(seq, i * length, x, i * s, s);
      System.arraycopy(seq, i * length + 1, y, i * s, s);
      for (int j = 0; j < s; j++) m[i * s + j] = y[i * s + j] != pad ? 1 : 0;
    }
    this.inputs = IntTensor.of(x, n, s);
    this.targets = IntTensor.of(y, n, s);
    this.eqPosition = IntTensor.of(eqPosition, n);
    this.mask = IntTensor.of(m, n, s);
    this.order = IntTensor.of(order, n);
  }

  /** N, the number of sequences. */
  public int size() {
    return order.numel();
  }

  /** L, tokens per full sequence (7 or 9); the model sees S = L - 1. */
  public int sequenceLength() {
    return s + 1;
  }

  /** X (N, S). */
  public IntTensor inputs() {
    return inputs;
  }

  /** Y (N, S). */
  public IntTensor targets() {
    return targets;
  }

  /** eq_position (N,). */
  public IntTensor eqPosition() {
    return eqPosition;
  }

  /** mask (N, S): 1 where Y is not PAD. */
  public IntTensor mask() {
    return mask;
  }

  /** order (N,): 2 or 3. */
  public IntTensor orders() {
    return order;
  }

  /** The full sequence i (BOS … EOS, PAD-padded): X[i] followed by the last target. */
  public int[] sequence(int i) {
    int[] out = new int[s + 1];
    System.arraycopy(inputs.storage(), i * s, out, 0, s);
    out[s] = targets.storage()[i * s + s - 1];
    return out;
  }

  /** The order (2 or 3) of sequence i. */
  public int order(int i) {
    return order.storage()[i];
  }

  /** How many sequences of the given order. */
  public int count(int ord) {
    int c = 0;
    for (int o : order.storage()) if (o == ord) c++;
    return c;
  }

  /** Every sequence as one batch (copies). */
  public ArithmeticBatch all() {
    return rows(0, size());
  }

  /** Sequences [from, to) as a batch. */
  public ArithmeticBatch rows(int from, int to) {
    if (from < 0 || to > size() || from > to) {
      throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of a split of " + size());
    }
    int[] idx = new int[to - from];
    for (int i = 0; i < idx.length; i++) idx[i] = from + i;
    return batch(idx);
  }

  /** The sequences at the given indices (repeats allowed), in that order, as a batch. */
  public ArithmeticBatch batch(int[] indices) {
    int b = indices.length;
    int[] xs = inputs.storage();
    int[] ys = targets.storage();
    int[] ms = mask.storage();
    int[] es = eqPosition.storage();
    int[] os = order.storage();
    int[] x = new int[b * s];
    int[] y = new int[b * s];
    int[] m = new int[b * s];
    int[] eq = new int[b];
    int[] ord = new int[b];
    for (int r = 0; r < b; r++) {
      int i = indices[r];
      if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("sequence " + i + " of a split of " + size());
      System.arraycopy(xs, i * s, x, r * s, s);
      System.arraycopy(ys, i * s, y, r * s, s);
      System.arraycopy(ms, i * s, m, r * s, s);
      eq[r] = es[i];
      ord[r] = os[i];
    }
    return new ArithmeticBatch(
        IntTensor.of(x, b, s), IntTensor.of(y, b, s), IntTensor.of(eq, b), IntTensor.of(m, b, s), IntTensor.of(ord, b));
  }
}
