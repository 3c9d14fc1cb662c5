package lmlab.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The read-bandwidth roofline: how fast the cores can stream a float array that does not fit in
 * their caches, doing nothing with it but add it up. Batch-1 decoding reads every weight once per
 * token and does two flops per 4-byte weight, far below the FMA peak, so this number — not {@link
 * FmaPeak} — is its ceiling; `lmlab bench memory` reports it and `bench generate` divides it by the
 * weight bytes per token.
 */
public final class StreamRead {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** A timed round lasts at least this long (passes double until it does), so waking a thread is noise in it. */
  static final long ROUND_NANOS = 2_000_000;
  /** At most this long beyond the requested seconds waiting for the rate to stop rising. */
  static final long SETTLE_MAX_NANOS = 10_000_000_000L;
  /** The largest array a Java float[] can hold, in bytes. */
  public static final long MAX_BYTES = 4L * (Integer.MAX_VALUE - 16);

  /** Calls of {@link #sum} on a small array before each measurement. */
  static final int COMPILE_CALLS = 10_000;

  private StreamRead() {}

  /**
   * Before every measurement, COMPILE_CALLS short calls of sum (a millisecond once compiled): enough
   * for HotSpot to queue its optimising compilation (an OSR of one long call is not: the next call
   * starts interpreted again), and again if the process has since thrown that code away. Until C2
   * has compiled it, the Vector API runs tens of times slower; the timed rounds then wait for the
   * rate to settle and the JIT to go quiet.
   */
  private static void compile() {
    float[] small = new float[64 * L + L + 3]; // every loop of sum runs, so no path is left uncompiled
    float s = 0;
    for (int i = 0; i < COMPILE_CALLS; i++) s += sum(small, 0, small.length);
    if (Float.isNaN(s)) throw new IllegalStateException("stream read produced NaN");
  }

  /**
   * a[from] + ... + a[to - 1], with eight independent vector accumulators: one accumulator would
   * wait on the add latency after every load (4 cycles), eight keep two loads per cycle in flight, so
   * only the memory limits the loop. The order of the additions is fixed (not that of a scalar loop).
   */
  public static float sum(float[] a, int from, int to) {
    FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int i = from;
    for (; i <= to - 8 * L; i += 8 * L) {
      s0 = s0.add(FloatVector.fromArray(S, a, i));
      s1 = s1.add(FloatVector.fromArray(S, a, i + L));
      s2 = s2.add(FloatVector.fromArray(S, a, i + 2 * L));
      s3 = s3.add(FloatVector.fromArray(S, a, i + 3 * L));
      s4 = s4.add(FloatVector.fromArray(S, a, i + 4 * L));
      s5 = s5.add(FloatVector.fromArray(S, a, i + 5 * L));
      s6 = s6.add(FloatVector.fromArray(S, a, i + 6 * L));
      s7 = s7.add(FloatVector.fromArray(S, a, i + 7 * L));
    }
    for (; i <= to - L; i += L) s0 = s0.add(FloatVector.fromArray(S, a, i));
    float s = Lanes.sum(s0.add(s1).add(s2.add(s3)).add(s4.add(s5).add(s6.add(s7))));
    for (; i < to; i++) s += a[i];
    return s;
  }

  /**
   * The best read bandwidth (bytes per second) of `threads` threads streaming a float array of
   * `bytes` (rounded up to whole floats) over and over for about `seconds`: each thread sums its
   * own fixed contiguous part — the same part every pass, as each weight row of a decoding step is
   * read by one thread — so the array's bytes are read once per pass. The best of many short
   * rounds, because the host's speed moves from minute to minute and a late-waking thread spoils a
   * round. It lasts at least `seconds`, and goes on until the best has not risen by 2 % for
   * `seconds` (at most SETTLE_MAX_NANOS more): until the loop is compiled, rounds are tens of times
   * slower.
   *
   * @throws IllegalArgumentException when bytes is out of [1, MAX_BYTES], threads is out of [1,
   *     Parallel.threads()] (more would not run at once) or seconds is not positive
   */
  public static double bytesPerSecond(long bytes, int threads, double seconds) {
    return bytesPerSecond(bytes, threads, seconds, 0);
  }

