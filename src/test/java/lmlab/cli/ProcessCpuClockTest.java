package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The benches' process CPU clock advances with work, and on Linux in steps far below a scheduler tick (10 ms). */
class ProcessCpuClockTest {
  @Test
  void advancesInSmallStepsOnLinux() {
    long start = ProcessCpuClock.nanos();
    double sink = 0;
    for (int i = 0; i < 20_000_000; i++) sink += Math.sqrt(i);
    assertThat(sink).isPositive();
    assertThat(ProcessCpuClock.nanos()).isGreaterThan(start);
    Assumptions.assumeTrue(System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux"));
    // other threads (the JIT, GC) count too, so some steps are long: the shortest must be far below a tick
    long least = Long.MAX_VALUE;
    long a = ProcessCpuClock.nanos();
    for (int i = 0; i < 1000; i++) {
      long b;
      while ((b = ProcessCpuClock.nanos()) == a) Thread.onSpinWait();
      least = Math.min(least, b - a);
      a = b;
    }
    assertThat(least).isLessThan(1_000_000L);
  }
}
