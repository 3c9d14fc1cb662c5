package lmlab.tensor;

import java.util.Arrays;
import lmlab.autograd.Autograd;
import lmlab.kernels.Parallel;

/**
 * Reading elements by integer index: gather, indexSelect and embedding. Each backward adds the
 * gradient back to where the value was read (scatter-add / index-add), so repeated indices
 * accumulate.
 */
final class IndexOps {
  private IndexOps() {}

  /** out[p] = x[p with p[dim] = index[p]] (PyTorch gather). Backward: dx[that element] += g[p]. */
  static Tensor gather(Tensor x, int dim, IntTensor index) {
    int rank = x.dim();
    if (rank == 0) throw new IllegalArgumentException("gather: needs at least 1 dimension, got a scalar");
    int d = Shape.dim("gather", dim, rank);
    int[] is = index.shape();
    boolean fits = is.length == rank;
    for (int i = 0; fits && i < rank; i++) fits = i == d || is[i] <= x.shape[i];
    if (!fits) {
      throw new IllegalArgumentException(
          "gather(dim " + dim + "): index of shape " + Shape.str(is) + " does not fit input of shape "
              + Shape.str(x.shape) + " (same rank, and no larger than the input outside dim " + d + ")");
    }
    int[] srcPos = gatherPositions(index, d, x.shape, x.strides, x.offset);
    int[] gradPos = gatherPositions(index, d, x.shape, Shape.contiguousStrides(x.shape), 0);
    float[] out = new float[srcPos.length];
    for (int i = 0; i < out.length; i++) out[i] = x.data[srcPos[i]];
    return Autograd.record("gather", Tensor.wrap(out, is), g -> {
      float[] gv = g.toArray();
      float[] dx = new float[x.numel()];
      for (int i = 0; i < gv.length; i++) dx[gradPos[i]] += gv[i];
      return new Tensor[] {Tensor.wrap(dx, x.shape.clone())};
    }, x);
  }

  /** Storage position in x of every element gather reads, checking each index against x's size along d. */
  private static int[] gatherPositions(IntTensor index, int d, int[] xShape, int[] xStrides, int offset) {
    int[] is = index.shape();
    int[] idx = index.storage();
    int[] pos = new int[idx.length];
    int[] c = new int[is.length];
    for (int e = 0; e < idx.length; e++) {
      int v = idx[e];
      if (v < 0 || v >= xShape[d]) {
        throw new IndexOutOfBoundsException(
            "gather: index " + v + " at position " + position(e, index.shape()) + " is out of range for dimension " + d
                + " of size " + xShape[d] + " in shape " + Shape.str(xShape));
      }
      int p = offset;
      for (int i = 0; i < is.length; i++) p += (i == d ? v : c[i]) * xStrides[i];
      pos[e] = p;
      for (int i = is.length - 1; i >= 0; i--) {
        if (++c[i] < is[i]) break;
        c[i] = 0;
      }
    }
    return pos;
  }

  /** out = x with dim d replaced by the entries index[0..n) of it. Backward: index-add of g into dx. */
  static Tensor indexSelect(Tensor x0, int dim, IntTensor index) {
    if (index.dim() > 1) {
      throw new IllegalArgumentException(
          "indexSelect: index must be 1-d, got shape " + Shape.str(index.shape()));
    }
    if (x0.dim() == 0) throw new IllegalArgumentException("indexSelect: needs at least 1 dimension, got a scalar");
    int d = Shape.dim("indexSelect", dim, x0.dim());
    int n = x0.shape[d];
    int[] idx = index.storage();
    for (int j = 0; j < idx.length; j++) {
      if (idx[j] < 0 || idx[j] >= n) {
        throw new IndexOutOfBoundsException(
            "indexSelect: index " + idx[j] + " at position " + j + " is out of range for dimension " + d
                + " of size " + n + " in shape " + Shape.str(x0.shape));
      }
    }
    Tensor x = x0.contiguous();
    int outer = Shape.numel(Arrays.copyOf(x.shape, d));
    int inner = Shape.numel(Arrays.copyOfRange(x.shape, d + 1, x.dim()));
    int k = idx.length;
    int[] outShape = x.shape.clone();
    outShape[d] = k;
    float[] out = Arena.scratch(outer * k * inner);
    // out[o, j, :] = x[o, idx[j], :]
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < k; j++) {
        System.arraycopy(x.data, x.offset + (o * n + idx[j]) * inner, out, (o * k + j) * inner, inner);
      }
    }
    return Autograd.record("indexSelect", Tensor.wrap(out, outShape), g0 -> {
      // dx[o, idx[j], :] += g[o, j, :]
      Tensor g = g0.isContiguous() ? g0 : g0.copy();
      float[] dx = Arena.zeroed(x.numel());
      Parallel.forRange(outer, Math.max(1, 16384 / Math.max(1, k * inner)), (from, to) -> {
        for (int o = from; o < to; o++) {
          for (int j = 0; j < k; j++) {
            VectorMath.addInPlace(dx, (o * n + idx[j]) * inner, g.data, g.offset + (o * k + j) * inner, inner);
          }
        }
      });
      return new Tensor[] {Tensor.wrap(dx, x.shape.clone())};
    }, x);
  }

  /** out[p, :] = weight[ids[p], :], weight (V, d), ids of any shape. Backward: dW[ids[p]] += g[p]. */
  static Tensor embedding(Tensor weight, IntTensor ids) {
    if (weight.dim() != 2) {
      throw new IllegalArgumentException(
          "embedding: weight must be (V, d), got shape " + Shape.str(weight.shape));
    }
    int v = weight.shape[0];
    int d = weight.shape[1];
    int[] id = ids.storage();
    for (int t = 0; t < id.length; t++) {
      if (id[t] < 0 || id[t] >= v) {
        throw new IndexOutOfBoundsException(
            "embedding: id " + id[t] + " at position " + position(t, ids.shape()) + " is out of range for V = " + v
                + " (weight of shape " + Shape.str(weight.shape) + ")");
      }
    }
    Tensor w = weight.contiguous();
    int[] outShape = Arrays.copyOf(ids.shape(), ids.dim() + 1);
    outShape[ids.dim()] = d;
    float[] out = Arena.scratch(id.length * d);
    Parallel.forRange(id.length, Math.max(1, 16384 / Math.max(1, d)), (from, to) -> {
      for (int t = from; t < to; t++) System.arraycopy(w.data, w.offset + id[t] * d, out, t * d, d);
    });
    return Autograd.record("embedding", Tensor.wrap(out, outShape), g0 -> {
      // each part owns a range of vocabulary rows, so repeated ids accumulate without races
      Tensor g = g0.isContiguous() ? g0 : g0.copy();
      float[] dw = Arena.zeroed(v * d);
      int grain = (long) id.length * d < 32768 ? Math.max(1, v) : Math.max(1, v / Parallel.threads());
      Parallel.forRange(v, grain, (from, to) -> {
        for (int t = 0; t < id.length; t++) {
          if (id[t] >= from && id[t] < to) VectorMath.addInPlace(dw, id[t] * d, g.data, g.offset + t * d, d);
        }
      });
      return new Tensor[] {Tensor.wrap(dw, new int[] {v, d})};
    }, w);
  }

  /** The coordinates of row-major element e of a shape, as "(i, j, ...)". */
  private static String position(int e, int[] shape) {
    int[] c = new int[shape.length];
    for (int i = shape.length - 1; i >= 0; i--) {
      c[i] = e % Math.max(1, shape[i]);
      e /= Math.max(1, shape[i]);
    }
    return Shape.str(c);
  }
}
