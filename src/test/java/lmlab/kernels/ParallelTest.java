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
