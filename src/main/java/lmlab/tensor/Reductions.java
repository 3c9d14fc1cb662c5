package lmlab.tensor;

import lmlab.autograd.Autograd;

/** Reductions over any set of dimensions, with keepdim. */
final class Reductions {
  private Reductions() {}

  /** Sum over dims (all when empty). Backward: the gradient broadcast back over the summed dims. */
  static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
    int rank = x.shape.length;
    boolean[] reduce = new boolean[rank];
    if (dims.length == 0) java.util.Arrays.fill(reduce, true);
    for (int d : dims) reduce[Shape.dim("sum", d, rank)] = true;
    int[] kept = x.shape.clone();
    for (int i = 0; i < rank; i++) if (reduce[i]) kept[i] = 1;
    // accumulate in double: out index = row-major index over kept shape
    Tensor view = x.detach();
    int[] keptStrides = Shape.contiguousStrides(kept);
    double[] acc = new double[Shape.numel(kept)];
    int[] idx = new int[rank];
    int n = x.numel();
    float[] d = x.data;
    for (int e = 0; e < n; e++) {
      int pos = x.offset, o = 0;
      for (int i = 0; i < rank; i++) {
        pos += idx[i] * x.strides[i];
        if (!reduce[i]) o += idx[i] * keptStrides[i];
      }
      acc[o] += d[pos];
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < x.shape[i]) break;
        idx[i] = 0;
      }
    }
    float[] out = new float[acc.length];
    for (int i = 0; i < out.length; i++) out[i] = (float) acc[i];
    int[] outShape;
    if (keepdim) {
      outShape = kept;
    } else {
      int cnt = 0;
      for (boolean r : reduce) if (!r) cnt++;
      outShape = new int[cnt];
      for (int i = 0, j = 0; i < rank; i++) if (!reduce[i]) outShape[j++] = x.shape[i];
    }
    Tensor res = Tensor.wrap(out, outShape);
    int[] inShape = x.shape.clone();
    assert view != null;
    return Autograd.record("sum", res, g -> new Tensor[] {g.reshape(kept).expand(inShape)}, x);
  }
}
