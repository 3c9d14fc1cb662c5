package lmlab.nn;

import java.util.ArrayDeque;

/**
 * Which module is running on this thread, for the analyser's instrumented forward pass
 * (lmlab.analysis.FlopCounter): modules that issue matrix products themselves ({@link Linear},
 * the recurrent cells) {@link #enter} around their forward while tracing is on. Off by default;
 * then a forward call pays one volatile read.
 */
public final class ModuleTrace {
  /** The modules entered on this thread (innermost last) and the most recently entered one. */
  public static final class Frames {
    private final ArrayDeque<Module> stack = new ArrayDeque<>();
    private Module last;

    /** The innermost module running, or null. */
    public Module current() {
      return stack.peekLast();
    }

    /** The module entered last, even when it has returned since, or null. */
    public Module last() {
      return last;
    }
  }

  private static final ThreadLocal<Frames> FRAMES = new ThreadLocal<>();
  private static volatile int tracing; // threads tracing; 0 = off

  private ModuleTrace() {}

  /** Starts tracing on this thread; returns the frames it records into. Nested calls share them. */
  public static synchronized Frames start() {
    Frames f = FRAMES.get();
    if (f == null) {
      f = new Frames();
      FRAMES.set(f);
      tracing++;
    }
    return f;
  }

  /** Stops tracing on this thread. */
  public static synchronized void stop() {
    if (FRAMES.get() != null) {
      FRAMES.remove();
      tracing--;
    }
  }

  static boolean on() {
    return tracing != 0;
  }

  /**
   * body's result, with m marked as running while it runs when this thread traces. When no
   * thread traces, one volatile read (the lambda is typically scalar-replaced by C2).
   */
  static <T> T traced(Module m, java.util.function.Supplier<T> body) {
    if (!on()) return body.get();
    enter(m);
    try {
      return body.get();
    } finally {
      exit();
    }
  }

  /** Marks m as running (until {@link #exit}) when this thread traces. */
  static void enter(Module m) {
    Frames f = FRAMES.get();
    if (f != null) {
      f.stack.addLast(m);
      f.last = m;
    }
  }

  static void exit() {
    Frames f = FRAMES.get();
    if (f != null && !f.stack.isEmpty()) f.stack.removeLast();
  }
}
