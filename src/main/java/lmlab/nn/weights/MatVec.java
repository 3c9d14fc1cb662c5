package lmlab.nn.weights;

import lmlab.kernels.Parallel;

/**
 * y = W x (+ b) for one vector: the product of a single decoding step, where the general GEMM's
 * dispatch and packing cost more than the multiply-adds. The row kernel is the weight type's
 * ({@link Weights#rows}); this class decides who runs which rows. With more than one thread allowed
 * ({@link Parallel#threads()}), products of at least {@link #PARALLEL_MIN} weights share their rows
 * with a helper thread ({@link MatVecTeam}, which never waits for a preempted helper); smaller ones
 * run on the caller, where waking a thread would cost more than it saves.
 */
public final class MatVec {
  /**
   * Products below this many weights (256 KB) run on the calling thread. Measured with
   * `lmlab bench generate --preset chargpt` (products of 37K to 147K weights) on the idle 2-core
   * machine, 2026-11-27 12:48 UTC: 1,748 tokens/s with no sharing, 2,437 / 2,788 / 2,660 /
   * 2,441–3,026 / 2,391 / 1,986 tokens/s with the threshold at 8K / 16K / 32K / 64K / 100K / 128K
   * weights. Below ~64K a product's rows take less time than waking the helper; the 37K o_proj
   * stays on the caller. On a loaded machine sharing can lose (the helper competes for a busy
   * core; 850 against 1,700 tokens/s measured at load 5). With the read-ahead of {@link MatVecTeam}
   * (2026-11-27, 15:15 UTC) sharing o_proj too (32K) was no faster: its rows took 31 instead of 43
   * µs per token, but the helper's reading ahead of up_proj during them was lost (up: 93 instead of
   * 85 µs).
   * {@code -Dlmlab.matvec.parallelMin=N} overrides it (for measuring on other machines).
   */
  public static final int PARALLEL_MIN = Integer.getInteger("lmlab.matvec.parallelMin", 1 << 16);

  private MatVec() {}

  /** One product y (+)= W x (+ b): its weights, bias (or null) from offset bo, and output. */
  public record Product(Weights w, float[] b, int bo, float[] y, boolean accumulate) {
    public int out() {
      return w.rows();
    }

    public int in() {
      return w.cols();
    }
  }

  /** y[yo ..] (+)= W x[xo ..] (+ b), on the helper thread too when the product is large enough. */
  public static void multiply(Weights w, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    StepTrace.matvec(1);
    if (sharesRows((long) w.rows() * w.cols()) && xo == 0 && yo == 0) {
      MatVecTeam.shared().run(new Product[] {new Product(w, b, bo, y, accumulate)}, w.rows(), x, null, 0);
    } else {
      w.rows(0, w.rows(), x, xo, b, bo, y, yo, accumulate);
    }
  }

  /**
   * Several products of the same input x (q, k and v; gate and up) in one pass over the pool: their
   * rows are split as one stacked matrix, so the threads are woken once. next (nextRows rows, or
   * null) are the products the caller will run next on the team: the helper reads its part of their
   * weights while it would otherwise wait.
   */
  public static void multiply(Product[] ps, int totalRows, long weights, float[] x, Product[] next, int nextRows) {
    StepTrace.matvec(ps.length);
    if (sharesRows(weights)) {
      MatVecTeam.shared().run(ps, totalRows, x, next, nextRows);
    } else {
      stacked(ps, 0, totalRows, x);
    }
  }

  /** The same with nothing to read ahead. */
  public static void multiply(Product[] ps, int totalRows, long weights, float[] x) {
    multiply(ps, totalRows, weights, x, null, 0);
  }

  /**
   * Elementwise work on columns [from, to) of each of the n rows of product i's output y (out
   * wide), run by the thread that has just computed them: it must give each value the same bits
   * whatever the column range (an activation applied lane by lane).
   */
  @FunctionalInterface
  public interface Columns {
    void apply(int product, float[] y, int out, int n, int from, int to);
  }

  /**
   * Several products of the same n input rows (q, k and v of a beam) in one pass over the worker
   * pool: their column panels are split as one list, so the threads are woken once, not once per
   * product. Each output gets the bits of its own {@link Weights#matmul}. A format without panels
   * for n rows runs its matmul whole. after (or null) then runs on the columns each part computed,
   * inside the same parallel part.
   */
  public static void multiplyRows(Product[] ps, float[] x, int n, Columns after) {
    multiplyRows(ps, x, n, after, null, null);
  }

  /**
   * How the input rows of {@link #multiplyRows} are made from other rows (a norm of the residual
   * stream): into[0, n·in) from from. Inside each part of the products, so the threads do not wait
   * for one of them to make the rows first; it must give the same bits on any thread.
   */
  @FunctionalInterface
  public interface Rows {
    void make(float[] from, float[] into, int n);
  }

