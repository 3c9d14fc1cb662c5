package lmlab.nn.attention;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Aligned;
import lmlab.kernels.Bf16;
import lmlab.nn.StepState;

/**
 * The key/value cache of one attention layer for incremental decoding (layers.md, "KV cache"), the
 * step state of {@link lmlab.nn.MultiHeadAttention}. Every row (sequence) has its own position.
 *
 * <p>Storage is paged, as vLLM's PagedAttention and llama.cpp's shared sequence cells: a pool of
 * pages of {@link #PAGE} slots, each holding keys (already rotated when the layer uses RoPE)
 * transposed as (n_kv, d_h, PAGE), so a query's scores over a page are d_h vector AXPYs, and
 * values as (n_kv, PAGE, d_h). A row is a table of pages, its slot s in page table[s / PAGE].
 * Pages are reference-counted: {@link #reorder} (beam search) and {@link #fork} of rows share
 * their pages and copy only the page tables; a row that writes into a page another row still
 * reads first copies that page's used slots (copy on write). So a beam step copies at most one
 * partly filled page per hypothesis that left its parent, never whole caches.
 *
 * <p>A layer with a windowed mask keeps only the keys a present or future query can still see —
 * {@link AttentionMask#held}: sliding(w) the last floor(w/2) + 1, dilated(window, δ) the last
 * (floor(window/δ) - 1)·δ + 1, block_local the keys of the current block — in a ring of that many
 * slots plus {@link #ROLLBACK} (position p in slot p mod slots; the last page partly used).
 * Causal and custom masks keep every key; a row takes a new page as it fills one.
 * {@link #bytes()} reports the elements each row holds, exactly: Σ_rows 2·n_kv·held·d_h·b, b the
 * bytes of the cache's {@link KvFormat} (rows that share pages count them each).
 *
 * <p>A bf16 cache ({@link KvFormat#BF16}) has the same pages in short arrays, each key rounded to
 * bfloat16 as it is appended. Its key rows (PAGE slots) and value rows (d_h elements) are stored in
 * blocks of {@link #BLOCK} = 2L elements (L the lanes of a float vector), interleaved: element j &lt;
 * L of a block at 2j, element L + j at 2j + 1 ({@link #interleaved}). A load of one block read as L
 * ints then widens without moving lanes: each int's low half shifted up is element j, its high half
 * masked is element L + j (llama.cpp's q4 blocks split their nibbles the same way). Elements past
 * the last whole block of a row are stored in order.
 *
 * <p>{@link #truncate} on a ring works while the keys the shorter prefix needs are still in it
 * (at least {@link #ROLLBACK} tokens back); going back further is an error naming the window.
 */
public final class LayerKvCache implements StepState {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  private final AttentionMask mask;
  private final int numKvHeads;
  private final int headDim;
  private final boolean ring;
  /**
   * Extra ring slots beyond the window, so {@link #truncate} can go back this many tokens on a
   * windowed layer (speculative decoding, a server's rollback) whatever the window's size.
   */
  public static final int ROLLBACK = 32;
  /** Slots per page: the unit rows share and copy on write. */
  public static final int PAGE = 32;
  /** Elements of a bf16 block: two float vectors' lanes (see the class comment). */
  static final int BLOCK = 2 * L;
  /** Elements of one page's keys (and of its values): n_kv · d_h · PAGE. */
  private final int pageElements;
  private final KvFormat format;
  private int batch = -1;
  /** Ring slots per row (its last page partly used); unused when the cache grows. */
  private int slots;
  /**
   * The page pool: page p's keys at keysAt + p · pageElements of keys, its values at valuesAt + p ·
   * pageElements of values, where keysAt and valuesAt are each array's first cache-line-aligned
   * float ({@link Aligned}): a page's key rows (PAGE floats) and value rows (d_h floats, when a
   * multiple of the vector width) then start on lines, so attention's vector loads straddle none.
   * Each offset is read once, when its array is made: the collector may move the array later,
   * which changes its alignment but never where its data is.
   */
  private float[] keys = new float[0];
  private float[] values = new float[0];
  /** The pool of a bf16 cache, laid out as keys and values (in elements), blocks interleaved; keys/values stay empty. */
  private short[] keys16 = new short[0];
  private short[] values16 = new short[0];
  private int keysAt, valuesAt;
  /** Rows whose tables hold each page (0: free). */
  private int[] refs = new int[0];
  private int[] free = new int[0];
  private int freeCount;
  /** Per row: its pages in slot order, and how many of the table's entries are in use. */
  private int[][] table = new int[0][];
  private int[] pages = new int[0];
  /** Position (tokens seen) per row; length 1 before the batch is known. */
  private int[] seen = new int[1];
  /**
   * Per row, set by {@link #reserve} for {@link #append}: the page its next token goes to, and the
   * shared page whose first slots append copies there first (-1: none) with how many.
   */
  private int[] target = new int[0];
  private int[] copyFrom = new int[0];
  private int[] copyUsed = new int[0];
  /** Work buffers of the decoding step, one set per worker part. */
  private Decoding.Scratch[] scratch = new Decoding.Scratch[0];

