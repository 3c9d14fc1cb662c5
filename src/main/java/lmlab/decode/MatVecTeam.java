package lmlab.decode;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The caller and one helper thread share the rows of a decoding step's matrix-vector products,
 * without ever waiting for a helper that the operating system has preempted — on a machine whose
 * cores are shared, a helper holding half the rows for a scheduler time slice would cost more than
 * the whole product.
 *
 * <p>The rows are cut into {@link #CHUNKS} chunks that either thread claims. A chunk is computed
 * into the thread's own scratch and stored into the output only by the thread that first marks it
 * won, so a chunk may be computed twice but is stored once: when the caller runs out of chunks it
 * waits briefly for the helper's, then computes the rest itself. A stale helper (still on an old
 * job) can only lose its marks, never write. The caller waits only for a store in progress.
 */
final class MatVecTeam {
  static final int CHUNKS = 8;
  /** How long the helper spins for the next job before parking. */
  private static final long SPIN_NANOS = 200_000;
  /** How long the caller waits for a chunk the helper took before computing it itself. */
  private static final long STEAL_NANOS = 20_000;

  private static MatVecTeam shared;

  private final Thread helper;
  private volatile Job job;
  private volatile boolean parked;
  private float[] callerScratch = new float[0];

  /** One product call: its own marks, so late helpers cannot touch the next one. */
  private static final class Job {
    final MatVec.Product[] ps;
    final int rows;
    final float[] x;
    final AtomicInteger next = new AtomicInteger();
    final AtomicIntegerArray won = new AtomicIntegerArray(CHUNKS);
    final AtomicIntegerArray stored = new AtomicIntegerArray(CHUNKS);

    Job(MatVec.Product[] ps, int rows, float[] x) {
      this.ps = ps;
      this.rows = rows;
      this.x = x;
    }

    int from(int c) {
      return (int) ((long) rows * c / CHUNKS);
    }

    /** Computes chunk c into scratch and stores it if no other thread has. */
    void compute(int c, float[] scratch) {
      int from = from(c);
      int to = from(c + 1);
      MatVec.stackedRows(ps, from, to, x, scratch);
      if (won.compareAndSet(c, 0, 1)) {
        MatVec.store(ps, from, to, scratch);
        stored.set(c, 1);
      }
    }
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

  /** Runs the stacked products ps (rows in all) of x on the caller and the helper; returns when all are stored. */
  synchronized void run(MatVec.Product[] ps, int rows, float[] x) {
    Job j = new Job(ps, rows, x);
    job = j;
    if (parked) LockSupport.unpark(helper);
    int chunkRows = rows / CHUNKS + 1;
    if (callerScratch.length < chunkRows) callerScratch = new float[chunkRows];
    int c;
    while ((c = j.next.getAndIncrement()) < CHUNKS) j.compute(c, callerScratch);
    for (c = 0; c < CHUNKS; c++) {
      if (j.won.get(c) == 0) {
        long start = System.nanoTime();
        while (j.won.get(c) == 0 && System.nanoTime() - start < STEAL_NANOS) Thread.onSpinWait();
        if (j.won.get(c) == 0) j.compute(c, callerScratch); // the helper is late: do it here
      }
      while (j.stored.get(c) == 0) Thread.onSpinWait(); // a store in progress
    }
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
      int chunkRows = j.rows / CHUNKS + 1;
      if (scratch.length < chunkRows) scratch = new float[chunkRows];
      int c;
      while ((c = j.next.getAndIncrement()) < CHUNKS) j.compute(c, scratch);
    }
  }
}
