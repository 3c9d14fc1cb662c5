package lmlab.nn.weights;

/**
 * Matrix-vector products of one input that run together (q, k, v; gate and up; or one alone),
 * built once per decoding state with their output buffers, so a step allocates nothing and wakes
 * the helper thread once per group.
 *
 * <p>The helper reads the weights of the group that will run next on the team while the caller
 * does the serial parts of a step (attention over the cache, norms, activations). Which group that
 * is, is learned as the step runs: each group shared with the helper records itself as the
 * {@code next} of the one shared before it, so the order of the model's layers (and the wrap from
 * the head to the first layer of the next token) needs no list of its own.
 */
public final class ProductGroup {
  /** The group most recently run on the team (a hint for the read-ahead only, so a race is harmless). */
  private static ProductGroup lastShared;

  private final MatVec.Product[] products;
  private final int rows;
  private final long weights;
  private ProductGroup next;

  private ProductGroup(MatVec.Product[] products) {
    this.products = products;
    int r = 0;
    long w = 0;
    for (MatVec.Product p : products) {
      r += p.out();
      w += (long) p.out() * p.in();
    }
    this.rows = r;
    this.weights = w;
  }

  /** Products sharing one input width. */
  public static ProductGroup of(MatVec.Product... products) {
    if (products.length == 0) throw new IllegalArgumentException("ProductGroup: no products");
    int in = products[0].in();
    for (MatVec.Product p : products) {
      if (p.in() != in) {
        throw new IllegalArgumentException("ProductGroup: products of one input must share its width, got " + in
            + " and " + p.in());
      }
    }
    return new ProductGroup(products.clone());
  }

  /** Runs every product on x (in floats from offset 0). */
  public void run(float[] x) {
    if (MatVec.sharesRows(weights)) {
      ProductGroup prev = lastShared;
      if (prev != null && prev != this) prev.next = this;
      lastShared = this;
    }
    ProductGroup n = next;
    MatVec.multiply(products, rows, weights, x, n == null ? null : n.products, n == null ? 0 : n.rows);
  }

  /**
   * Runs every product on n input rows x (row-major, from offset 0) into their outputs (n rows
   * each): one row as {@link #run(float[])}, several split over the worker pool together
   * ({@link MatVec#multiplyRows}).
   */
  public void run(float[] x, int n) {
    if (n == 1) run(x);
    else MatVec.multiplyRows(products, x, n, null);
  }

  /**
   * The same, then after on the output columns each thread computed (all of them after a single
   * row's products): elementwise work such as the MLP's activation done inside the product's
   * parallel part rather than in a fork-join of its own.
   */
  public void run(float[] x, int n, MatVec.Columns after) {
    if (n == 1) {
      run(x);
      for (int i = 0; i < products.length; i++) after.apply(i, products[i].y(), products[i].out(), 1, 0, products[i].out());
    } else {
      MatVec.multiplyRows(products, x, n, after);
    }
  }

  /**
   * {@link #run(float[], int, MatVec.Columns)} (after may be null) on rows made from x by pre
   * ({@link MatVec#multiplyRows(MatVec.Product[], float[], int, MatVec.Columns, MatVec.Rows,
   * java.util.function.IntFunction)}): one row is made into buffer.apply(0), then run as above.
   */
  public void run(float[] x, int n, MatVec.Columns after, MatVec.Rows pre, java.util.function.IntFunction<float[]> buffer) {
    if (n == 1) {
      float[] h = buffer.apply(0);
      pre.make(x, h, 1);
      if (after == null) run(h);
      else run(h, 1, after);
    } else {
      MatVec.multiplyRows(products, x, n, after, pre, buffer);
    }
  }

  /** The output buffer of product i. */
  public float[] output(int i) {
    return products[i].y();
  }

  public int size() {
    return products.length;
  }
}
