package lmlab.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lmlab.kernels.Parallel;

/**
 * Reuses the large float buffers of one training step in the next.
 *
 * <p>Why: a step allocates the same activations and gradients every time (1.6 GB for the chargpt
 * bench). Left to the garbage collector they are still alive at most young collections, so they
 * are copied and promoted, and pauses reach a second per step. Inside {@link #open()}, the op
 * outputs that ask through {@link #zeroed} or {@link #scratch} come from free lists keyed by
 * length; when the scope closes every one of them goes back. After the first step a step allocates
 * (almost) nothing. This is PyTorch's caching-allocator idea, scoped to a step so that reuse has a
 * clear boundary.
 *
 * <p>The contract: nothing made inside a scope may be used after it closes, except through
 * buffers that were not taken from the arena (parameter gradients are plain copies, see {@link
 * Tensor#accumulateGrad}). Only the training loops open scopes. With {@code -Dlmlab.arena.check=true}
 * (set for the unit tests) every buffer is fresh and filled with NaN when its scope closes, and
 * {@link #scratch} buffers start as NaN, so a buffer that escapes its step, or a kernel that does
 * not write all of a scratch buffer, turns results into NaN instead of silently reading reused data.
 *
 * <p>The scope belongs to the thread that opened it; kernels' worker threads allocate normally.
 */
public final class Arena {
  /** Buffers below this many floats are left to the GC: cheap to allocate, small to copy. */
  static final int MIN_FLOATS = 1 << 12;

  private static final ThreadLocal<Arena> ACTIVE = new ThreadLocal<>();

  private final boolean check;
  private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
  private final List<float[]> taken = new ArrayList<>();
  private long reused;
  private long created;

  /** An arena that reuses buffers, or checks them when {@code -Dlmlab.arena.check=true}. */
  public Arena() {
    this(Boolean.getBoolean("lmlab.arena.check"));
  }

  /** check: never reuse; poison every buffer with NaN when its scope closes (and scratch ones at once). */
  public Arena(boolean check) {
    this.check = check;
  }

  /** An open step; closing it returns every buffer taken since {@link #open()}. */
  public final class Scope implements AutoCloseable {
    private boolean closed;

    @Override
    public void close() {
      if (closed) return;
      closed = true;
      ACTIVE.remove();
      release();
    }
  }

  /** Makes this arena the source of op buffers on the calling thread until the scope closes. */
  public Scope open() {
    if (ACTIVE.get() != null) throw new IllegalStateException("an arena scope is already open on this thread");
    ACTIVE.set(this);
    return new Scope();
  }

  /** A zero-filled buffer of n floats, from the open arena when there is one. */
  public static float[] zeroed(int n) {
    MemoryProbe.allocated(n);
    Arena a = n < MIN_FLOATS ? null : ACTIVE.get();
    if (a == null) return new float[n];
    float[] b = a.take(n);
    // A reused buffer is refilled on the pool: for the multi-megabyte gradients of a batch one
    // thread's pass would leave the others idle for a millisecond of each step.
    Parallel.forRange(b.length, FILL_GRAIN, (from, to) -> Arrays.fill(b, from, to, 0f));
    return b;
  }

  /** Floats per thread at least when a buffer is zero-filled on the pool. */
  private static final int FILL_GRAIN = 1 << 16;

  /**
   * A buffer of n floats whose every element the caller will write before reading (contents
   * undefined; NaN under the check mode).
   */
  public static float[] scratch(int n) {
    MemoryProbe.allocated(n);
    Arena a = n < MIN_FLOATS ? null : ACTIVE.get();
    if (a == null) return new float[n];
    float[] b = a.take(n);
    if (a.check) Arrays.fill(b, Float.NaN);
    return b;
  }

  /** A zero tensor of this shape whose buffer may come from the open arena. */
  public static Tensor zeros(int... shape) {
    Shape.check("zeros", shape);
    return Tensor.wrap(zeroed(Shape.numel(shape)), shape.clone());
  }

  /** Buffers handed out again rather than allocated, over this arena's life. */
  public long reused() {
    return reused;
  }

  /** Buffers allocated by this arena, over its life. */
  public long created() {
    return created;
  }

  private float[] take(int n) {
    float[] b = null;
    if (!check) {
      ArrayDeque<float[]> q = free.get(n);
      if (q != null) b = q.poll();
    }
    if (b == null) {
      b = new float[n];
      created++;
    } else {
      reused++;
    }
    taken.add(b);
    return b;
  }

  /**
   * Returns the step's buffers. Lengths the step did not use are dropped, so the arena holds about
   * one step's worth of memory even when shapes change (evaluation, a last partial batch).
   */
  private void release() {
    if (check) {
      for (float[] b : taken) Arrays.fill(b, Float.NaN);
      taken.clear();
      return;
    }
    Map<Integer, ArrayDeque<float[]>> kept = new HashMap<>();
    for (float[] b : taken) kept.computeIfAbsent(b.length, k -> new ArrayDeque<>()).add(b);
    taken.clear();
    for (var e : kept.entrySet()) {
      ArrayDeque<float[]> left = free.get(e.getKey());
      if (left != null) e.getValue().addAll(left);
    }
    free.clear();
    free.putAll(kept);
  }
}
