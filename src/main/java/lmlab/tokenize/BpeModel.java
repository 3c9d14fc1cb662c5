package lmlab.tokenize;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of byte-level BPE: the vocabulary (token string ↔ id, every token a string of
 * byte symbols), the ranked merges, and the merge loop that turns one pre-token into ids.
 *
 * <p>Merge loop (Sennrich et al. 2016; GPT-2 encoder.py's {@code bpe}): start from one symbol per
 * byte; repeatedly merge the adjacent pair of lowest rank, every occurrence left to right, until
 * no adjacent pair is a merge. Done here as Hugging Face's {@code Word::merge_all} does: a
 * min-heap of (rank, position) over a linked list of symbols, stale entries skipped when popped,
 * so a word of n bytes costs O(n log n) instead of the O(n²) rescans of encoder.py. Pre-tokens
 * repeat (words of a language), so their ids are cached.
 */
final class BpeModel {
  private static final int CACHE_CAPACITY = 1 << 17;
  private static final int CACHE_MAX_CHARS = 64;

  private final Map<String, Integer> vocab;
  private final String[] pieces;
  private final int[] byteIds = new int[256];
  private final PairTable merges;
  private final boolean ignoreMerges;
  private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

  /**
   * vocab: token → id; pieces: id → token (null for ids without one); mergeLeft/Right/Result:
   * the ids of merge rank r's parts and product. All checked by the reader.
   */
  BpeModel(Map<String, Integer> vocab, String[] pieces, int[] mergeLeft, int[] mergeRight, int[] mergeResult,
      boolean ignoreMerges) {
    this.vocab = vocab;
    this.pieces = pieces;
    this.ignoreMerges = ignoreMerges;
    for (int b = 0; b < 256; b++) byteIds[b] = vocab.get(String.valueOf(ByteLevel.symbol(b)));
    this.merges = new PairTable(mergeLeft.length);
    // A pair listed twice takes its last rank, as the dictionaries of encoder.py and Hugging Face do.
    for (int r = 0; r < mergeLeft.length; r++) merges.put(mergeLeft[r], mergeRight[r], r, mergeResult[r]);
  }

  Map<String, Integer> vocab() {
    return vocab;
  }

  String[] pieces() {
    return pieces;
  }

  int merges() {
    return merges.size();
  }

  /** Drops cached pre-tokens (for benchmarks that must measure the merge loop). */
  void clearCache() {
    cache.clear();
  }

  /** Appends the ids of one pre-token to out. */
  void encodeWord(String word, IntList out) {
    int[] cached = cache.get(word);
    if (cached == null) {
      cached = merge(word);
      if (word.length() <= CACHE_MAX_CHARS && cache.size() < CACHE_CAPACITY) cache.put(word, cached);
    }
    out.addAll(cached);
  }

  private int[] merge(String word) {
    byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
    int n = bytes.length;
    if (ignoreMerges) {
      Integer whole = vocab.get(ByteLevel.symbols(bytes));
      if (whole != null) return new int[] {whole};
    }
    int[] sym = new int[n];
    for (int i = 0; i < n; i++) sym[i] = byteIds[bytes[i] & 0xFF];
    if (n == 1) return sym;
    if (n == 2) {
      long e = merges.get(sym[0], sym[1]);
      return e < 0 ? sym : new int[] {PairTable.result(e)};
    }
    int[] next = new int[n];
    int[] prev = new int[n];
    for (int i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    LongHeap heap = new LongHeap(2 * n);
    for (int i = 0; i + 1 < n; i++) {
      long e = merges.get(sym[i], sym[i + 1]);
      if (e >= 0) heap.push(((long) PairTable.rank(e) << 32) | i);
    }
    int alive = n;
    while (!heap.isEmpty()) {
      long top = heap.pop();
      int rank = (int) (top >>> 32);
      int pos = (int) top;
      if (sym[pos] < 0) continue; // merged into its left neighbour
      int nx = next[pos];
      if (nx < 0) continue;
      long e = merges.get(sym[pos], sym[nx]);
      if (e < 0 || PairTable.rank(e) != rank) continue; // the pair changed since it was queued
      sym[pos] = PairTable.result(e);
      sym[nx] = -1;
      alive--;
      next[pos] = next[nx];
      if (next[nx] >= 0) prev[next[nx]] = pos;
      int pv = prev[pos];
      if (pv >= 0) {
        long l = merges.get(sym[pv], sym[pos]);
        if (l >= 0) heap.push(((long) PairTable.rank(l) << 32) | pv);
      }
      if (next[pos] >= 0) {
        long r = merges.get(sym[pos], sym[next[pos]]);
        if (r >= 0) heap.push(((long) PairTable.rank(r) << 32) | pos);
      }
    }
    int[] ids = new int[alive];
    for (int i = 0, k = 0; i >= 0; i = next[i]) ids[k++] = sym[i];
    return ids;
  }

  /** An open-addressing map from a pair of ids to (rank, result id), packed in a long. */
  static final class PairTable {
    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    PairTable(int expected) {
      int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
      keys = new long[cap];
      values = new long[cap];
      Arrays.fill(keys, -1L);
      mask = cap - 1;
    }

    void put(int left, int right, int rank, int result) {
      long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
      int i = slot(key);
      while (keys[i] != -1L) {
        if (keys[i] == key) break;
        i = (i + 1) & mask;
      }
      if (keys[i] == -1L) size++;
      keys[i] = key;
      values[i] = ((long) rank << 32) | (result & 0xFFFFFFFFL);
    }

    /** (rank << 32 | result), or -1 when (left, right) is not a merge. */
    long get(int left, int right) {
      long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
      for (int i = slot(key); ; i = (i + 1) & mask) {
        long k = keys[i];
        if (k == key) return values[i];
        if (k == -1L) return -1L;
      }
    }

    int size() {
      return size;
    }

    static int rank(long entry) {
      return (int) (entry >>> 32);
    }

    static int result(long entry) {
      return (int) entry;
    }

    private int slot(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 40) & mask;
    }
  }

  /** A binary min-heap of longs. */
  static final class LongHeap {
    private long[] a;
    private int n;

    LongHeap(int capacity) {
      a = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
      return n == 0;
    }

    void push(long v) {
      if (n == a.length) a = Arrays.copyOf(a, 2 * n);
      int i = n++;
      while (i > 0) {
        int p = (i - 1) >>> 1;
        if (a[p] <= v) break;
        a[i] = a[p];
        i = p;
      }
      a[i] = v;
    }

    long pop() {
      long top = a[0];
      long v = a[--n];
      int i = 0;
      while (true) {
        int c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && a[c + 1] < a[c]) c++;
        if (a[c] >= v) break;
        a[i] = a[c];
        i = c;
      }
      a[i] = v;
      return top;
    }
  }
}