  /**
   * The same with the array's data starting offset floats past a cache line ({@link Aligned}):
   * 0 is the ceiling; any other offset in [1, {@link Aligned#LINE}) makes every vector load of a
   * 512-bit machine straddle two lines, which shows what alignment is worth.
   *
   * @throws IllegalArgumentException also when offset is out of [0, Aligned.LINE)
   */
  public static double bytesPerSecond(long bytes, int threads, double seconds, int offset) {
    if (offset < 0 || offset >= Aligned.LINE) {
      throw new IllegalArgumentException("offset must be in [0, " + (Aligned.LINE - 1) + "] floats, got " + offset);
    }
    if (bytes < 1 || bytes > MAX_BYTES) throw new IllegalArgumentException("bytes must be in [1, " + MAX_BYTES + "], got " + bytes);
    if (threads < 1 || threads > Parallel.threads()) {
      throw new IllegalArgumentException("threads must be in [1, " + Parallel.threads() + "], got " + threads);
    }
    if (!(seconds > 0)) throw new IllegalArgumentException("seconds must be > 0, got " + seconds);
    compile();
    int n = (int) ((bytes + 3) / 4);
    // the data starts on a cache line (Aligned), as the decoding weights do: a vector load that
    // straddles two lines is slower, and the ceiling is the aligned read
    float[] a = new float[n + 2 * Aligned.LINE];
    int at = Aligned.offset(a) + offset;
    for (int i = 0; i < a.length; i++) a[i] = i & 7; // touch every page before timing
    // parts start at multiples of 16 floats (64 bytes): two threads share at most one cache line
    int[] cut = new int[threads + 1];
    cut[0] = at;
    for (int t = 1; t < threads; t++) cut[t] = at + ((int) ((long) n * t / threads) & -16);
    cut[threads] = at + n;
    float[] sink = new float[threads];
    double bestLong = 0; // the best rate of rounds that lasted ROUND_NANOS or more
    double bestAny = 0; // of all rounds: only used when no round was long enough
    long passes = 1;
    long start = System.nanoTime();
    long span = (long) (seconds * 1e9);
    long improved = start; // when bestLong last rose by 2 % or more
    JitQuiet jit = new JitQuiet(start, span);
    for (int rounds = 0; ; rounds++) {
      long p = passes;
      long t0 = System.nanoTime();
      Parallel.forEachPart(threads, t -> {
        float s = 0;
        for (long i = 0; i < p; i++) s += sum(a, cut[t], cut[t + 1]);
        sink[t] += s;
      });
      long now = System.nanoTime();
      double rate = 4.0 * n * p / (Math.max(1, now - t0) / 1e9);
      bestAny = Math.max(bestAny, rate);
      if (now - t0 >= ROUND_NANOS) {
        if (rate > bestLong * 1.02) improved = now;
        bestLong = Math.max(bestLong, rate);
      } else {
        // more passes per round until a round takes milliseconds: then a thread's wake-up and the
        // timer's resolution are noise in it
        passes = 2 * p;
      }
      boolean jitQuiet = jit.at(now);
      // at least `seconds`, and on until the best has not risen for `seconds` and the JIT worked
      // under 2 % of the last `seconds`: the loop is compiled only after it has run a while, on a
      // busy machine the compiler may take long to finish, and a rate taken before it has (a bench
      // generate run once settled at 1.7 GB/s, the speed of uncompiled vector code) is not the machine's
      boolean settled = now - start >= span && now - improved >= span && jitQuiet;
      if (rounds >= 2 && (settled || now - start >= span + SETTLE_MAX_NANOS)) break;
    }
    if (Float.isNaN(sink[0])) throw new IllegalStateException("stream read produced NaN");
    return bestLong > 0 ? bestLong : bestAny;
  }
}
