package lmlab.nn;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.MemoryProbe;

/**
 * Per-layer time and memory of {@link MultiHeadAttention#forward} while a meter is open on the
 * calling thread (text.md, "Memory and time per iteration"), one {@link Layer} per forward call:
 * <ul>
 *   <li>{@code kvBytes}: K and V after projection and RoPE, from the tensors' own sizes;
 *   <li>{@code coreBytes}: what the engine hands out inside the attention core (from q·kᵀ to A·V,
 *       counted by the open {@link MemoryProbe.Meter}); the step's arena frees nothing before the
 *       step ends, so all of it is still alive when the core returns, and the fused kernel keeps
 *       exactly its output and the rows' log-sum-exp for backward ({@code kept});
 *   <li>{@code nanos}: wall time of the whole module forward (projections, RoPE, core, o_proj), as
 *       the course starter times {@code self.attn(self.ln_1(x))}.
 * </ul>
 * Closed (the default), a forward pays one thread-local read.
 */
public final class AttentionMeter implements AutoCloseable {
  /** One attention forward. kept: the tensors the core reported keeping (name, shape, bytes). */
  public record Layer(long kvBytes, long coreBytes, long nanos, List<MemoryProbe.Kept> kept) {}

  private static final ThreadLocal<AttentionMeter> OPEN = new ThreadLocal<>();

  private final List<Layer> layers = new ArrayList<>();

  private AttentionMeter() {}

  /** Opens a meter on this thread (an error when one is open). */
  public static AttentionMeter open() {
    if (OPEN.get() != null) throw new IllegalStateException("an attention meter is already open on this thread");
    AttentionMeter m = new AttentionMeter();
    OPEN.set(m);
    return m;
  }

  static AttentionMeter current() {
    return OPEN.get();
  }

  void add(Layer layer) {
    layers.add(layer);
  }

  /** The forward calls measured so far, in order (one per layer per forward pass). */
  public List<Layer> layers() {
    return layers;
  }

  @Override
  public void close() {
    if (OPEN.get() == this) OPEN.remove();
  }
}
