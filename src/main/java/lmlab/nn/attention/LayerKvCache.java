package lmlab.nn.attention;

import java.util.Arrays;
import lmlab.nn.StepState;

/**
 * The key/value cache of one attention layer for incremental decoding (layers.md, "KV cache"), the
 * step state of {@link lmlab.nn.MultiHeadAttention}: keys (already rotated when the layer uses
 * RoPE), stored transposed as (rows, n_kv, d_h, slots) so a query's scores over all held keys are
 * d_h vector AXPYs, and values (rows, n_kv, slots, d_h). Every row (sequence) has its own position.
 *
 * <p>A layer with a windowed mask keeps only the keys a present or future query can still see —
 * {@link AttentionMask#held}: sliding(w) the last floor(w/2) + 1, dilated(window, δ) the last
 * (floor(window/δ) - 1)·δ + 1, block_local the keys of the current block — in a ring of that many
 * slots plus {@link #ROLLBACK} (position p in slot p mod slots). Causal and custom masks keep every key; their storage
 * doubles as it fills. {@link #bytes()} reports the elements held, exactly: Σ_rows 2·n_kv·held·d_h·4.
 *
 * <p>{@link #truncate} on a ring works while the keys the shorter prefix needs are still in it
 * (at least {@link #ROLLBACK} tokens back); going back further is an error naming the window.
 */
public final class LayerKvCache implements StepState {
  private final AttentionMask mask;
  private final int numKvHeads;
  private final int headDim;
  private final boolean ring;
  /**
   * Extra ring slots beyond the window, so {@link #truncate} can go back this many tokens on a
   * windowed layer (speculative decoding, a server's rollback) whatever the window's size.
   */
  public static final int ROLLBACK = 32;
  private int batch = -1;
  private int slots;
  private float[] keys = new float[0];
  private float[] values = new float[0];
  /** Position (tokens seen) per row; length 1 before the batch is known. */
  private int[] seen = new int[1];
  private float[] spareKeys = new float[0];
  private float[] spareValues = new float[0];
  private final float[][] scratch = new float[4][0];

  /** An empty cache whose row count is fixed by the first step. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim) {
    if (mask == null) throw new IllegalArgumentException("LayerKvCache: mask is null");
    if (numKvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("LayerKvCache: num_key_value_heads (" + numKvHeads + ") and head_dim ("
          + headDim + ") must be >= 1");
    }
    this.mask = mask;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.ring = mask.maxHeld() != Integer.MAX_VALUE;
  }

  /** An empty cache for rows rows, all at position 0. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim, int rows) {
    this(mask, numKvHeads, headDim);
    if (rows < 1) throw new IllegalArgumentException("LayerKvCache: rows must be >= 1, got " + rows);
    ensureBatch(rows);
  }

  /** Tokens appended so far, the absolute position of the next token, when every row is at the same one. */
  public int seen() {
    int p = seen[0];
    for (int r = 1; r < seen.length; r++) {
      if (seen[r] != p) {
        throw new IllegalStateException("LayerKvCache: rows are at different positions (" + Arrays.toString(seen)
            + "); ask position(row)");
      }
    }
    return p;
  }

  @Override
  public int position(int row) {
    if (row < 0 || row >= Math.max(batch, 1)) {
      throw new IllegalArgumentException("LayerKvCache: row " + row + " is not one of the " + Math.max(batch, 0) + " rows");
    }
    return seen[row];
  }

  @Override
  public int rows() {
    return Math.max(batch, 0);
  }

  /** Tokens whose keys and values are held now, per sequence (all rows at one position). */
  public int tokensHeld() {
    return mask.held(seen());
  }

  /** Tokens whose keys and values row holds now. */
  public int tokensHeld(int row) {
    return mask.held(position(row));
  }

  /** Bytes of keys and values held: Σ over rows of 2 · n_kv · held · d_h · 4 (0 before the first token). */
  @Override
  public long bytes() {
    if (batch < 0) return 0;
    long sum = 0;
    for (int r = 0; r < batch; r++) sum += mask.held(seen[r]);
    return 2L * sum * numKvHeads * headDim * Float.BYTES;
  }

  /** The batch size, or -1 before the first token. */
  public int batch() {
    return batch;
  }

  public AttentionMask mask() {
    return mask;
  }

  public int numKvHeads() {
    return numKvHeads;
  }

  public int headDim() {
    return headDim;
  }

  /** Forgets every token (the next one is position 0 again); keeps the storage. */
  public void clear() {
    Arrays.fill(seen, 0);
  }

  /** Fixes the row count on the first call (a cache made without one); later calls must agree. */
  public void ensureBatch(int b) {
    if (batch < 0) {
      batch = b;
      slots = ring ? mask.maxHeld() + ROLLBACK : 16;
      keys = new float[b * numKvHeads * slots * headDim];
      values = new float[keys.length];
      seen = new int[b];
    } else if (b != batch) {
      throw new IllegalArgumentException("KV cache: batch size " + b + " differs from the " + batch
          + " sequences this cache holds (clear() it or make a new one)");
    }
  }

  @Override
  public LayerKvCache fork() {
    LayerKvCache c = new LayerKvCache(mask, numKvHeads, headDim);
    c.batch = batch;
    c.slots = slots;
    c.keys = keys.clone();
    c.values = values.clone();
    c.seen = seen.clone();
    return c;
  }

