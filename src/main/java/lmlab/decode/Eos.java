package lmlab.decode;

import java.util.Arrays;
import java.util.Collection;

/**
 * The token ids that end a sequence (none, one, or several: Qwen2.5-Instruct stops at 151645 and
 * 151643). A sequence that picks one ends with it.
 */
public record Eos(int[] ids) {
  public static final Eos NONE = new Eos(new int[0]);

  public Eos {
    ids = ids.clone();
  }

  /** One id, or {@link #NONE} for -1. */
  public static Eos of(int id) {
    if (id < -1) throw new IllegalArgumentException("generate: eos " + id + " is not a token id (or -1 for none)");
    return id == -1 ? NONE : new Eos(new int[] {id});
  }

  public static Eos of(Collection<Integer> ids) {
    return new Eos(ids.stream().mapToInt(Integer::intValue).toArray());
  }

  public boolean matches(int token) {
    for (int id : ids) if (id == token) return true;
    return false;
  }

  /** Every id in [0, vocab). */
  public void check(int vocab) {
    for (int id : ids) {
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException("generate: eos " + id + " is not a token id in [0, " + vocab + ") (or -1 for none)");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Eos e && Arrays.equals(ids, e.ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids);
  }

  @Override
  public String toString() {
    return "Eos" + Arrays.toString(ids);
  }
}
