package lmlab.nn.attention;

import java.util.Arrays;

/**
 * The key/value cache of one attention layer for incremental decoding (layers.md, "KV cache"):
 * keys (already rotated when the layer uses RoPE), stored transposed as (B, n_kv, d_h, slots) so a
 * query's scores over all held keys are d_h vector AXPYs, and values (B, n_kv, slots, d_h).
 *
 * <p>A layer with a windowed mask keeps only the keys a present or future query can still see —
 * {@link AttentionMask#held}: sliding(w) the last floor(w/2) + 1, dilated(window, δ) the last
 * (floor(window/δ) - 1)·δ + 1, block_local the keys of the current block — in a ring of that many
 * slots (position p in slot p mod slots). Causal and custom masks keep every key; their storage
 * doubles as it fills. {@link #bytes()} reports the elements held, exactly: 2·B·n_kv·held·d_h·4.
 */
public final class LayerKvCache {
  private final AttentionMask mask;
  private final int numKvHeads;
  private final int headDim;
  private final boolean ring;
  private int batch = -1;
  private int slots;
  private float[] keys = new float[0];
  private float[] values = new float[0];
  private int seen;
  private final float[][] scratch = new float[4][0];

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

  /** Tokens appended so far: the absolute position of the next token. */
  public int seen() {
    return seen;
  }

  /** Tokens whose keys and values are held now, per sequence. */
  public int tokensHeld() {
    return mask.held(seen);
  }

  /** Bytes of keys and values held: 2 · B · n_kv · held · d_h · 4 (0 before the first token). */
  public long bytes() {
    return batch < 0 ? 0 : 2L * batch * numKvHeads * tokensHeld() * headDim * Float.BYTES;
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
    seen = 0;
  }

  /** Fixes the batch size on the first call; later calls must agree. */
  void ensureBatch(int b) {
    if (batch < 0) {
      batch = b;
      slots = ring ? mask.maxHeld() : 16;
      keys = new float[b * numKvHeads * slots * headDim];
      values = new float[keys.length];
    } else if (b != batch) {
      throw new IllegalArgumentException("KV cache: batch size " + b + " differs from the " + batch
          + " sequences this cache holds (clear() it or make a new one)");
    }
  }

  /**
   * Stores the key and value of token {@link #seen()} for every sequence and head, read from
   * k and v at kOff/vOff + b·bStride + h·d_h, and advances seen. Already-rotated keys expected.
   */
  void append(float[] k, int kOff, float[] v, int vOff, int bStride) {
    int pos = seen;
    if (!ring && pos >= slots) grow(Math.max(pos + 1, 2 * slots));
    int slot = slotOf(pos);
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < numKvHeads; h++) {
        int base = (b * numKvHeads + h) * slots * headDim;
        int src = kOff + b * bStride + h * headDim;
        for (int e = 0; e < headDim; e++) keys[base + e * slots + slot] = k[src + e]; // transposed
        System.arraycopy(v, vOff + b * bStride + h * headDim, values, base + slot * headDim, headDim);
      }
    }
    seen = pos + 1;
  }

  private void grow(int newSlots) {
    float[] nk = new float[batch * numKvHeads * newSlots * headDim];
    float[] nv = new float[nk.length];
    int used = Math.min(seen, slots);
    for (int bh = 0; bh < batch * numKvHeads; bh++) {
      int from = bh * slots * headDim;
      int to = bh * newSlots * headDim;
      for (int e = 0; e < headDim; e++) System.arraycopy(keys, from + e * slots, nk, to + e * newSlots, used);
      System.arraycopy(values, from, nv, to, used * headDim);
    }
    keys = nk;
    values = nv;
    slots = newSlots;
  }

  /** The slot of absolute position p (which must be held). */
  int slotOf(int p) {
    return ring ? p % slots : p;
  }

  /**
   * The absolute position held in slot c (c < {@link #tokensHeld()}): the held positions are the
   * last tokensHeld() ones, in slots [0, tokensHeld()).
   */
  int positionOf(int c) {
    if (!ring) return c;
    int t = seen - 1;
    return t - Math.floorMod(t % slots - c, slots);
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
    return "LayerKvCache[" + mask.spec() + ", seen " + seen + ", held " + tokensHeld() + ", " + bytes() + " bytes"
        + (batch < 0 ? "" : ", storage " + Arrays.toString(new int[] {batch, numKvHeads, slots, headDim})) + "]";
  }
}
