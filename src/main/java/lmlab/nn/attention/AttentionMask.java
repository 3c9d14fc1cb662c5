package lmlab.nn.attention;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lmlab.tensor.Tensor;

/**
 * Which keys j a query t may see (layers.md, "Masks"). Every mask is causal (j <= t); a custom
 * predicate or matrix is intersected with the causal mask.
 *
 * <p>The structured masks (causal, sliding, dilated, block_local) see an arithmetic progression of
 * keys ending on the diagonal: {@code first(t), first(t) + stride(), ..., t}. The attention
 * kernels use that to touch only the visible keys (O(S · visible keys)), and the KV cache to keep
 * only the keys a present or future query can still see ({@link #held}).
 */
public abstract sealed class AttentionMask
    permits AttentionMask.Causal, AttentionMask.Sliding, AttentionMask.Dilated, AttentionMask.BlockLocal,
        AttentionMask.Custom {

  /** A user predicate over (query t, key j). */
  @FunctionalInterface
  public interface Predicate {
    boolean allowed(int t, int j);
  }

  AttentionMask() {}

  /** Whether query t may see key j (always false for j > t). */
  public abstract boolean allowed(int t, int j);

  /** True for causal, sliding, dilated and block_local: visible keys form a progression. */
  public boolean structured() {
    return true;
  }

  /** Distance between consecutive visible keys (dilation for dilated masks, else 1). */
  public int stride() {
    return 1;
  }

  /** The smallest key query t sees (structured masks only). */
  public int first(int t) {
    throw new UnsupportedOperationException(spec() + ": a custom mask has no key progression");
  }

  /** n_t, the number of keys query t may see (>= 1: the diagonal is always visible). */
  public int count(int t) {
    return (t - first(t)) / stride() + 1;
  }

  /**
   * The number of most recent keys a KV cache must hold after {@code seen} tokens so that every
   * present or future query finds its keys (layers.md, "KV cache").
   */
  public abstract int held(int seen);

  /**
   * Upper bound of {@link #held} over all sequence lengths, or {@link Integer#MAX_VALUE} when the
   * cache grows with the sequence (causal, custom).
   */
  public abstract int maxHeld();

  /** The configuration string, e.g. {@code sliding(4)}; {@link #parse} reads it back. */
  public abstract String spec();

  @Override
  public String toString() {
    return spec();
  }

  /** (S, S) float matrix, 1 where allowed(t, j), else 0. */
  public Tensor dense(int s) {
    float[] m = new float[s * s];
    for (int t = 0; t < s; t++) {
      for (int j = 0; j <= t; j++) if (allowed(t, j)) m[t * s + j] = 1f;
    }
    return Tensor.of(m, s, s);
  }

  // ---------------------------------------------------------------- factories

  public static AttentionMask causal() {
    return Causal.INSTANCE;
  }

  /** {@code sliding(w)}: t - floor(w/2) <= j <= t. */
  public static AttentionMask sliding(int window) {
    return new Sliding(window);
  }

  /** {@code dilated(window, dilation)}: j = t - dilation·k, k = 0 .. window/dilation - 1. */
  public static AttentionMask dilated(int window, int dilation) {
    return new Dilated(window, dilation);
  }

  /**
   * {@code block_local(n)} over a context window of S_max = maxPositions tokens: blocks of
   * b = ceil(S_max / n) tokens; t sees the j <= t of its own block.
   */
  public static AttentionMask blockLocal(int nBlocks, int maxPositions) {
    return new BlockLocal(nBlocks, maxPositions);
  }

  /** A custom mask from a predicate (intersected with causal); name is used in messages. */
  public static AttentionMask custom(String name, Predicate allowed) {
    return new Custom(name, allowed, -1);
  }

  /**
   * A custom mask from a boolean matrix allowed[t][j] (intersected with causal); queries beyond
   * its size are an error.
   */
  public static AttentionMask custom(boolean[][] allowed) {
    int n = allowed.length;
    boolean[][] copy = new boolean[n][];
    for (int t = 0; t < n; t++) {
      if (allowed[t] == null || allowed[t].length != n) {
        throw new IllegalArgumentException("custom mask: the matrix must be square (S, S); row " + t + " has "
            + (allowed[t] == null ? "no" : allowed[t].length) + " entries, expected " + n);
      }
      copy[t] = allowed[t].clone();
    }
    return new Custom("custom(" + n + "x" + n + ")", (t, j) -> copy[t][j], n);
  }

  private static final Pattern CALL = Pattern.compile("\\s*([a-z_]+)\\s*(?:\\(([^)]*)\\))?\\s*");

  /**
   * Reads {@code causal}, {@code sliding(w)}, {@code dilated(window,dilation)} or
   * {@code block_local(n)}; maxPositions (S_max) is needed by block_local only.
   *
   * @throws IllegalArgumentException naming the spec and what was expected
   */
  public static AttentionMask parse(String spec, int maxPositions) {
    if (spec == null) throw new IllegalArgumentException("mask: expected causal, sliding(w), dilated(window,dilation) or block_local(n), got null");
    Matcher m = CALL.matcher(spec.toLowerCase(Locale.ROOT));
    if (!m.matches()) throw unknown(spec);
    String name = m.group(1);
    String args = m.group(2);
    int[] a = args == null ? new int[0] : ints(spec, args);
    return switch (name) {
      case "causal" -> {
        if (args != null) throw new IllegalArgumentException("mask '" + spec + "': causal takes no arguments");
        yield causal();
      }
      case "sliding" -> {
        arity(spec, a, 1, "sliding(w)");
        yield sliding(a[0]);
      }
      case "dilated" -> {
        arity(spec, a, 2, "dilated(window,dilation)");
        yield dilated(a[0], a[1]);
      }
      case "block_local" -> {
        arity(spec, a, 1, "block_local(n_blocks)");
        yield blockLocal(a[0], maxPositions);
      }
      default -> throw unknown(spec);
    };
  }

  private static IllegalArgumentException unknown(String spec) {
    return new IllegalArgumentException("mask '" + spec
        + "': expected causal, sliding(w), dilated(window,dilation) or block_local(n_blocks)");
  }

  private static void arity(String spec, int[] a, int n, String form) {
    if (a.length != n) {
      throw new IllegalArgumentException("mask '" + spec + "': expected " + form + " with " + n
          + (n == 1 ? " integer argument" : " integer arguments") + ", got " + a.length);
    }
  }

  private static int[] ints(String spec, String args) {
    String[] parts = args.split(",", -1);
    int[] out = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        out[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("mask '" + spec + "': argument '" + parts[i].trim() + "' is not an integer");
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- the masks

  /** j <= t. */
  public static final class Causal extends AttentionMask {
    static final Causal INSTANCE = new Causal();

    private Causal() {}

    @Override
    public boolean allowed(int t, int j) {
      return j >= 0 && j <= t;
    }

    @Override
    public int first(int t) {
      return 0;
    }

    @Override
    public int held(int seen) {
      return seen;
    }

    @Override
    public int maxHeld() {
      return Integer.MAX_VALUE;
    }

    @Override
    public String spec() {
      return "causal";
    }
  }

  /** t - floor(w/2) <= j <= t: floor(w/2) + 1 keys ending on the diagonal. */
  public static final class Sliding extends AttentionMask {
    private final int window;
    private final int reach; // floor(w/2)

    Sliding(int window) {
      if (window < 1) {
        throw new IllegalArgumentException("mask sliding(" + window + "): window w = " + window + " must be >= 1");
      }
      this.window = window;
      this.reach = window / 2;
    }

    public int window() {
      return window;
    }

    @Override
    public boolean allowed(int t, int j) {
      return j <= t && j >= t - reach && j >= 0;
    }

    @Override
    public int first(int t) {
      return Math.max(0, t - reach);
    }

    @Override
    public int held(int seen) {
      return Math.min(seen, reach + 1);
    }

    @Override
    public int maxHeld() {
      return reach + 1;
    }

    @Override
    public String spec() {
      return "sliding(" + window + ")";
    }
  }

  /** j = t - δ·k for k = 0 .. floor(window/δ) - 1, j >= 0. */
  public static final class Dilated extends AttentionMask {
    private final int window;
    private final int dilation;
    private final int keys; // floor(window / dilation)

    Dilated(int window, int dilation) {
      String s = "mask dilated(" + window + "," + dilation + "): ";
      if (window < 1) throw new IllegalArgumentException(s + "window = " + window + " must be >= 1");
      if (dilation < 1) throw new IllegalArgumentException(s + "dilation = " + dilation + " must be >= 1");
      if (window % dilation != 0) {
        throw new IllegalArgumentException(s + "dilation = " + dilation + " must divide window = " + window);
      }
      this.window = window;
      this.dilation = dilation;
      this.keys = window / dilation;
    }

    public int window() {
      return window;
    }

    public int dilation() {
      return dilation;
    }

    @Override
    public boolean allowed(int t, int j) {
      int d = t - j;
      return j >= 0 && d >= 0 && d % dilation == 0 && d / dilation < keys;
    }

    @Override
    public int stride() {
      return dilation;
    }

    @Override
    public int first(int t) {
      return t - dilation * Math.min(keys - 1, t / dilation);
    }

    @Override
    public int held(int seen) {
      return Math.min(seen, (keys - 1) * dilation + 1);
    }

    @Override
    public int maxHeld() {
      return (keys - 1) * dilation + 1;
    }

    @Override
    public String spec() {
      return "dilated(" + window + "," + dilation + ")";
    }
  }

  /** Blocks of b = ceil(S_max / n) tokens; t sees the j <= t with floor(j/b) = floor(t/b). */
  public static final class BlockLocal extends AttentionMask {
    private final int nBlocks;
    private final int maxPositions;
    private final int block;

    BlockLocal(int nBlocks, int maxPositions) {
      String s = "mask block_local(" + nBlocks + "): ";
      if (nBlocks < 1) throw new IllegalArgumentException(s + "n_blocks = " + nBlocks + " must be >= 1");
      if (maxPositions < 1) {
        throw new IllegalArgumentException(s + "needs the context window max_position_embeddings >= 1, got "
            + maxPositions);
      }
      this.nBlocks = nBlocks;
      this.maxPositions = maxPositions;
      this.block = (maxPositions + nBlocks - 1) / nBlocks;
    }

    public int nBlocks() {
      return nBlocks;
    }

    public int maxPositions() {
      return maxPositions;
    }

    /** b = ceil(S_max / n_blocks). */
    public int blockSize() {
      return block;
    }

    @Override
    public boolean allowed(int t, int j) {
      return j >= 0 && j <= t && j / block == t / block;
    }

    @Override
    public int first(int t) {
      return t - t % block;
    }

    @Override
    public int held(int seen) {
      return seen == 0 ? 0 : (seen - 1) % block + 1;
    }

    @Override
    public int maxHeld() {
      return block;
    }

    @Override
    public String spec() {
      return "block_local(" + nBlocks + ")";
    }
  }

  /** A user predicate or matrix, intersected with causal; the cache keeps every key. */
  public static final class Custom extends AttentionMask {
    private final String name;
    private final Predicate predicate;
    private final int size; // matrix size, or -1 for a predicate

    Custom(String name, Predicate predicate, int size) {
      if (predicate == null) throw new IllegalArgumentException("custom mask: the predicate is null");
      this.name = name == null ? "custom" : name;
      this.predicate = predicate;
      this.size = size;
    }

    @Override
    public boolean allowed(int t, int j) {
      if (j < 0 || j > t) return false;
      if (size >= 0 && t >= size) {
        throw new IllegalArgumentException("mask " + name + ": query position " + t + " is beyond the matrix ("
            + size + " positions)");
      }
      return predicate.allowed(t, j);
    }

    @Override
    public boolean structured() {
      return false;
    }

    @Override
    public int count(int t) {
      int n = 0;
      for (int j = 0; j <= t; j++) if (allowed(t, j)) n++;
      return n;
    }

    @Override
    public int held(int seen) {
      return seen;
    }

    @Override
    public int maxHeld() {
      return Integer.MAX_VALUE;
    }

    @Override
    public String spec() {
      return name;
    }
  }
}
