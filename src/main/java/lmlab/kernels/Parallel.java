package lmlab.kernels;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The one shared worker pool of lmlab. Kernels split an index range [0, n) into chunks and run
 * them on {@link #threads()} threads (the caller included).
 *
 * <p>Why not ForkJoinPool: waking a parked thread per call costs more than a 128³ multiply, so our
 * workers spin briefly on a volatile job counter before parking (yielding the core at each look
 * after the first 20 µs). Thread count: {@code
 * LMLAB_THREADS}, then the system property {@code lmlab.threads}, else the number of cores; the
 * CLI's {@code --threads} calls {@link #setThreads}.
 */
public final class Parallel {
  /** A chunk of work: indices [from, to). */
  @FunctionalInterface
  public interface Range {
    void run(int from, int to);
  }

  private static final long SPIN_NANOS = 200_000; // 0.2 ms of spinning before parking
  /**
   * Waiting longer than this (20 µs: longer than the serial parts between two jobs of a decoding
   * step), a spinning thread yields its core at each look instead of only pausing: when other
   * processes share the cores, the thread it waits for (the caller for a worker's part, the
   * worker for the caller's next job) may be queued behind it on the same core, and would
   * otherwise run only after the spinner's time slice or its park.
   */
  private static final long YIELD_NANOS = 20_000;
  private static volatile Pool pool = new Pool(defaultThreads());
  /** Whether the thread count was chosen (LMLAB_THREADS, lmlab.threads or --threads) rather than defaulted to the cores. */
  private static volatile boolean chosen = chosenByEnvironment();

  private Parallel() {}

  static int defaultThreads() {
    String env = System.getenv("LMLAB_THREADS");
    String prop = System.getProperty("lmlab.threads");
    String v = env != null && !env.isBlank() ? env : prop;
    if (v != null && !v.isBlank()) {
      try {
        int t = Integer.parseInt(v.trim());
        if (t >= 1) return t;
      } catch (NumberFormatException ignored) {
        // fall through to the error below
      }
      throw new IllegalArgumentException(
          "LMLAB_THREADS/lmlab.threads must be a whole number >= 1, got '" + v + "'");
    }
    return Runtime.getRuntime().availableProcessors();
  }

  private static boolean chosenByEnvironment() {
    String env = System.getenv("LMLAB_THREADS");
    String prop = System.getProperty("lmlab.threads");
    return (env != null && !env.isBlank()) || (prop != null && !prop.isBlank());
  }

  /** True when the user chose the thread count (environment, property or {@link #setThreads}). */
  public static boolean threadsChosen() {
    return chosen;
  }

  /**
   * True inside a part run by {@link #forRange} and its kin (on a worker or on the caller): kernels
   * called there run on the calling thread alone.
   */
  public static boolean inWorker() {
    return Pool.IN_WORKER.get();
  }

  /** Number of threads kernels use, the caller included. */
  public static int threads() {
    return pool.size;
  }

  /** Resizes the pool (idempotent). Not to be called while kernels run. */
  public static synchronized void setThreads(int n) {
    if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
    chosen = true;
    if (n == pool.size) return;
    Pool old = pool;
    pool = new Pool(n);
    old.shutdown();
  }

  /** Back to the default count (LMLAB_THREADS, lmlab.threads, else the cores), as at start-up. */
  public static synchronized void useDefaultThreads() {
    setThreads(defaultThreads());
    chosen = chosenByEnvironment();
  }

  /**
   * Runs body over [0, n) in chunks of at least {@code grain} indices, on all threads. Returns
   * when every chunk is done. Runs inline when the work is too small to split or when called
   * from inside a worker (no nested parallelism).
   */
  public static void forRange(int n, int grain, Range body) {
    if (n <= 0) return;
    Pool p = pool;
    int maxChunks = Math.max(1, n / Math.max(1, grain));
    int parts = Math.min(p.size, maxChunks);
    if (parts <= 1 || Pool.IN_WORKER.get()) {
      body.run(0, n);
      return;
    }
    p.run(n, parts, body);
  }

  /** Runs task(i) for i in [0, parts) with one part per thread when parts == threads(). */
  public static void forEachPart(int parts, java.util.function.IntConsumer task) {
    forRange(parts, 1, (from, to) -> {
      for (int i = from; i < to; i++) task.accept(i);
    });
  }

  /**
   * Runs task(i) for every i in [0, count), handing out one index at a time to whichever thread
   * is free (dynamic scheduling): for many tasks of uneven cost, or when another process may
   * preempt one of our threads, so the others take over its share instead of waiting.
   */
  public static void forEachDynamic(int count, java.util.function.IntConsumer task) {
    if (count <= 0) return;
    Pool p = pool;
    if (count == 1 || p.size == 1 || Pool.IN_WORKER.get()) {
      for (int i = 0; i < count; i++) task.accept(i);
      return;
    }
    p.run(count, count, (from, to) -> {
      for (int i = from; i < to; i++) task.accept(i);
    });
  }

  /**
   * Starts task on a worker of the pool and returns at once, so the caller goes on with other
   * work, its own parallel calls included: until the task is done the caller runs their parts
   * without that worker (it takes every part nobody else has), and the worker then takes parts
   * again. The caller must {@link Aside#await} the task before it touches what the task touches.
   * A task nobody has started by then runs in {@code await}, on the caller: a worker the operating
   * system has preempted never holds it up. With one thread, inside a part, or while another
   * task waits for a worker, the task runs here, before this returns. The decoding thread of {@code lmlab
   * serve} hands a step's tokens to the clients this way while the next step runs.
   */
  public static Aside aside(Runnable task) {
    Pool p = pool;
    Aside a = new Aside(task, p);
    if (p.size == 1 || Pool.IN_WORKER.get() || !p.aside.compareAndSet(null, a)) {
      a.runIfUnclaimed();
    } else {
      for (Thread t : p.workers) LockSupport.unpark(t);
    }
    return a;
  }

  /** A task started by {@link #aside}: whoever claims it first (a worker, or the caller in await) runs it. */
  public static final class Aside {
    private final AtomicReference<Runnable> task;
    private final Pool pool;
    private final Thread caller = Thread.currentThread();
    private volatile boolean done;
    private volatile Throwable failure;

    private Aside(Runnable task, Pool pool) {
      this.task = new AtomicReference<>(task);
      this.pool = pool;
    }

    /** Runs the task when nobody has claimed it yet; false when somebody has. */
    private boolean runIfUnclaimed() {
      Runnable r = task.getAndSet(null);
      if (r == null) return false;
      pool.aside.compareAndSet(this, null); // claimed: no worker looks at it again
      try {
        r.run();
      } catch (Throwable t) {
        failure = t;
      } finally {
        done = true;
        if (Thread.currentThread() != caller) LockSupport.unpark(caller);
      }
      return true;
    }

    /** Returns once the task is done (running it here if no worker has started it); rethrows its failure. */
    public void await() {
      if (!runIfUnclaimed()) {
        long start = System.nanoTime();
        while (!done) pause(start, this); // unparked by the worker when it is done
      }
      rethrow(failure);
    }
  }

  /** Rethrows a part's or task's failure on the caller (unchecked as it was, else wrapped); nothing when null. */
  private static void rethrow(Throwable f) {
    if (f instanceof RuntimeException re) throw re;
    if (f instanceof Error e) throw e;
    if (f != null) throw new RuntimeException(f);
  }

  /**
   * One look of a thread waiting since start (System.nanoTime): a pause while the wait is short,
   * then a yield of the core, then a park on blocker (whoever ends the wait unparks the thread;
   * the caller loops, so a spurious return only looks again).
   */
  private static void pause(long start, Object blocker) {
    long waited = System.nanoTime() - start;
    if (waited < YIELD_NANOS) Thread.onSpinWait();
    else if (waited < SPIN_NANOS) Thread.yield();
    else LockSupport.park(blocker);
  }

  /**
   * One parallel call: its own counters, so a late worker can never touch the next job. The
   * counters are fields of the job (not objects of their own), so a worker that reads the job
   * has them in the same cache line: each line moving between the two cores costs about as much as
   * a small part's work.
   */
  private static final class Job {
    private static final VarHandle NEXT_PART;
    private static final VarHandle DONE_PART;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        NEXT_PART = l.findVarHandle(Job.class, "nextPart", int.class);
        DONE_PART = l.findVarHandle(Job.class, "donePart", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** Cleared once every part is done: the job stays the pool's last until the next, keeping no arrays alive. */
    Range body;
    final int n;
    final int parts;
    final Thread caller = Thread.currentThread();
    volatile int nextPart;
    volatile int donePart;
    volatile Throwable failure;

    Job(Range body, int n, int parts) {
      this.body = body;
      this.n = n;
      this.parts = parts;
    }

    /** Takes parts of this job until none is left. */
    void work() {
      int part;
      while ((part = (int) NEXT_PART.getAndAdd(this, 1)) < parts) {
        int from = (int) ((long) n * part / parts);
        int to = (int) ((long) n * (part + 1) / parts);
        try {
          body.run(from, to); // set until every part is done, and this one is not
        } catch (Throwable t) {
          failure = t;
        }
        // The last part done wakes the caller in case it stopped spinning and parked.
        if ((int) DONE_PART.getAndAdd(this, 1) + 1 == parts) LockSupport.unpark(caller);
      }
    }

    boolean done() {
      return donePart >= parts;
    }
  }

  /** A fixed set of spinning-then-parking workers that execute one job at a time. */
  private static final class Pool {
    static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);

    final int size;
    final Thread[] workers;
    final Object submitLock = new Object();
    volatile Job job;
    /** A task started by {@link #aside}, until a worker (or the caller) claims it. */
    final AtomicReference<Aside> aside = new AtomicReference<>();
    volatile boolean stopped;

    Pool(int size) {
      this.size = size;
      this.workers = new Thread[size - 1];
      for (int i = 0; i < workers.length; i++) {
        Thread t = new Thread(this::workerLoop, "lmlab-worker-" + (i + 1));
        t.setDaemon(true);
        workers[i] = t;
        t.start();
      }
    }

    void shutdown() {
      stopped = true;
      for (Thread t : workers) LockSupport.unpark(t);
    }

    void run(int n, int parts, Range body) {
      synchronized (submitLock) {
        Job j = new Job(body, n, parts);
        job = j; // publishes the job
        for (Thread t : workers) LockSupport.unpark(t);
        IN_WORKER.set(true);
        try {
          j.work();
        } finally {
          IN_WORKER.set(false);
        }
        long start = System.nanoTime();
        while (!j.done()) pause(start, j); // unparked by the last part
        // the job stays published: clearing it would move the line the worker spins on, and wake
        // it, once more per call; its body (the captured arrays) goes
        j.body = null;
        rethrow(j.failure);
      }
    }

    private void workerLoop() {
      IN_WORKER.set(true);
      Job seen = null;
      while (!stopped) {
        long start = System.nanoTime();
        Job j;
        Aside a = null;
        while ((j = job) == seen && (a = aside.get()) == null && !stopped) pause(start, this);
        if (stopped) return;
        if (a != null) { // then the caller's job, if one is still open
          a.runIfUnclaimed();
          continue;
        }
        seen = j;
        if (j != null) j.work();
      }
    }
  }
}
