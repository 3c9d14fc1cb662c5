package lmlab.nn.weights;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts of the kernels decoding steps ran, process-wide: matrix-vector products (one row),
 * matrix-matrix products (several rows or tokens), and position-wise layers that stepped through
 * their tensor forward (no array kernel of their own). Tests read them to assert which path ran;
 * one atomic add per product costs nothing next to the product.
 */
public final class StepTrace {
  private static final AtomicLong MATVEC = new AtomicLong();
  private static final AtomicLong MATMUL = new AtomicLong();
  private static final AtomicLong TENSOR = new AtomicLong();

  /** The counts at one moment; {@link #minus} gives what ran between two snapshots. */
  public record Counts(long matvec, long matmul, long tensor) {
    public Counts minus(Counts before) {
      return new Counts(matvec - before.matvec, matmul - before.matmul, tensor - before.tensor);
    }
  }

  private StepTrace() {}

  public static Counts snapshot() {
    return new Counts(MATVEC.get(), MATMUL.get(), TENSOR.get());
  }

  static void matvec(int products) {
    MATVEC.addAndGet(products);
  }

  /** Records a matrix-matrix product of a step. */
  public static void matmul() {
    MATMUL.incrementAndGet();
  }

  /** Records a position-wise layer stepped through its tensor forward. */
  public static void tensor() {
    TENSOR.incrementAndGet();
  }
}