  /** An empty float32 cache whose row count is fixed by the first step. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim) {
    this(mask, numKvHeads, headDim, KvFormat.F32);
  }

  /** An empty cache in format whose row count is fixed by the first step. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim, KvFormat format) {
    if (mask == null) throw new IllegalArgumentException("LayerKvCache: mask is null");
    if (format == null) throw new IllegalArgumentException("LayerKvCache: format is null");
    if (numKvHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("LayerKvCache: num_key_value_heads (" + numKvHeads + ") and head_dim ("
          + headDim + ") must be >= 1");
    }
    this.mask = mask;
    this.numKvHeads = numKvHeads;
    this.headDim = headDim;
    this.ring = mask.maxHeld() != Integer.MAX_VALUE;
    this.pageElements = numKvHeads * headDim * PAGE;
    this.format = format;
  }

  /** An empty float32 cache for rows rows, all at position 0. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim, int rows) {
    this(mask, numKvHeads, headDim, KvFormat.F32, rows);
  }

  /** An empty cache in format for rows rows, all at position 0. */
  public LayerKvCache(AttentionMask mask, int numKvHeads, int headDim, KvFormat format, int rows) {
    this(mask, numKvHeads, headDim, format);
    if (rows < 1) throw new IllegalArgumentException("LayerKvCache: rows must be >= 1, got " + rows);
    ensureBatch(rows);
  }

  /** How keys and values are stored. */
  public KvFormat format() {
    return format;
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

  /** Bytes of keys and values held: Σ over rows of 2 · n_kv · held · d_h · (4 or 2) (0 before the first token). */
  @Override
  public long bytes() {
    if (batch < 0) return 0;
    long sum = 0;
    for (int r = 0; r < batch; r++) sum += mask.held(seen[r]);
    return 2L * sum * numKvHeads * headDim * format.bytes();
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
      slots = ring ? mask.maxHeld() + ROLLBACK : 0;
      table = new int[b][];
      for (int r = 0; r < b; r++) table[r] = new int[4];
      pages = new int[b];
      seen = new int[b];
    } else if (b != batch) {
      throw new IllegalArgumentException("KV cache: batch size " + b + " differs from the " + batch
          + " sequences this cache holds (clear() it or make a new one)");
    }
  }

  /** Whether any two rows hold a page together (a beam's hypotheses after a reorder, or a fork's rows). */
  public boolean sharesPages() {
    for (int r = 0; r < Math.max(batch, 0); r++) {
      for (int k = 0; k < pages[r]; k++) if (refs[table[r][k]] > 1) return true;
    }
    return false;
  }

  /**
   * Makes ready a one-token step of every row split over threads parts ({@link #window}): the
   * pages of the rows' next slots reserved and a scratch per part, here on the calling thread, so
   * the parts' appends only write pages of their own rows.
   */
  public void prepareRows(int rows, int parts) {
    ensureBatch(rows);
    for (int i = 0; i < parts; i++) scratch(i);
    for (int b = 0; b < rows; b++) reserve(b);
  }

  /**
   * Rows [from, to) as a state of their own for one step made ready by {@link #prepareRows}, whose
   * attention uses scratch scratch: the state of one part of a step whose rows are split over the
   * threads.
   */
  public RowWindow window(int from, int to, int scratch) {
    if (from < 0 || to > rows() || from >= to) {
      throw new IllegalArgumentException("LayerKvCache: rows [" + from + ", " + to + ") are not a window of " + rows());
    }
    return new RowWindow(this, from, to, scratch);
  }

