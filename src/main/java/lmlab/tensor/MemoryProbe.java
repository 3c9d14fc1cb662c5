package lmlab.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's own count of the memory it hands out (text.md, "Memory and time per iteration"):
 * every float buffer an op, a kernel or a gradient asks for ({@link Arena#zeroed},
 * {@link Arena#scratch}, {@link Tensor#zeros} and the other factories, the first copy of a
 * parameter gradient) adds its bytes to the open {@link Meter}, whichever thread asks; kernels that
 * keep buffers for their backward pass name them with {@link #kept}. JVM heap figures are not used:
 * they depend on the collector, not on what the engine needs.
 *
 * <p>Off by default, when an allocation pays one volatile read. One meter is open at a time in the
 * process (the trainer opens one around each update).
 */
public final class MemoryProbe {
  /** A tensor a kernel keeps alive past its return (for backward, or its output). */
  public record Kept(String name, int[] shape, long bytes) {}

  private static volatile Meter open;

  private MemoryProbe() {}

  /** Bytes handed out while it was open, and the kept tensors reported on the opening thread. */
  public static final class Meter implements AutoCloseable {
    private final LongAdder bytes = new LongAdder();
    private final Thread owner = Thread.currentThread();
    private final List<Kept> kept = new ArrayList<>();

    /** Bytes allocated by the engine since the meter opened (all threads). */
    public long bytes() {
      return bytes.sum();
    }

    /** The kept tensors reported so far, in order. */
    public List<Kept> kept() {
      return kept;
    }

    @Override
    public void close() {
      synchronized (MemoryProbe.class) {
        if (open == this) open = null;
      }
    }
  }

  /** Opens the process's meter (an error when one is open). */
  public static Meter open() {
    synchronized (MemoryProbe.class) {
      if (open != null) throw new IllegalStateException("a memory meter is already open");
      Meter m = new Meter();
      open = m;
      return m;
    }
  }

  /** The open meter, or null. */
  public static Meter meter() {
    return open;
  }

  /** Counts a buffer of n floats handed out by the engine. */
  static void allocated(long floats) {
    Meter m = open;
    if (m != null) m.bytes.add(floats * Float.BYTES);
  }

  /** A kernel keeps this tensor of shape past its return; recorded when the opening thread reports it. */
  public static void kept(String name, int[] shape) {
    Meter m = open;
    if (m == null || Thread.currentThread() != m.owner) return;
    m.kept.add(new Kept(name, shape.clone(), Shape.numel(shape) * (long) Float.BYTES));
  }
}
