package lmlab.tensor;

import java.util.ArrayList;
import java.util.List;
import lmlab.autograd.Autograd;

/**
 * Joining and cutting along a dimension: cat and stack copy into one new tensor (backward: each
 * input's slice of the gradient); split and chunk return narrow views (differentiable as views).
 */
final class ShapeOps {
  private ShapeOps() {}

  /** out = [t_0 ; t_1 ; ...] along dim; all other sizes must agree. Backward: g narrowed back per input. */
  static Tensor cat(List<Tensor> tensors, int dim) {
    if (tensors.isEmpty()) throw new IllegalArgumentException("cat: needs at least one tensor, got an empty list");
    Tensor first = tensors.get(0);
    int rank = first.dim();
    if (rank == 0) throw new IllegalArgumentException("cat: cannot concatenate scalars (shape ()); use stack");
    int d = Shape.dim("cat", dim, rank);
    int total = 0;
    for (Tensor t : tensors) {
      boolean fits = t.dim() == rank;
      for (int i = 0; fits && i < rank; i++) fits = i == d || t.shape[i] == first.shape[i];
      if (!fits) {
        throw new IllegalArgumentException(
            "cat(dim " + dim + "): shapes " + shapes(tensors) + " differ outside dimension " + d);
      }
      total += t.shape[d];
    }
    int[] outShape = first.shape.clone();
    outShape[d] = total;
    Tensor out = Arena.zeros(outShape);
    int[] starts = new int[tensors.size()];
    int at = 0;
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      starts[i] = at;
      Kernels.copyInto(out.narrow(d, at, t.shape[d]), t);
      at += t.shape[d];
    }
    Tensor[] inputs = tensors.toArray(new Tensor[0]);
    return Autograd.record("cat", out, g -> {
      Tensor[] grads = new Tensor[inputs.length];
      for (int i = 0; i < inputs.length; i++) grads[i] = g.narrow(d, starts[i], inputs[i].shape[d]);
      return grads;
    }, inputs);
  }

  /** Joins equal-shaped tensors along a new dimension dim (each unsqueezed there, then cat). */
  static Tensor stack(List<Tensor> tensors, int dim) {
    if (tensors.isEmpty()) throw new IllegalArgumentException("stack: needs at least one tensor, got an empty list");
    int[] s0 = tensors.get(0).shape;
    for (Tensor t : tensors) {
      if (!Shape.same(t.shape, s0)) {
        throw new IllegalArgumentException("stack(dim " + dim + "): shapes " + shapes(tensors) + " are not all equal");
      }
    }
    int d = Shape.dim("stack", dim, s0.length + 1);
    List<Tensor> parts = new ArrayList<>(tensors.size());
    for (Tensor t : tensors) parts.add(t.unsqueeze(d));
    return cat(parts, d);
  }

  /** Views of size `size` along dim, the last one shorter when size does not divide it. */
  static List<Tensor> split(Tensor x, int size, int dim) {
    int d = Shape.dim("split", dim, x.dim());
    if (size <= 0) {
      throw new IllegalArgumentException(
          "split: size must be positive, got " + size + " for shape " + Shape.str(x.shape));
    }
    int n = x.shape[d];
    List<Tensor> out = new ArrayList<>();
    for (int s = 0; s < n; s += size) out.add(x.narrow(d, s, Math.min(size, n - s)));
    if (n == 0) out.add(x);
    return out;
  }

  /** Views of the given sizes along dim; they must add up to its size. */
  static List<Tensor> split(Tensor x, int[] sizes, int dim) {
    int d = Shape.dim("split", dim, x.dim());
    int sum = 0;
    for (int s : sizes) {
      if (s < 0) throw new IllegalArgumentException("split: negative size in " + Shape.str(sizes));
      sum += s;
    }
    if (sum != x.shape[d]) {
      throw new IllegalArgumentException(
          "split: sizes " + Shape.str(sizes) + " add up to " + sum + ", but dimension " + d + " of shape "
              + Shape.str(x.shape) + " has size " + x.shape[d]);
    }
    List<Tensor> out = new ArrayList<>(sizes.length);
    int at = 0;
    for (int s : sizes) {
      out.add(x.narrow(d, at, s));
      at += s;
    }
    return out;
  }

  /** PyTorch chunk: split into pieces of ceil(size / n) (so possibly fewer than n pieces). */
  static List<Tensor> chunk(Tensor x, int n, int dim) {
    if (n <= 0) {
      throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + n + " for shape "
          + Shape.str(x.shape));
    }
    int d = Shape.dim("chunk", dim, x.dim());
    return split(x, Math.max(1, (x.shape[d] + n - 1) / n), d);
  }

  private static String shapes(List<Tensor> tensors) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < tensors.size(); i++) {
      if (i > 0) b.append(", ");
      b.append(Shape.str(tensors.get(i).shape));
    }
    return b.append(']').toString();
  }
}
