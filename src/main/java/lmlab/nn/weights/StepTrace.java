package lmlab.nn.weights;

/**
 * Counts of the products decoding steps ran, by kernel: matrix-vector (one row of one
 * token, the weight type's {@link Weights#rows}) and matrix-matrix (several rows or tokens,
 * {@link Weights#matmul}), per thread (the thread that asked for the product), so tests running at
 * the same time do not see each other's. Tests read them to assert which path ran; one add per
 * product costs nothing next to the product.
 */
public final class StepTrace {
  /** [matvec, matmul] of the current thread. */
  private static final ThreadLocal<long[]> COUNTS = ThreadLocal.withInitial(() -> new long[2]);

  /** The counts at one moment; {@link #minus} gives what ran between two snapshots. */
  public record Counts(long matvec, long matmul) {
    public Counts minus(Counts before) {
      return new Counts(matvec - before.matvec, matmul - before.matmul);
    }
  }

  private StepTrace() {}

  public static Counts snapshot() {
    long[] c = COUNTS.get();
    return new Counts(c[0], c[1]);
  }

  static void matvec(int products) {
    COUNTS.get()[0] += products;
  }

  /** Records a matrix-matrix product of a step. */
  public static void matmul() {
    COUNTS.get()[1]++;
  }
}
