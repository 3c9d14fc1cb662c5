package lmlab.analysis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lmlab.nn.Module;
import lmlab.nn.ModuleTrace;
import lmlab.tensor.ProductProbe;
import lmlab.tensor.Tensor;

/**
 * The engine's instrumented run mode: while a counter is open on a thread, every forward matrix
 * product ({@code matmul}, {@code linear}) issued there is recorded with 2·a·b·c FLOPs per
 * (a × b)·(b × c) product and attributed to the module that issued it, by its dotted path under
 * the root given to {@link #open(Module)} ({@code model.layers.0.self_attn.q_proj}).
 *
 * <pre>
 * try (FlopCounter c = FlopCounter.open(model)) {
 *   model.forward(tokens);
 *   long flops = c.total();
 * }
 * </pre>
 *
 * Elementwise work the closed forms count (the linear-time mixers' state updates and convolution)
 * is reported by the kernels that do it and recorded as such.
 *
 * <p>Attribution: the innermost running {@link lmlab.nn.Linear} or recurrent cell (they mark
 * themselves while tracing is on); a product issued directly by another module's code (the
 * attention's q·kᵀ and A·V, a tied head) goes to the innermost module class on the call stack,
 * found among the ancestors of the module entered last (so attention products land on
 * {@code ...self_attn}). A linear whose weight is a parameter of another module is labelled with
 * that parameter too ({@code (model) [model.embed_tokens.weight]}). Products on other threads are
 * not counted; when no counter is open the engine pays one volatile read per product.
 */
public final class FlopCounter implements AutoCloseable {
  /**
   * One recorded product: count × (m × k)·(k × n), issued by module; or, when elementwise, count
   * FLOPs of elementwise work that the closed forms count (a recurrent state update, a depthwise
   * convolution: ProductProbe.reportElementwise).
   */
  public record Product(String module, String op, long count, long m, long k, long n, boolean elementwise) {
    public Product(String module, String op, long count, long m, long k, long n) {
      this(module, op, count, m, k, n, false);
    }

    public long flops() {
      return elementwise ? count : 2L * count * m * k * n;
    }
  }

  private final Map<Module, String> paths = new IdentityHashMap<>();
  private final Map<String, Module> byPath = new LinkedHashMap<>();
  private final Map<Tensor, String> parameterNames = new IdentityHashMap<>();
  private final Map<Tensor, String> parameterOwners = new IdentityHashMap<>();
  private final List<Product> products = new ArrayList<>();
  private final ProductProbe.Listener previous;
  private final ModuleTrace.Frames frames;
  private final Thread owner = Thread.currentThread();
  private boolean closed;

  private FlopCounter(Module root) {
    if (root != null) {
      for (var e : root.namedModules().entrySet()) {
        paths.put(e.getValue(), e.getKey());
        byPath.put(e.getKey(), e.getValue());
        for (var p : e.getValue().ownParameters().entrySet()) {
          String name = e.getKey().isEmpty() ? p.getKey() : e.getKey() + "." + p.getKey();
          parameterNames.putIfAbsent(p.getValue(), name);
          parameterOwners.putIfAbsent(p.getValue(), e.getKey());
        }
      }
    }
    this.frames = ModuleTrace.start();
    this.previous = ProductProbe.install(new ProductProbe.Listener() {
      @Override
      public void product(String op, long count, long m, long k, long n, Tensor weight) {
        record(op, count, m, k, n, weight);
      }

      @Override
      public void elementwise(String op, long flops) {
        products.add(new Product(attribute(), op, flops, 1, 1, 1, true));
      }
    });
  }

  /** Counts on this thread; modules are named by class (no root to name them from). */
  public static FlopCounter open() {
    return new FlopCounter(null);
  }

  /** Counts on this thread, naming modules by their path under root. */
  public static FlopCounter open(Module root) {
    return new FlopCounter(root);
  }

  private void record(String op, long count, long m, long k, long n, Tensor weight) {
    String module = attribute();
    if (weight != null) {
      String owner = parameterOwners.get(weight);
      if (owner != null && !label(owner).equals(module)) module = module + " [" + parameterNames.get(weight) + "]";
    }
    products.add(new Product(module, op, count, m, k, n));
  }

  private String attribute() {
    Module current = frames.current();
    if (current != null) return name(current);
    Optional<Class<?>> issuer = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
        .walk(s -> s.<Class<?>>map(StackWalker.StackFrame::getDeclaringClass)
            .filter(Module.class::isAssignableFrom).findFirst());
    if (issuer.isEmpty()) return "(outside any module)";
    Class<?> cls = issuer.get();
    Module last = frames.last();
    String path = last == null ? null : paths.get(last);
    while (path != null) {
      Module m = byPath.get(path);
      if (m != null && m.getClass() == cls) return label(path);
      path = path.isEmpty() ? null : path.contains(".") ? path.substring(0, path.lastIndexOf('.')) : "";
    }
    return cls.getSimpleName();
  }

  private String name(Module m) {
    String p = paths.get(m);
    return p == null ? m.getClass().getSimpleName() : label(p);
  }

  private static String label(String path) {
    return path.isEmpty() ? "(model)" : path;
  }

  /** Every product recorded so far, in order. */
  public List<Product> products() {
    return Collections.unmodifiableList(products);
  }

  /** The FLOPs recorded so far. */
  public long total() {
    long t = 0;
    for (Product p : products) t += p.flops();
    return t;
  }

  /** FLOPs by module, in the order first seen. */
  public Map<String, Long> byModule() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Product p : products) out.merge(p.module(), p.flops(), Long::sum);
    return out;
  }

  /** FLOPs of the modules whose label starts with prefix. */
  public long total(String prefix) {
    long t = 0;
    for (Product p : products) if (p.module().startsWith(prefix)) t += p.flops();
    return t;
  }

  @Override
  public void close() {
    if (closed) return;
    if (Thread.currentThread() != owner) throw new IllegalStateException("FlopCounter closed on another thread");
    closed = true;
    ProductProbe.restore(previous);
    if (previous == null) ModuleTrace.stop(); // the outermost counter on this thread ends the tracing
  }
}
