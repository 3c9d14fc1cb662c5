package lmlab.nn.weights;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The caller and one helper thread share the rows of a decoding step's matrix-vector products,
 * without ever waiting for a helper that the operating system has preempted — on a machine whose
 * cores are shared, a helper holding half the rows for a scheduler time slice would cost more than
 * the whole product.
 *
 * <p>The rows are cut into {@link #CHUNKS} chunks, each with a state word. The first half is the
 * caller's, the second the helper's: each thread claims its own half's chunks in order with a
 * compare-and-set on words the other thread does not touch while it is busy, then takes the other
 * half's free chunks from the end. So a product costs a handful of cache-line transfers between the
 * cores, where a shared chunk counter and shared marks cost about 2 µs (measured on a product of
 * no work), for each of the 18 shared products of a chargpt token. The caller computes its chunks
 * straight into the outputs; the helper computes into its own scratch and stores only after
 * winning a second compare-and-set, so a helper late or stale (still on an old job, whose outputs
 * are the same buffers) can lose its work but never write over the caller's. At the end the caller
 * waits briefly for a chunk the helper is computing, then takes it too; it waits without limit only
 * for a store in progress.
 *
 * <p>Between products the caller runs the serial parts of a step (attention over the cache, norms,
 * the activation, products too small to share) — a third of a chargpt token on two threads — and
 * the helper would idle. Instead it reads the next product's weights ({@code next}, when given) in
 * the order it will claim their chunks, until that product starts: those rows then come from its
 * own L2 cache, and it takes over more of the caller's chunks. Decoding is bound by how fast each
 * core reads weights from L3, so this moves reads into time that was lost. Measured with both
 * variants in one process, alternating (chargpt, 2 threads, 2026-11-27 15:25–15:40 UTC): the new
 * claiming scheme with read-ahead of the whole next product ran at 1.12× the speed of the
 * shared-counter team, with read-ahead of the helper's half only at 1.05–1.09×.
 */
final class MatVecTeam {
  /** Chunks per product, half each thread's; the tail one thread may wait for is 1/CHUNKS of it. */
  static final int CHUNKS = 16;
  private static final int HALF = CHUNKS / 2;
  /** States: FREE → TAKEN (the caller's, computed in place) or FREE → COMPUTING → STORING → STORED (the helper's). */
  private static final int FREE = 0, COMPUTING = 1, STORING = 2, STORED = 3, TAKEN = 4;
  /** Index distance of the two halves' state words: 128 bytes, so they share no cache line (nor its pair). */
  private static final int GAP = 32;
  /** How long the helper spins for the next job before parking. */
  private static final long SPIN_NANOS = 200_000;
  /** How long the caller waits for a chunk the helper is computing before computing it itself. */
  private static final long STEAL_NANOS = 20_000;
  /** Whether the helper reads the next product's weights while it waits ({@code -Dlmlab.matvec.prefetch=false}: not). */
  static final boolean PREFETCH = !"false".equals(System.getProperty("lmlab.matvec.prefetch"));
  /**
   * Rows the helper reads ahead between two looks for a new job: a few KB, so a new job waits
   * little; a whole float32 column panel (16 rows on 512-bit vectors), since a part of one reads
   * all its cache lines.
   */
  private static final int PREFETCH_ROWS = 16;

  private static MatVecTeam shared;

  private final Thread helper;
  private volatile Job job;
  private volatile boolean parked;
  /** Sums of the prefetched weights, kept so the reads cannot be optimised away. */
  @SuppressWarnings("unused")
  private float sink;

  /** One product call: its own states, so late helpers cannot touch the next one. */
  private static final class Job {
    final MatVec.Product[] ps;
    final int rows;
    final float[] x;
    final MatVec.Product[] next;
    final int nextRows;
    final AtomicIntegerArray state = new AtomicIntegerArray(CHUNKS + GAP);

    Job(MatVec.Product[] ps, int rows, float[] x, MatVec.Product[] next, int nextRows) {
      this.ps = ps;
      this.rows = rows;
      this.x = x;
      this.next = next;
      this.nextRows = nextRows;
    }
  }

  /** The state word of chunk c. */
  private static int slot(int c) {
    return c < HALF ? c : c + GAP;
  }

  /**
   * First row of chunk c of a product of rows rows: a multiple of 64 (four float32 column panels on
   * 512-bit vectors) when the product has at least 128 rows, else of 16 (a cache line of y, and a
   * panel). Every output of a panel is one FMA chain over the whole input, so a chunk of one or two
   * panels waits on the FMA latency; four give four chains in flight. Some chunks are then empty.
   */
  static int from(int rows, int c) {
    if (c >= CHUNKS) return rows;
    int align = rows >= 128 ? 64 : 16;
    return (int) ((long) rows * c / CHUNKS) / align * align;
  }

  /**
   * Rows of the longest chunk of a product of rows rows: the helper's scratch. Aligned bounds make
   * it up to 64 rows longer than rows / CHUNKS (192 rows: chunks of 0 or 64).
   */
  static int longestChunk(int rows) {
    int longest = 0;
    for (int c = 0; c < CHUNKS; c++) longest = Math.max(longest, from(rows, c + 1) - from(rows, c));
    return longest;
  }

  private MatVecTeam() {
    helper = new Thread(this::helperLoop, "lmlab-decode-helper");
    helper.setDaemon(true);
    helper.start();
  }

  /** The process's team (its helper starts on first use). */
  static synchronized MatVecTeam shared() {
    if (shared == null) shared = new MatVecTeam();
    return shared;
  }

  /**
   * Runs the stacked products ps (rows in all) of x on the caller and the helper; returns when all
   * are stored. next (nextRows rows, or null) is the team's next product, whose weights the helper
   * reads ahead.
   */
  synchronized void run(MatVec.Product[] ps, int rows, float[] x, MatVec.Product[] next, int nextRows) {
    Job j = new Job(ps, rows, x, PREFETCH ? next : null, nextRows);
    job = j;
    if (parked) LockSupport.unpark(helper);
    for (int c = 0; c < HALF; c++) take(j, c);
    for (int c = CHUNKS - 1; c >= HALF; c--) take(j, c);
    for (int c = 0; c < CHUNKS; c++) {
      int s = slot(c);
      if (j.state.get(s) == COMPUTING) {
        long start = System.nanoTime();
        while (j.state.get(s) == COMPUTING && System.nanoTime() - start < STEAL_NANOS) Thread.onSpinWait();
        if (j.state.compareAndSet(s, COMPUTING, TAKEN)) { // the helper is late: do it here
          MatVec.stacked(ps, from(rows, c), from(rows, c + 1), x);
          continue;
        }
      }
      while (j.state.get(s) == STORING) Thread.onSpinWait(); // a store in progress
    }
  }

  /** The caller computes chunk c in place if it is free. */
  private static void take(Job j, int c) {
    if (j.state.compareAndSet(slot(c), FREE, TAKEN)) MatVec.stacked(j.ps, from(j.rows, c), from(j.rows, c + 1), j.x);
  }

  private void helperLoop() {
    Job seen = null;
    float[] scratch = new float[0];
    while (true) {
      long start = System.nanoTime();
      Job j;
      while ((j = job) == seen) {
        if (System.nanoTime() - start < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (job == seen) LockSupport.park(this);
          parked = false;
          start = System.nanoTime();
        }
      }
      seen = j;
      int chunkRows = longestChunk(j.rows);
      if (scratch.length < chunkRows) scratch = new float[chunkRows];
      for (int c = HALF; c < CHUNKS; c++) compute(j, c, scratch);
      for (int c = HALF - 1; c >= 0; c--) compute(j, c, scratch);
      if (j.next != null) prefetch(j);
    }
  }

  /** The helper computes chunk c into scratch if it is free, and stores it if the caller has not taken it meanwhile. */
  private static void compute(Job j, int c, float[] scratch) {
    int s = slot(c);
    if (!j.state.compareAndSet(s, FREE, COMPUTING)) return;
    int from = from(j.rows, c);
    int to = from(j.rows, c + 1);
    MatVec.stackedRows(j.ps, from, to, j.x, scratch);
    if (j.state.compareAndSet(s, COMPUTING, STORING)) {
      MatVec.store(j.ps, from, to, scratch);
      j.state.set(s, STORED);
    }
  }

  /**
   * Reads the next product's weights in the order the helper will claim its chunks (its half, then
   * the caller's from the end), a few rows at a time, until a new job arrives.
   */
  private void prefetch(Job j) {
    float s = 0;
    int rows = j.nextRows;
    for (int k = 0; k < CHUNKS && job == j; k++) {
      int c = k < HALF ? HALF + k : CHUNKS - 1 - k;
      int to = from(rows, c + 1);
      for (int r = from(rows, c); r < to && job == j; r += PREFETCH_ROWS) s += MatVec.touch(j.next, r, Math.min(to, r + PREFETCH_ROWS));
    }
    sink += s;
  }
}
