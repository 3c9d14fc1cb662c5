package lmlab.tensor;

/**
 * Reports every forward matrix product ({@code matmul}, {@code linear}) to a listener installed on
 * the current thread: the instrumented run mode of the model analyser (lmlab.analysis.FlopCounter).
 * Off by default; then a product pays one volatile read. Backward products are not reported.
 */
public final class ProductProbe {
  /** One product: {@code count} independent (m × k)·(k × n) products, 2·count·m·k·n FLOPs. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param op "matmul" or "linear"
     * @param weight the weight of a linear (W, out × in), else null
     */
    void product(String op, long count, long m, long k, long n, Tensor weight);

    /**
     * Elementwise work the analyser counts (analysis.md: a recurrent state update counts each
     * multiply and each add once; a depthwise convolution its multiplies and adds); ignored by default.
     */
    default void elementwise(String op, long flops) {}
  }

  private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();
  private static volatile int installed; // threads with a listener; 0 = the probe is off

  private ProductProbe() {}

  /** Installs listener on this thread (null removes it); returns the previous one, for {@link #restore}. */
  public static synchronized Listener install(Listener listener) {
    Listener previous = LISTENER.get();
    if (previous == null && listener != null) installed++;
    if (previous != null && listener == null) installed--;
    if (listener == null) LISTENER.remove();
    else LISTENER.set(listener);
    return previous;
  }

  /** Puts back what {@link #install} returned. */
  public static void restore(Listener previous) {
    install(previous);
  }

  /** Whether some thread listens: the one check a product pays when nobody does. */
  public static boolean active() {
    return installed != 0;
  }

  /**
   * Reports count (m × k)·(k × n) products to this thread's listener, if any. Kernels that multiply
   * outside {@code matmul}/{@code linear} (the fused attention) call it with what they compute.
   */
  public static void report(String op, long count, long m, long k, long n, Tensor weight) {
    Listener l = LISTENER.get();
    if (l != null) l.product(op, count, m, k, n, weight);
  }

  /** Reports flops of elementwise work (see {@link Listener#elementwise}) to this thread's listener, if any. */
  public static void reportElementwise(String op, long flops) {
    Listener l = LISTENER.get();
    if (l != null) l.elementwise(op, flops);
  }
}