  @Override
  public LayerKvCache fork() {
    LayerKvCache c = new LayerKvCache(mask, numKvHeads, headDim, format);
    c.batch = batch;
    c.slots = slots;
    if (format == KvFormat.BF16) {
      c.keys16 = new short[keys16.length];
      c.keysAt = Aligned.offset(c.keys16);
      System.arraycopy(keys16, keysAt, c.keys16, c.keysAt, refs.length * pageElements);
      c.values16 = new short[values16.length];
      c.valuesAt = Aligned.offset(c.values16);
      System.arraycopy(values16, valuesAt, c.values16, c.valuesAt, refs.length * pageElements);
    } else {
      c.keys = new float[keys.length];
      c.keysAt = Aligned.offset(c.keys);
      System.arraycopy(keys, keysAt, c.keys, c.keysAt, refs.length * pageElements);
      c.values = new float[values.length];
      c.valuesAt = Aligned.offset(c.values);
      System.arraycopy(values, valuesAt, c.values, c.valuesAt, refs.length * pageElements);
    }
    c.refs = refs.clone();
    c.free = free.clone();
    c.freeCount = freeCount;
    c.table = new int[table.length][];
    for (int r = 0; r < table.length; r++) c.table[r] = table[r].clone();
    c.pages = pages.clone();
    c.seen = seen.clone();
    return c;
  }