  /**
   * Row i becomes old row rows[i]. Only the slots a row uses are copied (its positions so far; the
   * whole ring when windowed). When no row that is read is also overwritten (beam search places a
   * hypothesis's first continuation in its parent's row), the rows that change are copied in place
   * and the others are not touched; otherwise the rows go through a second buffer.
   */
  @Override
  public void reorder(int[] rows) {
    StepState.checkRows("LayerKvCache", rows, Math.max(batch, 0));
    int[] pos = new int[rows.length];
    for (int i = 0; i < rows.length; i++) pos[i] = seen[rows[i]];
    if (rows.length <= batch && inPlace(rows)) {
      for (int i = 0; i < rows.length; i++) if (rows[i] != i) copyRow(keys, values, rows[i], keys, values, i);
    } else {
      int n = rows.length * numKvHeads * slots * headDim;
      if (spareKeys.length != n) {
        spareKeys = new float[n];
        spareValues = new float[n];
      }
      for (int i = 0; i < rows.length; i++) copyRow(keys, values, rows[i], spareKeys, spareValues, i);
      float[] k = keys;
      float[] v = values;
      keys = spareKeys;
      values = spareValues;
      spareKeys = k;
      spareValues = v;
    }
    seen = pos;
    batch = rows.length;
  }

  /** True when every row read by the reorder keeps its place: no source row is overwritten. */
  private static boolean inPlace(int[] rows) {
    for (int i = 0; i < rows.length; i++) {
      int src = rows[i];
      if (src != i && src < rows.length && rows[src] != src) return false;
    }
    return true;
  }

  /** Copies the used slots of row from into row to (keys transposed: d_h runs of slots per head). */
  private void copyRow(float[] fromK, float[] fromV, int from, float[] toK, float[] toV, int to) {
    int used = ring ? slots : Math.min(slots, seen[from]);
    if (used == 0) return;
    int per = numKvHeads * slots * headDim;
    int src = from * per;
    int dst = to * per;
    for (int h = 0; h < numKvHeads; h++) {
      int hb = h * slots * headDim;
      for (int e = 0; e < headDim; e++) System.arraycopy(fromK, src + hb + e * slots, toK, dst + hb + e * slots, used);
      System.arraycopy(fromV, src + hb, toV, dst + hb, used * headDim);
    }
  }

  @Override
  public void truncate(int row, int length) {
    StepState.checkLength("LayerKvCache", length);
    position(row);
    if (seen[row] <= length) return;
    // a ring keeps positions [seen - slots, seen); the prefix needs [length - held(length), length)
    if (ring && mask.held(length) > 0 && length - mask.held(length) < seen[row] - slots) {
      throw new IllegalArgumentException("KV cache (" + mask.spec() + "): row " + row + " at position " + seen[row]
          + " keeps only its last " + slots + " keys; truncating to " + length + " needs keys from position "
          + (length - mask.held(length)) + " (a windowed cache goes back at most " + ROLLBACK + " tokens)");
    }
    seen[row] = length;
  }

  /** Stores the key and value of row's next token (position(row)), read at kOff and vOff, and advances it. */
  void appendRow(int row, float[] k, int kOff, float[] v, int vOff) {
    int pos = seen[row];
    if (!ring && pos >= slots) grow(Math.max(pos + 1, 2 * slots));
    int slot = ring ? pos % slots : pos;
    for (int h = 0; h < numKvHeads; h++) {
      int base = (row * numKvHeads + h) * slots * headDim;
      int src = kOff + h * headDim;
      for (int e = 0; e < headDim; e++) keys[base + e * slots + slot] = k[src + e]; // transposed
      System.arraycopy(v, vOff + h * headDim, values, base + slot * headDim, headDim);
    }
    seen[row] = pos + 1;
  }

  private void grow(int newSlots) {
    float[] nk = new float[batch * numKvHeads * newSlots * headDim];
    float[] nv = new float[nk.length];
    int used = slots;
    for (int bh = 0; bh < batch * numKvHeads; bh++) {
      int from = bh * slots * headDim;
      int to = bh * newSlots * headDim;
      for (int e = 0; e < headDim; e++) System.arraycopy(keys, from + e * slots, nk, to + e * newSlots, used);
      System.arraycopy(values, from, nv, to, used * headDim);
    }
    keys = nk;
    values = nv;
    slots = newSlots;
    spareKeys = new float[0];
    spareValues = new float[0];
  }

  /** The slot of absolute position p (which must be held). */
  int slotOf(int p) {
    return ring ? p % slots : p;
  }

  /** Slots per (sequence, head): the row stride of {@link #keys()}, the row count of {@link #values()}. */
  int slots() {
    return slots;
  }

  /** Start of (b, h) in {@link #keys()} (d_h rows of {@link #slots()}: keys transposed) and {@link #values()} (slots rows of d_h). */
  int base(int b, int h) {
    return (b * numKvHeads + h) * slots * headDim;
  }

  /** A reusable work buffer (slot i) of at least n floats, for the decoding step. */
  float[] scratch(int i, int n) {
    if (scratch[i].length < n) scratch[i] = new float[n];
    return scratch[i];
  }

  float[] keys() {
    return keys;
  }

  float[] values() {
    return values;
  }

  @Override
  public String toString() {
    return "LayerKvCache[" + mask.spec() + ", positions " + Arrays.toString(batch < 0 ? new int[0] : seen) + ", "
        + bytes() + " bytes" + (batch < 0 ? "" : ", storage " + Arrays.toString(new int[] {batch, numKvHeads, slots,
        headDim})) + "]";
  }
}
