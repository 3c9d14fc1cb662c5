package lmlab.decode;

import lmlab.models.LanguageModel;
import lmlab.models.ModelState;
import lmlab.nn.StepState;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * The decode driver: a {@link LanguageModel} and its decoding state ({@link ModelState}: one state
 * per sequence layer, a position per row). Each call steps the model's own layers on new tokens
 * ({@link LanguageModel#step}); there is no second copy of the model and no other path. The rows
 * (sequences) are fixed by the first call, or by {@link #Decoder(LanguageModel, int)}.
 *
 * <p>{@link #fork()}, {@link #reorder(int[])} and {@link #truncate(int)} are the state's, for beam
 * search (reorder the hypotheses' rows, repeats allowed) and for servers (rows that join or leave).
 */
public class Decoder {
  private final LanguageModel model;
  private ModelState state;
  /** After {@link #clear()}: the next call may bring another row count. */
  private boolean cleared;
  /** The one token of {@link #appendToken}, reused. */
  private final int[] one = new int[1];

  /** A decoder whose rows are fixed by the first call. */
  public Decoder(LanguageModel model) {
    if (model == null) throw new IllegalArgumentException("Decoder: model is null");
    this.model = model;
  }

  /** A decoder of rows sequences at position 0 (the model's state is made now: a layer that cannot step fails here). */
  public Decoder(LanguageModel model, int rows) {
    this(model);
    this.state = model.newState(rows);
  }

  protected Decoder(LanguageModel model, ModelState state) {
    this.model = model;
    this.state = state;
  }

  /**
   * The state, made for rows rows on first use; a later call with another row count is an error,
   * except after {@link #clear()}: the cleared state is then made rows copies of its first row (all
   * at position 0), so its storage (KV pages, buffers) serves the next run whatever its width.
   */
  protected ModelState state(int rows) {
    if (state == null) state = model.newState(rows);
    else if (cleared && state.rows() != rows) state.reorder(new int[rows]);
    cleared = false;
    if (state.rows() != rows) {
      throw new IllegalArgumentException("decoder: batch size " + rows + " differs from the " + state.rows()
          + " sequences this decoder holds (clear() it or make a new one)");
    }
    return state;
  }

  /**
   * Feeds new tokens (B, T) at every row's next positions and returns their logits (B, T, V),
   * equal to the full forward pass's at those positions. B must stay the same from call to call.
   */
  public Tensor append(IntTensor tokens) {
    if (tokens == null || tokens.dim() != 2 || tokens.size(0) < 1 || tokens.size(1) < 1) {
      throw new IllegalArgumentException("decoder: tokens must be (B, T) with B, T >= 1, got "
          + (tokens == null ? "null" : "shape " + lmlab.tensor.Shape.str(tokens.shape())));
    }
    int b = tokens.size(0);
    int t = tokens.size(1);
    int v = model.vocabSize();
    float[] logits = model.step(state(b), tokens.toArray(), t);
    return Tensor.of(java.util.Arrays.copyOf(logits, b * t * v), b, t, v);
  }

  /**
   * Feeds one token of a single sequence (B = 1) and returns its logits (V): the step of greedy
   * search, allocation-free. The array is the state's buffer (possibly longer than V), reused by
   * the next call: copy what must outlive it.
   */
  public float[] appendToken(int token) {
    one[0] = token;
    return step(one, 1);
  }

  /**
   * Feeds tokensPerRow tokens to every row (tokens row-major, rows × tokensPerRow) and returns the
   * logits (rows, tokensPerRow, V) in the state's buffer (possibly longer; valid until the next call).
   */
  public float[] step(int[] tokens, int tokensPerRow) {
    if (tokensPerRow < 1 || tokens == null || tokens.length % tokensPerRow != 0) {
      throw new IllegalArgumentException("decoder: need rows x " + tokensPerRow + " token ids, got "
          + (tokens == null ? "null" : tokens.length));
    }
    return model.step(state(tokens.length / tokensPerRow), tokens, tokensPerRow);
  }

  /** Tokens fed so far, the absolute position of the next token, when every row is at the same one (0 before any). */
  public int seen() {
    return state == null ? 0 : state.position();
  }

  /** Row's position. */
  public int position(int row) {
    if (state == null) throw new IllegalStateException("decoder: no rows yet (nothing fed)");
    return state.position(row);
  }

  /** Rows held (0 before the first call). */
  public int rows() {
    return state == null ? 0 : state.rows();
  }

  /** Bytes of decoding state held over all layers (exact). */
  public long bytes() {
    return state == null ? 0 : state.bytes();
  }

  /** The model's decoding state (null before the first call). */
  public ModelState state() {
    return state;
  }

  /** An independent decoder continuing from the same state. */
  public Decoder fork() {
    return new Decoder(model, requireState().fork());
  }

  /** Row i becomes row rows[i] (repeats allowed; the row count may change). */
  public void reorder(int[] rows) {
    requireState().reorder(rows);
  }

  /** Every row forgets its tokens from position length on. */
  public void truncate(int length) {
    requireState().truncate(length);
  }

  /**
   * Forgets every token (the next call starts at position 0); the storage is kept for reuse, and
   * the next call may bring another row count. The state is not new, so copies the decoding
   * kernels keep of the weights are not checked again: weights changed in place since this
   * decoder's first step need a new decoder.
   */
  public void clear() {
    if (state != null) state.truncate(0);
    cleared = true;
  }

  protected ModelState requireState() {
    if (state == null) throw new IllegalStateException("decoder: no rows yet (nothing fed)");
    return state;
  }

  public LanguageModel languageModel() {
    return model;
  }

  /** The state of sequence layer i (made for the current rows). */
  public StepState layerState(int i) {
    return requireState().layer(i);
  }
}
