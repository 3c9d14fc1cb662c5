package lmlab.tensor;

import java.util.Arrays;

/** Static helpers for shapes: sizes, strides, broadcasting, dimension checks. */
public final class Shape {
  private Shape() {}

  /** Number of elements of a shape (1 for the scalar shape []). */
  public static int numel(int[] shape) {
    long n = 1;
    for (int s : shape) n *= s;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "shape " + str(shape) + " has " + n + " elements, more than a Java array holds");
    }
    return (int) n;
  }

  /** Row-major (C order) strides of a shape. */
  public static int[] contiguousStrides(int[] shape) {
    int[] st = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = s;
      s *= shape[i];
    }
    return st;
  }

  /** "(2, 3, 4)" — the way shapes appear in every error message. */
  public static String str(int[] shape) {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) b.append(", ");
      b.append(shape[i]);
    }
    if (shape.length == 1) b.append(',');
    return b.append(')').toString();
  }

  /** Checks a shape has no negative size. */
  public static int[] check(String op, int[] shape) {
    for (int s : shape) {
      if (s < 0) throw new IllegalArgumentException(op + ": negative size in shape " + str(shape));
    }
    return shape.clone();
  }

  /** Normalises a possibly negative dimension index against a rank, PyTorch style. */
  public static int dim(String op, int dim, int rank) {
    int r = Math.max(rank, 1);
    if (dim < -r || dim >= r) {
      throw new IllegalArgumentException(
          op + ": dimension " + dim + " out of range for a tensor of rank " + rank
              + " (expected " + (-r) + " to " + (r - 1) + ")");
    }
    return dim < 0 ? dim + r : dim;
  }

  /** The NumPy broadcast of two shapes, or an error naming the op and both shapes. */
  public static int[] broadcast(String op, int[] a, int[] b) {
    int n = Math.max(a.length, b.length);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int da = i < n - a.length ? 1 : a[i - (n - a.length)];
      int db = i < n - b.length ? 1 : b[i - (n - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together"
                + " (dimension " + i + ": " + da + " vs " + db + ")");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Whether two shapes are equal. */
  public static boolean same(int[] a, int[] b) {
    return Arrays.equals(a, b);
  }
}
