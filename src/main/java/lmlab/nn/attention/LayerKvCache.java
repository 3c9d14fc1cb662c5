package lmlab.nn.attention;

import java.util.Arrays;

/**
 * The key/value cache of one attention layer for incremental decoding (layers.md, "KV cache"):
 * keys (already rotated when the layer uses RoPE) and values, (B, n_kv, slots, d_h) each.
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
        int dst = offset(b, h, slot);
        System.arraycopy(k, kOff + b * bStride + h * headDim, keys, dst, headDim);
        System.arraycopy(v, vOff + b * bStride + h * headDim, values, dst, headDim);
      }
    }
    seen = pos + 1;
  }

  private void grow(int newSlots) {
    float[] nk = new float[batch * numKvHeads * newSlots * headDim];
    float[] nv = new float[nk.length];
    int used = Math.min(seen, slots) * headDim;
    for (int bh = 0; bh < batch * numKvHeads; bh++) {
      System.arraycopy(keys, bh * slots * headDim, nk, bh * newSlots * headDim, used);
      System.arraycopy(values, bh * slots * headDim, nv, bh * newSlots * headDim, used);
    }
    keys = nk;
    values = nv;
    slots = newSlots;
  }

  /** The slot of absolute position p (which must be held). */
  int slotOf(int p) {
    return ring ? p % slots : p;
  }

  /** Start of (b, h, slot) in {@link #keys()} / {@link #values()}. */
  int offset(int b, int h, int slot) {
    return ((b * numKvHeads + h) * slots + slot) * headDim;
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
