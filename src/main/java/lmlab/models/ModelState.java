package lmlab.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lmlab.nn.StepState;
import lmlab.nn.Workspace;

/**
 * The decoding state of a whole {@link LanguageModel} for a batch of rows: one {@link StepState}
 * per sequence layer (in the order the model runs them), each row's position, and the
 * {@link Workspace} (buffers) its steps reuse. fork, reorder and truncate act on every layer's
 * state and on the positions together.
 */
public final class ModelState implements StepState {
  private final List<StepState> layers;
  private int[] positions;
  private final Workspace workspace = new Workspace();
  /** The buffers of each part of a step whose rows are split over the threads (made on first use). */
  private Workspace[] partWorkspaces = new Workspace[0];

  /** rows rows at position 0 over the given (empty) layer states. */
  public ModelState(List<StepState> layers, int rows) {
    if (rows < 1) throw new IllegalArgumentException("decoding state: rows must be >= 1, got " + rows);
    this.layers = List.copyOf(layers);
    this.positions = new int[rows];
    lmlab.nn.weights.Weights.newDecodingState();
  }

  private ModelState(List<StepState> layers, int[] positions) {
    this.layers = layers;
    this.positions = positions;
  }

  @Override
  public int rows() {
    return positions.length;
  }

  @Override
  public int position(int row) {
    if (row < 0 || row >= positions.length) {
      throw new IllegalArgumentException("decoding state: row " + row + " is not one of the " + positions.length + " rows");
    }
    return positions[row];
  }

  /** The position shared by every row; an error when rows differ. */
  public int position() {
    for (int p : positions) {
      if (p != positions[0]) {
        throw new IllegalStateException("decoding state: rows are at different positions " + Arrays.toString(positions)
            + "; ask position(row)");
      }
    }
    return positions[0];
  }

  /** Moves every row on by tokens (the model calls this after a step). */
  void advance(int tokens) {
    for (int r = 0; r < positions.length; r++) positions[r] += tokens;
  }

  /** The state of sequence layer i. */
  public StepState layer(int i) {
    if (i < 0 || i >= layers.size()) {
      throw new IllegalArgumentException("decoding state: layer " + i + " does not exist (" + layers.size()
          + " sequence layers, 0.." + (layers.size() - 1) + ")");
    }
    return layers.get(i);
  }

  public int numLayers() {
    return layers.size();
  }

  /** The buffers of this state's steps. */
  public Workspace workspace() {
    return workspace;
  }

  /**
   * The buffers of part part of a step whose rows are split over the threads, each part its own;
   * make them all on one thread before the parts run.
   */
  public Workspace workspace(int part) {
    if (part < 0) throw new IllegalArgumentException("decoding state: part " + part + " < 0");
    if (part >= partWorkspaces.length) {
      Workspace[] grown = Arrays.copyOf(partWorkspaces, part + 1);
      for (int i = partWorkspaces.length; i <= part; i++) grown[i] = new Workspace();
      partWorkspaces = grown;
    }
    return partWorkspaces[part];
  }

  @Override
  public ModelState fork() {
    List<StepState> copies = new ArrayList<>(layers.size());
    for (StepState s : layers) copies.add(s.fork());
    return new ModelState(List.copyOf(copies), positions.clone());
  }

  @Override
  public void reorder(int[] rows) {
    StepState.checkRows("decoding state", rows, positions.length);
    for (StepState s : layers) s.reorder(rows);
    int[] p = new int[rows.length];
    for (int i = 0; i < rows.length; i++) p[i] = positions[rows[i]];
    positions = p;
  }

  /** Appends other's rows (a state of the same model) after this state's rows, every layer and position. */
  @Override
  public void join(StepState other) {
    if (!(other instanceof ModelState o) || o.layers.size() != layers.size()) {
      throw new IllegalArgumentException("decoding state: cannot join " + other + " to " + this);
    }
    for (int i = 0; i < layers.size(); i++) layers.get(i).join(o.layers.get(i));
    int n = positions.length;
    positions = Arrays.copyOf(positions, n + o.positions.length);
    System.arraycopy(o.positions, 0, positions, n, o.positions.length);
  }

  @Override
  public void truncate(int length) {
    StepState.checkLength("decoding state", length);
    for (StepState s : layers) s.truncate(length);
    for (int r = 0; r < positions.length; r++) positions[r] = Math.min(positions[r], length);
  }

  @Override
  public void truncate(int row, int length) {
    StepState.checkLength("decoding state", length);
    position(row);
    for (StepState s : layers) s.truncate(row, length);
    positions[row] = Math.min(positions[row], length);
  }

  @Override
  public long bytes() {
    long sum = 0;
    for (StepState s : layers) sum += s.bytes();
    return sum;
  }

  @Override
  public String toString() {
    return "ModelState[rows " + positions.length + ", positions " + Arrays.toString(positions) + ", " + layers.size()
        + " layers, " + bytes() + " bytes]";
  }
}
