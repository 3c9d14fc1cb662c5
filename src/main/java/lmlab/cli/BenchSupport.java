package lmlab.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Map;
import lmlab.kernels.JitQuiet;

/** What every bench command shares: median timing after warm-up, allocation counting, JSON lines. */
final class BenchSupport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BenchSupport() {}

  // Adaptive warm-up bounds (see warmUp).
  static final long WARMUP_NANOS = 500_000_000L;
  static final long SETTLE_NANOS = 1_000_000_000L;
  static final long WARMUP_MAX_NANOS = 20_000_000_000L;

  /**
   * Untimed calls until the speed has settled: at least minCalls calls and WARMUP_NANOS, and until
   * no call has been a new best (by 5%) for five calls and SETTLE_NANOS, and the JIT compilers
   * worked less than 2 % of the last SETTLE_NANOS or more (where the VM reports compile time); at
   * most WARMUP_MAX_NANOS. A fixed count is not enough: on a busy machine C2 may take seconds to
   * compile the vector kernels, and until then a call runs tens of times slower, beside boxed
   * fallbacks that allocate gigabytes per second; noise can hide the gain still to come, so the
   * speed alone can look settled while C2 still compiles. minCalls = 0 skips warm-up.
   */
  static void warmUp(int minCalls, Runnable call) {
    if (minCalls == 0) return;
    long start = System.nanoTime();
    long best = Long.MAX_VALUE;
    long bestAt = start;
    int calls = 0, sinceBest = 0;
    JitQuiet jit = new JitQuiet(start, SETTLE_NANOS);
    while (true) {
      long t0 = System.nanoTime();
      call.run();
      long now = System.nanoTime();
      calls++;
      if (now - t0 < best * 0.95) {
        best = now - t0;
        bestAt = now;
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      boolean jitQuiet = jit.at(now);
      if (calls < minCalls) continue;
      boolean settled = sinceBest >= 5 && now - bestAt >= SETTLE_NANOS && jitQuiet;
      if (now - start >= WARMUP_NANOS && settled) return;
      if (now - start >= WARMUP_MAX_NANOS) return;
    }
  }

  /** Median wall time in seconds of one call of body, after the adaptive warm-up. */
  static double medianSeconds(int warmup, int reps, Runnable body) {
    return timeCalls(warmup, reps, 0, body).medianSeconds();
  }

  /**
   * Median CPU time of the whole process (every thread, spinning workers and GC included) per
   * call of body, in seconds, no warm-up: on a machine shared with other jobs it moves less than
   * wall time. The clock is {@link ProcessCpuClock} (nanoseconds where the platform allows).
   */
  static double medianCpuSeconds(int reps, Runnable body) {
    return median(reps, ProcessCpuClock::nanos, body);
  }

  /** Median over reps calls of body of the change in clock (nanoseconds), in seconds. */
  private static double median(int reps, java.util.function.LongSupplier clock, Runnable body) {
    double[] t = new double[reps];
    for (int i = 0; i < reps; i++) {
      long start = clock.getAsLong();
      body.run();
      t[i] = (clock.getAsLong() - start) / 1e9;
    }
    return median(t, reps);
  }

  /** A timing of many calls: their median wall time in seconds and how many calls were timed. */
  record Timing(double medianSeconds, int calls) {}

  /**
   * Wall time of one call of body, after the adaptive warm-up: the median over at least minCalls
   * timed calls and as many more as fit in minNanos of timing. A fixed small count is not enough
   * for a call of a millisecond: ten calls are 10 ms of timing, and one stall of the other core
   * (another process, a late compile) in that window moves the median; over a second of calls
   * such a stall is a few outliers at the top, which the median ignores. Every timed call counts
   * (no best-of).
   */
  static Timing timeCalls(int warmup, int minCalls, long minNanos, Runnable body) {
    warmUp(warmup, body);
    double[] t = new double[Math.max(16, minCalls)];
    int calls = 0;
    long start = System.nanoTime();
    long now = start;
    while (calls < minCalls || now - start < minNanos) {
      if (calls == t.length) t = Arrays.copyOf(t, 2 * t.length);
      long t0 = System.nanoTime();
      body.run();
      now = System.nanoTime();
      t[calls++] = (now - t0) / 1e9;
    }
    return new Timing(median(t, calls), calls);
  }

  /**
   * The median over rounds of t[round] / base[round]: each measurement against the base measured
   * in the same round, so a slow stretch of a shared machine moves both sides of one ratio.
   */
  static double pairedRatio(double[] t, double[] base) {
    return median(pairedRatios(t, base));
  }

  /** t[round] / base[round] for every round, in order: the ratios {@link #pairedRatio} takes the median of. */
  static double[] pairedRatios(double[] t, double[] base) {
    double[] r = new double[t.length];
    for (int i = 0; i < t.length; i++) r[i] = t[i] / base[i];
    return r;
  }

  /** Median of values (not modified), at least one. */
  static double median(double[] values) {
    return median(values.clone(), values.length);
  }

  /** Median of t[0..n), n >= 1 (sorts that part of t). */
  private static double median(double[] t, int n) {
    Arrays.sort(t, 0, n);
    return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  }

  /** Bytes allocated on the heap by all live threads so far (HotSpot's per-thread counters). */
  static long allocatedBytes() {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long[] ids = mx.getAllThreadIds();
    long sum = 0;
    for (long b : mx.getThreadAllocatedBytes(ids)) if (b > 0) sum += b;
    return sum;
  }

  /** Mean bytes allocated by one call of body (over reps calls). */
  static long allocatedPerCall(int reps, Runnable body) {
    long before = allocatedBytes();
    for (int i = 0; i < reps; i++) body.run();
    return (allocatedBytes() - before) / reps;
  }

  /** Four significant digits: 312.4, but also 0.003512 for a tiny measurement. */
  static double fourDigits(double v) {
    if (!Double.isFinite(v) || v == 0) return v;
    return new BigDecimal(v).round(new MathContext(4)).doubleValue();
  }

  /** Prints one JSON object on its own line and flushes, so a pipe sees each result at once. */
  static void printJson(PrintWriter out, Map<String, Object> row) {
    try {
      out.println(JSON.writeValueAsString(row));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.flush();
  }
}
