package lmlab.tensor;

import java.util.Arrays;

/**
 * An N-dimensional tensor of int values (token ids, targets, positions, masks), contiguous and
 * row-major. It carries no gradient: ops take it as an index argument.
 */
public final class IntTensor {
  private final int[] data;
  private final int[] shape;

  private IntTensor(int[] data, int[] shape) {
    this.data = data;
    this.shape = shape;
  }

  /** A tensor holding a copy of values with the given shape. */
  public static IntTensor of(int[] values, int... shape) {
    Shape.check("IntTensor.of", shape);
    if (Shape.numel(shape) != values.length) {
      throw new IllegalArgumentException(
          "IntTensor.of: " + values.length + " values cannot fill shape " + Shape.str(shape));
    }
    return new IntTensor(values.clone(), shape.clone());
  }

  /** A one-dimensional tensor of the given values. */
  public static IntTensor vector(int... values) {
    return of(values, values.length);
  }

  public static IntTensor zeros(int... shape) {
    Shape.check("IntTensor.zeros", shape);
    return new IntTensor(new int[Shape.numel(shape)], shape.clone());
  }

  public int[] shape() {
    return shape.clone();
  }

  public int dim() {
    return shape.length;
  }

  public int size(int d) {
    return shape[Shape.dim("size", d, shape.length)];
  }

  public int numel() {
    return data.length;
  }

  /** A copy of the values in row-major order. */
  public int[] toArray() {
    return data.clone();
  }

  /** The backing array (not copied): for kernels that only read it. */
  public int[] storage() {
    return data;
  }

  public int get(int... idx) {
    return data[flat(idx)];
  }

  public void set(int value, int... idx) {
    data[flat(idx)] = value;
  }

  private int flat(int[] idx) {
    if (idx.length != shape.length) {
      throw new IllegalArgumentException(
          "index of " + idx.length + " coordinates for an int tensor of shape " + Shape.str(shape));
    }
    int p = 0;
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] < 0 || idx[i] >= shape[i]) {
        throw new IndexOutOfBoundsException(
            "index " + idx[i] + " out of range for dimension " + i + " of size " + shape[i]);
      }
      p = p * shape[i] + idx[i];
    }
    return p;
  }

  /** Same values, new shape (one -1 allowed). */
  public IntTensor reshape(int... newShape) {
    int[] ns = newShape.clone();
    int infer = -1;
    int known = 1;
    for (int i = 0; i < ns.length; i++) {
      if (ns[i] == -1) infer = i;
      else known *= ns[i];
    }
    if (infer >= 0 && known != 0) ns[infer] = data.length / known;
    if (Shape.numel(ns) != data.length) {
      throw new IllegalArgumentException(
          "reshape" + Shape.str(newShape) + ": int tensor of shape " + Shape.str(shape) + " has " + data.length
              + " elements");
    }
    return new IntTensor(data, ns);
  }

  /** The values as a float tensor. */
  public Tensor toFloat() {
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) f[i] = data[i];
    return Tensor.of(f, shape);
  }

  @Override
  public String toString() {
    return "IntTensor" + Shape.str(shape) + " " + Arrays.toString(Arrays.copyOf(data, Math.min(8, data.length)))
        + (data.length > 8 ? "..." : "");
  }
}
