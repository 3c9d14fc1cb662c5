package lmlab.nn.mixers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lmlab.nn.StepState;
import lmlab.tensor.Tensor;

/**
 * The decoding state of one linear-time mixer layer ({@link MixerState}'s tensors: GLA's S,
 * ReGLA's S and key maximum, Mamba-2's conv window and SSM state) with a position per row, as the
 * decode driver, beam search and a batching server use it ({@link StepState}). Its size does not
 * depend on how many tokens were read.
 *
 * <p>{@link #truncate(int, int)}: a recurrent state folds every token into itself and cannot be
 * undone, and keeping a snapshot per position would make it grow with the context. So a row can
 * go back only to 0 (its state is zeroed: a new sequence, the way a server admits one) or stay
 * where it is; any other length is an error that says to keep a {@link #fork()} instead.
 */
public final class MixerStepState implements StepState {
  private final String who;
  private MixerState value;
  private int[] positions;

  /** rows rows at position 0 over the zero state value (contiguous tensors, rows first). */
  MixerStepState(String who, MixerState value) {
    this.who = who;
    this.value = contiguous(value);
    this.positions = new int[value.rows()];
  }

  private MixerStepState(String who, MixerState value, int[] positions) {
    this.who = who;
    this.value = value;
    this.positions = positions;
  }

  private static MixerState contiguous(MixerState s) {
    List<Tensor> ts = new ArrayList<>();
    for (Tensor t : s.tensors()) {
      Tensor c = t.detach().contiguous();
      ts.add(c.offset() == 0 && c.storage().length == c.numel() ? c : c.copy());
    }
    return s.with(ts);
  }

  /** The state's tensors as {@link MixerState} (contiguous, offset 0; steps update them in place). */
  public MixerState value() {
    return value;
  }

  /** Tensor i's storage, (rows, ...) row-major: what a step reads and writes. */
  float[] array(int i) {
    return value.tensors().get(i).storage();
  }

  /** Every row moves on by tokens (the mixer's step calls this). */
  void advance(int tokens) {
    for (int r = 0; r < positions.length; r++) positions[r] += tokens;
  }

  @Override
  public int rows() {
    return positions.length;
  }

  @Override
  public int position(int row) {
    if (row < 0 || row >= positions.length) {
      throw new IllegalArgumentException(who + " state: row " + row + " is not one of the " + positions.length + " rows");
    }
    return positions[row];
  }

  @Override
  public MixerStepState fork() {
    return new MixerStepState(who, contiguous(value.fork()), positions.clone());
  }

  @Override
  public void reorder(int[] rows) {
    StepState.checkRows(who + " state", rows, positions.length);
    value = contiguous(value.reorder(rows));
    int[] p = new int[rows.length];
    for (int i = 0; i < rows.length; i++) p[i] = positions[rows[i]];
    positions = p;
  }

  /** Appends other's rows: each tensor (rows, ...) is concatenated along the rows. */
  @Override
  public void join(StepState other) {
    if (!(other instanceof MixerStepState o) || o.value.tensors().size() != value.tensors().size()) {
      throw new IllegalArgumentException(who + " state: cannot join " + other);
    }
    List<Tensor> ts = new ArrayList<>();
    for (int i = 0; i < value.tensors().size(); i++) {
      Tensor a = value.tensors().get(i);
      Tensor b = o.value.tensors().get(i);
      int[] shape = a.shape().clone();
      int[] bs = b.shape();
      if (shape.length != bs.length || !Arrays.equals(Arrays.copyOfRange(shape, 1, shape.length), Arrays.copyOfRange(bs, 1, bs.length))) {
        throw new IllegalArgumentException(who + " state: cannot join rows of shape " + Arrays.toString(bs) + " to "
            + Arrays.toString(shape));
      }
      float[] joined = Arrays.copyOf(a.storage(), (int) (a.numel() + b.numel()));
      System.arraycopy(b.storage(), 0, joined, (int) a.numel(), (int) b.numel());
      shape[0] += bs[0];
      ts.add(Tensor.of(joined, shape));
    }
    value = value.with(ts);
    int n = positions.length;
    positions = Arrays.copyOf(positions, n + o.positions.length);
    System.arraycopy(o.positions, 0, positions, n, o.positions.length);
  }

  /** Back to 0 (the row's state is zeroed) or no change; any other length is refused (see the class comment). */
  @Override
  public void truncate(int row, int length) {
    StepState.checkLength(who + " state", length);
    int at = position(row);
    if (length >= at) return;
    if (length != 0) {
      throw new IllegalArgumentException(who + " state: row " + row + " is at position " + at + " and cannot go back to "
          + length + ": a recurrent state folds every token in and keeps no history (only going back to 0, a new"
          + " sequence, is possible); keep a fork() of the state at position " + length + " instead");
    }
    for (Tensor t : value.tensors()) {
      int per = (int) (t.numel() / positions.length);
      Arrays.fill(t.storage(), row * per, (row + 1) * per, 0f);
    }
    positions[row] = 0;
  }

  @Override
  public long bytes() {
    return value.bytes();
  }

  @Override
  public String toString() {
    return who + " state[rows " + positions.length + ", positions " + Arrays.toString(positions) + ", " + bytes()
        + " bytes]";
  }
}
