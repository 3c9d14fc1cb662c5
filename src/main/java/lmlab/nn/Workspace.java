package lmlab.nn;

import java.util.IdentityHashMap;
import lmlab.nn.weights.ProductGroup;

/**
 * The buffers and product groups of one decoding state, kept per layer so a step allocates nothing
 * after the first: {@link #floats} (a scratch array per layer and slot, grown on demand) and
 * {@link #group} (the matrix-vector products of a single row, bound to those buffers). A forked
 * state gets a new workspace, so two states can step on different threads.
 */
public final class Workspace {
  private static final int SLOTS = 8;
  private final IdentityHashMap<Object, Object[]> byOwner = new IdentityHashMap<>();

  private Object[] slots(Object owner) {
    Object[] s = byOwner.get(owner);
    if (s == null) {
      s = new Object[SLOTS];
      byOwner.put(owner, s);
    }
    return s;
  }

  /** A buffer of at least n floats, owner's own for slot (contents are whatever the last use left). */
  public float[] floats(Object owner, int slot, int n) {
    Object[] s = slots(owner);
    if (!(s[slot] instanceof float[] a) || a.length < n) {
      float[] fresh = new float[Math.max(n, 1)];
      s[slot] = fresh;
      return fresh;
    }
    return a;
  }

  /**
   * owner's group in slot when there is one whose first output is firstOutput (the buffers it was
   * bound to), else null: the caller then builds one and {@link #keep}s it.
   */
  public ProductGroup group(Object owner, int slot, float[] firstOutput) {
    Object[] s = slots(owner);
    return s[slot] instanceof ProductGroup g && g.output(0) == firstOutput ? g : null;
  }

  /** Stores g as owner's group in slot and returns it. */
  public ProductGroup keep(Object owner, int slot, ProductGroup g) {
    slots(owner)[slot] = g;
    return g;
  }
}
