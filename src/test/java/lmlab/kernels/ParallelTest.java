package lmlab.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The worker pool: coverage of the range, errors, nesting, resizing. */
class ParallelTest {
  @Test
  void everyIndexRunsExactlyOnce() {
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2, 3}) {
        Parallel.setThreads(threads);
        for (int n : new int[] {1, 2, 7, 1000}) {
          AtomicIntegerArray seen = new AtomicIntegerArray(n);
          for (int rep = 0; rep < 50; rep++) {
            Parallel.forRange(n, 1, (from, to) -> {
              for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
          }
          for (int i = 0; i < n; i++) assertThat(seen.get(i)).isEqualTo(50);
        }
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void dynamicHandsOutEveryIndexOnce() {
    int before = Parallel.threads();
    try {
      for (int threads : new int[] {1, 2, 3}) {
        Parallel.setThreads(threads);
        AtomicIntegerArray seen = new AtomicIntegerArray(37);
        for (int rep = 0; rep < 20; rep++) Parallel.forEachDynamic(37, seen::incrementAndGet);
        for (int i = 0; i < 37; i++) assertThat(seen.get(i)).isEqualTo(20);
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /**
   * A task aside runs on the worker while the caller's own parallel calls go on: the task waits
   * until the caller has finished a parallel call, so the caller must run every part of it alone.
   */
  @Test
  void asideRunsOnTheWorkerWhileTheCallerRunsItsPartsAlone() throws Exception {
    int before = Parallel.threads();
    try {
      Parallel.setThreads(2);
      for (int rep = 0; rep < 20; rep++) {
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch callerDone = new java.util.concurrent.CountDownLatch(1);
        Thread caller = Thread.currentThread();
        Thread[] ranOn = new Thread[1];
        Parallel.Aside a = Parallel.aside(() -> {
          ranOn[0] = Thread.currentThread();
          started.countDown();
          try {
            assertThat(callerDone.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("a worker takes the task").isTrue();
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        Parallel.forRange(64, 1, (from, to) -> {
          for (int i = from; i < to; i++) seen.incrementAndGet(i);
        });
        for (int i = 0; i < 64; i++) assertThat(seen.get(i)).isEqualTo(1);
        callerDone.countDown();
        a.await();
        assertThat(ranOn[0]).isNotSameAs(caller);
        // the worker takes parts again
        Parallel.forEachPart(2, part -> { });
      }
    } finally {
      Parallel.setThreads(before);
    }
  }

  /** await runs a task no worker has started on the caller; a failure comes back from await; one thread runs it at once. */
  @Test
  void asideRunsOnTheCallerWhenNoWorkerCanAndRethrows() {
    int before = Parallel.threads();
    try {
      Parallel.setThreads(1);
      Thread[] ranOn = new Thread[1];
      Parallel.Aside a = Parallel.aside(() -> ranOn[0] = Thread.currentThread());
      assertThat(ranOn[0]).as("with one thread the task runs before aside returns").isSameAs(Thread.currentThread());
      a.await();
      Parallel.setThreads(2);
      // while the worker holds a task, a second one waits, and await runs it on the caller
      java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      Parallel.Aside first = Parallel.aside(() -> {
        started.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      try {
        assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      Parallel.Aside second = Parallel.aside(() -> ranOn[0] = Thread.currentThread());
      ranOn[0] = null;
      second.await(); // the only worker is busy with the first task
      assertThat(ranOn[0]).isSameAs(Thread.currentThread());
      // a third, while a task waits for a worker: runs before aside returns
      Parallel.Aside waiting = Parallel.aside(() -> { });
      Parallel.Aside third = Parallel.aside(() -> ranOn[0] = null);
      assertThat(ranOn[0]).isNull();
      release.countDown();
      first.await();
      waiting.await();
      Parallel.Aside failing = Parallel.aside(() -> {
        throw new IllegalArgumentException("task failed");
      });
      assertThatThrownBy(failing::await).isInstanceOf(IllegalArgumentException.class).hasMessage("task failed");
    } finally {
      Parallel.setThreads(before);
    }
  }

  /** A worker slower than the caller's spin: the caller parks and must be woken. */
  @Test
  void callerWaitsForASlowWorker() {
    int before = Parallel.threads();
    try {
      Parallel.setThreads(2);
      AtomicIntegerArray seen = new AtomicIntegerArray(2);
      Parallel.forEachPart(2, part -> {
        if (part == 1) {
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        seen.incrementAndGet(part);
      });
      assertThat(seen.get(0) + seen.get(1)).isEqualTo(2);
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void workerFailureReachesTheCaller() {
    int before = Parallel.threads();
    try {
      Parallel.setThreads(2);
      assertThatThrownBy(() -> Parallel.forEachPart(2, part -> {
            if (part == 1) throw new IllegalStateException("boom");
          }))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("boom");
      // The pool still works afterwards.
      AtomicIntegerArray seen = new AtomicIntegerArray(2);
      Parallel.forEachPart(2, seen::incrementAndGet);
      assertThat(seen.get(0) + seen.get(1)).isEqualTo(2);
    } finally {
      Parallel.setThreads(before);
    }
  }

  @Test
  void nestedCallsRunInline() {
    AtomicIntegerArray seen = new AtomicIntegerArray(16);
    Parallel.forEachPart(4, outer -> Parallel.forEachPart(4, inner -> seen.incrementAndGet(outer * 4 + inner)));
    for (int i = 0; i < 16; i++) assertThat(seen.get(i)).isEqualTo(1);
  }
}
