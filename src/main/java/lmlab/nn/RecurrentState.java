package lmlab.nn;

import java.util.Arrays;

/**
 * The step state of a stack of L recurrent layers ({@link LSTM}: (h, c) per layer; {@link RNN}: h)
 * for a batch of rows, each at its own position. Each row keeps the state after every token it has
 * read (a snapshot of L × (h, c) per position, snapshot 0 the zero state), so {@link #truncate}
 * goes back exactly: a recurrence cannot be undone, only remembered. A step reads the snapshot at
 * the row's position and writes the next one, so the history costs no copy.
 */
public final class RecurrentState implements StepState {
  private final int layers;
  private final int hidden;
  private final boolean cell;
  /** Floats per snapshot: L · d_h (· 2 with c). */
  private final int snap;
  private float[][] history;
  private int[] positions;

  /** rows zero states of layers layers of width hidden, with a cell state c when cell (LSTM). */
  public RecurrentState(int rows, int layers, int hidden, boolean cell) {
    if (rows < 1) throw new IllegalArgumentException("RecurrentState: rows must be >= 1, got " + rows);
    this.layers = layers;
    this.hidden = hidden;
    this.cell = cell;
    this.snap = layers * hidden * (cell ? 2 : 1);
    this.history = new float[rows][snap * 16];
    this.positions = new int[rows];
  }

  private RecurrentState(RecurrentState o, float[][] history, int[] positions) {
    this.layers = o.layers;
    this.hidden = o.hidden;
    this.cell = o.cell;
    this.snap = o.snap;
    this.history = history;
    this.positions = positions;
  }

  @Override
  public int rows() {
    return positions.length;
  }

  @Override
  public int position(int row) {
    if (row < 0 || row >= positions.length) {
      throw new IllegalArgumentException("RecurrentState: row " + row + " is not one of the " + positions.length + " rows");
    }
    return positions[row];
  }

  /** The array holding row's snapshots (valid until the next {@link #ensureNext}). */
  float[] history(int row) {
    return history[row];
  }

  /** Offset of layer l's h in the row's current snapshot (its c follows at + d_h). */
  int current(int row, int layer) {
    return positions[row] * snap + layer * hidden * (cell ? 2 : 1);
  }

  /** Offset of layer l's h in the row's next snapshot, which this makes room for. */
  int next(int row, int layer) {
    int need = (positions[row] + 2) * snap;
    if (history[row].length < need) history[row] = Arrays.copyOf(history[row], Math.max(need, 2 * history[row].length));
    return (positions[row] + 1) * snap + layer * hidden * (cell ? 2 : 1);
  }

  /** Every row moves on by one token. */
  void advance() {
    for (int r = 0; r < positions.length; r++) positions[r]++;
  }

  public int numLayers() {
    return layers;
  }

  public int hiddenSize() {
    return hidden;
  }

  /** Layer l's current h (or c with cellState) of row, a copy (d_h). */
  public float[] state(int row, int layer, boolean cellState) {
    if (cellState && !cell) throw new IllegalArgumentException("RecurrentState: this recurrence has no cell state c");
    int o = current(row, layer) + (cellState ? hidden : 0);
    return Arrays.copyOfRange(history[row], o, o + hidden);
  }

  @Override
  public RecurrentState fork() {
    float[][] h = new float[history.length][];
    for (int r = 0; r < h.length; r++) h[r] = history[r].clone();
    return new RecurrentState(this, h, positions.clone());
  }

  @Override
  public void reorder(int[] rows) {
    StepState.checkRows("RecurrentState", rows, positions.length);
    float[][] h = new float[rows.length][];
    boolean[] used = new boolean[history.length];
    int[] p = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      h[i] = used[r] ? history[r].clone() : history[r]; // a repeated row gets its own copy to write into
      used[r] = true;
      p[i] = positions[r];
    }
    history = h;
    positions = p;
  }

  @Override
  public void join(StepState other) {
    if (!(other instanceof RecurrentState o) || o.layers != layers || o.hidden != hidden || o.cell != cell) {
      throw new IllegalArgumentException("RecurrentState: cannot join " + other + " to " + this);
    }
    int n = positions.length;
    history = Arrays.copyOf(history, n + o.positions.length);
    positions = Arrays.copyOf(positions, n + o.positions.length);
    for (int r = 0; r < o.positions.length; r++) {
      history[n + r] = o.history[r].clone();
      positions[n + r] = o.positions[r];
    }
  }

  @Override
  public void truncate(int row, int length) {
    StepState.checkLength("RecurrentState", length);
    positions[row] = Math.min(position(row), length);
  }

  /** Bytes held: every row's snapshots up to its position (the current state and its history), float32. */
  @Override
  public long bytes() {
    long sum = 0;
    for (int p : positions) sum += (long) (p + 1) * snap * Float.BYTES;
    return sum;
  }

  @Override
  public String toString() {
    return "RecurrentState[" + layers + " layers x " + (cell ? "(h, c)" : "h") + " of " + hidden + ", positions "
        + Arrays.toString(positions) + "]";
  }
}