  /**
   * {@link #multiplyRows} on rows made from x by pre (null: on x itself). Split over the threads,
   * each part makes the rows itself, into its own buffer (buffer.apply(part), asked for on the
   * calling thread), then takes its panels: two threads normalise the same few rows instead of one
   * doing it while the other waits. Unsplit (one thread, a small product, a format without panels)
   * the rows are made once, into buffer.apply(0).
   */
  public static void multiplyRows(Product[] ps, float[] x, int n, Columns after, Rows pre,
      java.util.function.IntFunction<float[]> buffer) {
    int total = 0;
    long work = 0;
    boolean whole = false; // a product without panels runs its matmul whole, on made rows
    for (Product p : ps) {
      int k = p.w.panels(n);
      whole |= k == 0;
      total += k;
      work += k == 0 ? 0 : (long) n * p.out() * p.in();
    }
    int parts = Parallel.threads() > 1 && !Parallel.inWorker() && work >= ROWS_PARALLEL_WORK
        ? Math.min(Parallel.threads(), total) : 1;
    float[] in = x;
    if (pre != null && (whole || parts <= 1)) { // the rows made once, here
      in = buffer.apply(0);
      pre.make(x, in, n);
    }
    for (int i = 0; i < ps.length; i++) {
      Product p = ps[i];
      if (p.w.panels(n) > 0) {
        StepTrace.matmul();
        continue;
      }
      p.w.matmul(in, n, p.b, p.bo, p.y, p.accumulate); // counts itself
      if (after != null) after.apply(i, p.y, p.out(), n, 0, p.out());
    }
    if (total == 0) return;
    if (parts <= 1) {
      panelRange(ps, n, in, 0, total, after);
      return;
    }
    boolean each = pre != null && !whole; // every part makes its own rows
    float[][] rows = new float[parts][];
    for (int part = 0; part < parts; part++) rows[part] = each ? buffer.apply(part) : in;
    int all = total;
    Parallel.forEachPart(parts, part -> {
      if (each) pre.make(x, rows[part], n);
      panelRange(ps, n, rows[part], (int) ((long) all * part / parts), (int) ((long) all * (part + 1) / parts), after);
    });
  }

  /** Multiply-adds above which {@link #multiplyRows} splits its panels over the worker pool (as Panels.product). */
  private static final long ROWS_PARALLEL_WORK = 1L << 16;

  /** Panels [from, to) of the products' panels listed one product after another (those that have panels), then after on their columns. */
  private static void panelRange(Product[] ps, int n, float[] x, int from, int to, Columns after) {
    int base = 0;
    for (int i = 0; i < ps.length; i++) {
      Product p = ps[i];
      int k = p.w.panels(n);
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + k);
      if (lo < hi) {
        p.w.matmulPanels(lo - base, hi - base, x, n, p.b, p.bo, p.y, p.accumulate);
        if (after != null) {
          int w = p.w.panelWidth();
          after.apply(i, p.y, p.out(), n, (lo - base) * w, Math.min(p.out(), (hi - base) * w));
        }
      }
      base += k;
    }
  }

  /**
   * Whether a product of this many weights is shared with the helper thread: not inside a part of
   * the worker pool, whose thread is one of several already running.
   */
  public static boolean sharesRows(long weights) {
    return weights >= PARALLEL_MIN && Parallel.threads() > 1 && !Parallel.inWorker();
  }

  /** The sum of the weights of rows [from, to) of the stacked products: reads them into this core's caches. */
  static float touch(Product[] ps, int from, int to) {
    float s = 0;
    int base = 0;
    for (Product p : ps) {
      int out = p.out();
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + out);
      if (lo < hi) s += p.w.touch(lo - base, hi - base);
      base += out;
    }
    return s;
  }

  /** Rows [from, to) of the stacked products straight into their outputs. */
  static void stacked(Product[] ps, int from, int to, float[] x) {
    int base = 0;
    for (Product p : ps) {
      int out = p.out();
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + out);
      if (lo < hi) p.w.rows(lo - base, hi - base, x, 0, p.b, p.bo, p.y, 0, p.accumulate);
      base += out;
    }
  }

  /** Rows [from, to) of the stacked products (bias included, not accumulated) into scratch[0 .. to - from). */
  static void stackedRows(Product[] ps, int from, int to, float[] x, float[] scratch) {
    int base = 0;
    for (Product p : ps) {
      int out = p.out();
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + out);
      if (lo < hi) p.w.rows(lo - base, hi - base, x, 0, p.b, p.bo, scratch, base - from, false);
      base += out;
    }
  }

  /** Stores (or adds, for an accumulating product) rows [from, to) held in scratch into their outputs. */
  static void store(Product[] ps, int from, int to, float[] scratch) {
    int base = 0;
    for (Product p : ps) {
      int out = p.out();
      int lo = Math.max(from, base);
      int hi = Math.min(to, base + out);
      for (int r = lo; r < hi; r++) {
        float v = scratch[r - from];
        p.y[r - base] = p.accumulate ? p.y[r - base] + v : v;
      }
      base += out;
    }
  }
}