  /**
   * Row i becomes old row rows[i] (repeats allowed; the row count may change). Rows share their
   * pages: only the page tables are copied, and a page is copied later only if a row writes into it
   * while another still reads it.
   */
  @Override
  public void reorder(int[] rows) {
    StepState.checkRows("LayerKvCache", rows, Math.max(batch, 0));
    int[][] t = new int[rows.length][];
    int[] n = new int[rows.length];
    int[] pos = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int src = rows[i];
      t[i] = Arrays.copyOf(table[src], Math.max(4, table[src].length));
      n[i] = pages[src];
      pos[i] = seen[src];
      for (int k = 0; k < n[i]; k++) refs[t[i][k]]++;
    }
    for (int r = 0; r < batch; r++) for (int k = 0; k < pages[r]; k++) release(table[r][k]);
    Arrays.fill(copyFrom, -1); // (none is pending between steps)
    table = t;
    pages = n;
    seen = pos;
    batch = rows.length;
  }

  /**
   * Appends other's rows (same layer): their pages are copied into this cache's pool, so the two
   * caches stay independent. A server's admission of a sequence prefilled in a cache of its own.
   */
  @Override
  public void join(StepState other) {
    if (!(other instanceof LayerKvCache o) || o.numKvHeads != numKvHeads || o.headDim != headDim
        || !o.mask.spec().equals(mask.spec()) || o.format != format) {
      throw new IllegalArgumentException("LayerKvCache: cannot join " + other + " to " + this);
    }
    if (o.batch < 0) throw new IllegalArgumentException("LayerKvCache: cannot join a cache that has no rows yet");
    if (batch < 0) ensureBatch(0);
    int n = batch;
    int add = o.batch;
    table = Arrays.copyOf(table, n + add);
    pages = Arrays.copyOf(pages, n + add);
    seen = Arrays.copyOf(seen, n + add);
    for (int r = 0; r < add; r++) {
      int[] t = new int[Math.max(4, o.pages[r])];
      for (int k = 0; k < o.pages[r]; k++) {
        int p = allocate();
        if (format == KvFormat.BF16) {
          System.arraycopy(o.keys16, o.keyBase(o.table[r][k], 0), keys16, keyBase(p, 0), pageElements);
          System.arraycopy(o.values16, o.valueBase(o.table[r][k], 0), values16, valueBase(p, 0), pageElements);
        } else {
          System.arraycopy(o.keys, o.keyBase(o.table[r][k], 0), keys, keyBase(p, 0), pageElements);
          System.arraycopy(o.values, o.valueBase(o.table[r][k], 0), values, valueBase(p, 0), pageElements);
        }
        t[k] = p;
      }
      table[n + r] = t;
      pages[n + r] = o.pages[r];
      seen[n + r] = o.seen[r];
    }
    batch = n + add;
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
    if (!ring) { // pages past the kept positions go back to the pool
      int keep = (length + PAGE - 1) / PAGE;
      for (int k = keep; k < pages[row]; k++) release(table[row][k]);
      pages[row] = Math.min(pages[row], keep);
    }
  }

  /** Stores the key and value of row's next token (position(row)), read at kOff and vOff, and advances it. */
  void appendRow(int row, float[] k, int kOff, float[] v, int vOff) {
    reserve(row);
    append(row, k, kOff, v, vOff);
  }

  /**
   * The first half of {@link #appendRow}: makes row's next slot writable — a new page, or for a
   * page other rows still read a page of its own, whose copy of the shared one's used slots is left
   * to {@link #append}. Only this call changes the pool and the tables, so once every row has
   * reserved, the rows can append on different threads: each writes its own page, and a copy still
   * to be made never reads a slot another row writes in place (such a copy is made here first).
   */
  void reserve(int row) {
    if (target.length < batch) {
      int had = target.length;
      target = Arrays.copyOf(target, batch);
      copyFrom = Arrays.copyOf(copyFrom, batch);
      copyUsed = Arrays.copyOf(copyUsed, batch);
      Arrays.fill(copyFrom, had, batch, -1);
    }
    int slot = slotOf(seen[row]);
    int index = slot / PAGE;
    int at = slot % PAGE;
    if (index >= pages[row]) { // positions arrive in order: index == pages[row]
      if (table[row].length == index) table[row] = Arrays.copyOf(table[row], 2 * index);
      int p = allocate();
      table[row][index] = p;
      pages[row] = index + 1;
      target[row] = p;
      return;
    }
    int page = table[row][index];
    if (refs[page] == 1) { // written in place: copies of it still to be made that would read this slot go first
      for (int r = 0; r < batch; r++) if (copyFrom[r] == page && (ring || copyUsed[r] > at)) copyPending(r);
      target[row] = page;
      return;
    }
    int copy = allocate();
    refs[page]--;
    table[row][index] = copy;
    target[row] = copy;
    copyFrom[row] = page;
    copyUsed[row] = ring ? PAGE : at; // a ring's later slots still hold older visible keys
  }

  /**
   * The second half of {@link #appendRow}, after {@link #reserve}: the copy on write if one is due,
   * then the key (transposed) and value, and the row's position moves on. Touches only row's own page.
   */
  void append(int row, float[] k, int kOff, float[] v, int vOff) {
    if (copyFrom[row] >= 0) copyPending(row);
    int page = target[row];
    int at = slotOf(seen[row]) % PAGE;
    if (format == KvFormat.BF16) {
      int ka = interleaved(at, PAGE);
      int whole = headDim - headDim % BLOCK;
      for (int h = 0; h < numKvHeads; h++) {
        int kb = keyBase(page, h) + ka;
        int vb = valueBase(page, h) + at * headDim;
        int src = kOff + h * headDim;
        int vsrc = vOff + h * headDim;
        for (int e = 0; e < headDim; e++) keys16[kb + e * PAGE] = Bf16.fromFloat(k[src + e]); // one slot of each key row
        // the value row a block at a time: element j of the block's first vector in the low half of int j, of its second in the high half
        int e = 0;
        for (; e < whole; e += BLOCK) {
          IntVector lo = Bf16.roundBits(FloatVector.fromArray(F, v, vsrc + e));
          IntVector hi = Bf16.roundBits(FloatVector.fromArray(F, v, vsrc + e + L));
          lo.or(hi.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(values16, vb + e);
        }
        for (; e < headDim; e++) values16[vb + e] = Bf16.fromFloat(v[vsrc + e]); // past the blocks: in order
      }
      seen[row]++;
      return;
    }
    for (int h = 0; h < numKvHeads; h++) {
      int kb = keyBase(page, h) + at;
      int src = kOff + h * headDim;
      for (int e = 0; e < headDim; e++) keys[kb + e * PAGE] = k[src + e]; // transposed
      System.arraycopy(v, vOff + h * headDim, values, valueBase(page, h) + at * headDim, headDim);
    }
    seen[row]++;
  }

  /** Makes row's pending copy on write: the first copyUsed slots of the shared page into its own. */
  private void copyPending(int row) {
    int page = copyFrom[row];
    int copy = target[row];
    int used = copyUsed[row];
    if (format == KvFormat.BF16) { // whole key rows (the slots are interleaved); this row writes the later slots before it reads them
      for (int h = 0; h < numKvHeads; h++) {
        System.arraycopy(keys16, keyBase(page, h), keys16, keyBase(copy, h), headDim * PAGE);
        System.arraycopy(values16, valueBase(page, h), values16, valueBase(copy, h), used * headDim);
      }
      copyFrom[row] = -1;
      return;
    }
    for (int h = 0; h < numKvHeads; h++) {
      int from = keyBase(page, h);
      int to = keyBase(copy, h);
      if (used == PAGE) {
        System.arraycopy(keys, from, keys, to, headDim * PAGE);
      } else { // the first used slots of each of d_h key rows: a vector or two each, not d_h calls of arraycopy
        for (int c = 0; c < used; c += L) {
          VectorMask<Float> m = F.indexInRange(c, used);
          for (int e = 0; e < headDim; e++) {
            FloatVector.fromArray(F, keys, from + e * PAGE + c, m).intoArray(keys, to + e * PAGE + c, m);
          }
        }
      }
      System.arraycopy(values, valueBase(page, h), values, valueBase(copy, h), used * headDim);
    }
    copyFrom[row] = -1;
  }

  /** A free page (the pool doubles when none is left), held once. */
  private int allocate() {
    if (freeCount == 0) {
      int had = refs.length;
      int grown = Math.max(2 * had, Math.max(8, 2 * Math.max(batch, 1)));
      if (format == KvFormat.BF16) {
        short[] k = new short[grown * pageElements + Aligned.SHORT_LINE - 1];
        int kAt = Aligned.offset(k);
        System.arraycopy(keys16, keysAt, k, kAt, had * pageElements);
        short[] v = new short[k.length];
        int vAt = Aligned.offset(v);
        System.arraycopy(values16, valuesAt, v, vAt, had * pageElements);
        keys16 = k;
        values16 = v;
        keysAt = kAt;
        valuesAt = vAt;
      } else {
        float[] k = new float[grown * pageElements + Aligned.LINE - 1];
        int kAt = Aligned.offset(k);
        System.arraycopy(keys, keysAt, k, kAt, had * pageElements);
        float[] v = new float[k.length];
        int vAt = Aligned.offset(v);
        System.arraycopy(values, valuesAt, v, vAt, had * pageElements);
        keys = k;
        keysAt = kAt;
        values = v;
        valuesAt = vAt;
      }
      refs = Arrays.copyOf(refs, grown);
      free = Arrays.copyOf(free, grown);
      for (int p = grown - 1; p >= had; p--) free[freeCount++] = p;
    }
    int p = free[--freeCount];
    refs[p] = 1;
    return p;
  }

  private void release(int page) {
    if (--refs[page] == 0) free[freeCount++] = page;
  }

  /** The slot of absolute position p (which must be held). */
  int slotOf(int p) {
    return ring ? p % slots : p;
  }

  /** Slots of the ring (0 when the cache grows instead). */
  int ringSlots() {
    return slots;
  }

  /** Row's page holding slot s. */
  int page(int row, int slot) {
    return table[row][slot / PAGE];
  }

  /** Start of head h's keys in page (d_h rows of {@link #PAGE} slots: keys transposed) in {@link #keys()}. */
  int keyBase(int page, int h) {
    return keysAt + page * pageElements + h * headDim * PAGE;
  }

  /** Start of head h's values in page ({@link #PAGE} rows of d_h) in {@link #values()}. */
  int valueBase(int page, int h) {
    return valuesAt + page * pageElements + h * PAGE * headDim;
  }

  /** The decoding step's work buffers of worker part i. */
  Decoding.Scratch scratch(int i) {
    if (scratch.length <= i) scratch = Arrays.copyOf(scratch, i + 1);
    if (scratch[i] == null) scratch[i] = new Decoding.Scratch(headDim);
    return scratch[i];
  }

  float[] keys() {
    return keys;
  }

  float[] values() {
    return values;
  }

  /** A bf16 cache's keys (element indices as {@link #keyBase}; slots interleaved by {@link #interleaved}). */
  short[] keys16() {
    return keys16;
  }

  /** A bf16 cache's values (element indices as {@link #valueBase}; each row's elements interleaved). */
  short[] values16() {
    return values16;
  }

  /**
   * Where element i of a bf16 row of n elements is stored in that row: blocks of {@link #BLOCK},
   * element j &lt; L of a block at 2j, element L + j at 2j + 1; past the last whole block, at i.
   */
  static int interleaved(int i, int n) {
    if (i >= n - n % BLOCK) return i;
    int j = i % BLOCK;
    return i - j + (j < L ? 2 * j : 2 * (j - L) + 1);
  }

  /** Head h's key element e at slot of page, as a float (either format). */
  float key(int page, int h, int e, int slot) {
    int at = keyBase(page, h) + e * PAGE;
    return format == KvFormat.BF16 ? Bf16.toFloat(keys16[at + interleaved(slot, PAGE)]) : keys[at + slot];
  }

  @Override
  public String toString() {
    return "LayerKvCache[" + mask.spec() + (format == KvFormat.F32 ? "" : ", " + format.label()) + ", positions " + Arrays.toString(batch < 0 ? new int[0] : seen) + ", "
        + bytes() + " bytes" + (batch < 0 ? "" : ", " + (refs.length - freeCount) + " pages of " + PAGE + " slots") + "]";
  }
}
