package lmlab.serve;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * P decoding slots and a FIFO queue of at most Q waiting requests (serving.md, Concurrency): a
 * request arriving when Q are waiting is refused at once (Ollama's bounded queue, answered 503
 * with Retry-After); a waiting request leaves the queue when its deadline passes or its client
 * goes away, without running.
 */
public final class SlotPool {
  /** The queue is full. */
  public static final class Overloaded extends Exception {
    public final int waiting;

    Overloaded(int waiting) {
      super(null, null, false, false);
      this.waiting = waiting;
    }
  }

  /** Why a waiting request left the queue. */
  public static final class LeftQueue extends Exception {
    public final boolean timedOut;

    LeftQueue(boolean timedOut) {
      super(null, null, false, false);
      this.timedOut = timedOut;
    }
  }

  private final int parallel;
  private final int queue;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Object> waiters = new ArrayDeque<>();
  private int busy;
  private double meanSeconds = 1;

  public SlotPool(int parallel, int queue) {
    if (parallel < 1) throw new IllegalArgumentException("--parallel must be at least 1, got " + parallel);
    if (queue < 0) throw new IllegalArgumentException("--queue must be at least 0, got " + queue);
    this.parallel = parallel;
    this.queue = queue;
  }

  /** A held slot; closing it frees the slot. */
  public final class Lease implements AutoCloseable {
    private final long start = System.nanoTime();
    private boolean closed;

    @Override
    public void close() {
      lock.lock();
      try {
        if (closed) return;
        closed = true;
        busy--;
        double s = (System.nanoTime() - start) / 1e9;
        meanSeconds = 0.8 * meanSeconds + 0.2 * s;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Takes a slot, waiting in FIFO order; polls {@code gone} while waiting. */
  public Lease acquire(long deadlineNanos, BooleanSupplier gone) throws Overloaded, LeftQueue, InterruptedException {
    lock.lock();
    try {
      if (busy < parallel && waiters.isEmpty()) {
        busy++;
        return new Lease();
      }
      if (waiters.size() >= queue) throw new Overloaded(waiters.size());
      Object ticket = new Object();
      waiters.addLast(ticket);
      try {
        while (!(waiters.peekFirst() == ticket && busy < parallel)) {
          if (gone.getAsBoolean()) throw new LeftQueue(false);
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) throw new LeftQueue(true);
          changed.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
        }
        waiters.pollFirst();
        busy++;
        changed.signalAll();
        return new Lease();
      } finally {
        if (waiters.remove(ticket)) changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Seconds until a slot is likely free for a new request: at least 1. */
  public long retryAfterSeconds() {
    lock.lock();
    try {
      return Math.max(1, (long) Math.ceil(meanSeconds * (waiters.size() + 1) / parallel));
    } finally {
      lock.unlock();
    }
  }

  public int busy() {
    lock.lock();
    try {
      return busy;
    } finally {
      lock.unlock();
    }
  }

  public int queued() {
    lock.lock();
    try {
      return waiters.size();
    } finally {
      lock.unlock();
    }
  }

  public int parallel() {
    return parallel;
  }

  public int queueLimit() {
    return queue;
  }
}
