package lmlab.kernels;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the JIT compilers have gone quiet: they worked under 2 % of the last window of at least
 * a given length. A speed read while C2 still compiles the vector kernels (tens of times slower
 * until it has, beside boxed fallbacks) is not the machine's, and on a busy machine compilation
 * can take seconds, so the speed alone may look settled too early. Where the VM does not report
 * compile time it always says quiet. One per measurement, fed its clock readings in order.
 */
public final class JitQuiet {
  private static final CompilationMXBean JIT = ManagementFactory.getCompilationMXBean();
  private static final boolean WATCHED = JIT != null && JIT.isCompilationTimeMonitoringSupported();

  private final long windowNanos;
  private long windowAt;
  private long windowJitMillis;
  private boolean quiet = !WATCHED;

  /** A watch whose first window starts at now (System.nanoTime) and lasts at least windowNanos. */
  public JitQuiet(long now, long windowNanos) {
    this.windowNanos = windowNanos;
    this.windowAt = now;
    this.windowJitMillis = WATCHED ? JIT.getTotalCompilationTime() : 0;
  }

  /** At now: once a window has passed, whether the compilers worked under 2 % of it; else as before. */
  public boolean at(long now) {
    if (WATCHED && now - windowAt >= windowNanos) {
      long ms = JIT.getTotalCompilationTime();
      quiet = ms - windowJitMillis < 0.02 * (now - windowAt) / 1e6;
      windowAt = now;
      windowJitMillis = ms;
    }
    return quiet;
  }
}
