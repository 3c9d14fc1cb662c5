package lmlab.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The CPU time of the whole process (every thread, ended ones included) in nanoseconds, for the
 * benches' cpu_seconds. On Linux it is clock_gettime(CLOCK_PROCESS_CPUTIME_ID) through the FFM
 * API: the management bean's process CPU time counts in scheduler ticks (10 ms), which rounds a
 * short decoding run to 0 or to a tick. Elsewhere (or without native access) it is that bean.
 */
final class ProcessCpuClock {
  private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
  private static final MethodHandle CLOCK_GETTIME = load();

  private ProcessCpuClock() {}

  private static MethodHandle load() {
    try {
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) return null;
      if (!"amd64".equals(System.getProperty("os.arch")) && !"aarch64".equals(System.getProperty("os.arch"))) return null;
      Linker linker = Linker.nativeLinker();
      var sym = linker.defaultLookup().find("clock_gettime");
      if (sym.isEmpty()) return null;
      return linker.downcallHandle(sym.get(),
          FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    } catch (Throwable t) { // no native access, unknown platform: the bean
      return null;
    }
  }

  /** The process's CPU time so far, in nanoseconds. */
  static long nanos() {
    if (CLOCK_GETTIME != null) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment ts = arena.allocate(16, 8); // struct timespec on 64-bit Linux: tv_sec, tv_nsec
        if ((int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, ts) == 0) {
          return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
        }
      } catch (Throwable t) {
        // fall through to the bean
      }
    }
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os.getProcessCpuTime();
  }
}
