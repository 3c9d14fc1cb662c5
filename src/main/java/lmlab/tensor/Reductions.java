package lmlab.tensor;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.MAX;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * Reductions over any set of dimensions, with keepdim: sum, mean, var (float64 accumulators),
 * max, min (values, differentiable) and argmax, argmin (int indices; ties go to the first).
 *
 * <p>Every reduction views its input as a contiguous (outer, r, inner) block and reduces the
 * middle: reducing the last dims (inner = 1) sums contiguous rows on the Vector API, one row per
 * task; reducing the leading dims (bias gradients) adds whole rows into column accumulators. Dims
 * that do not form one block are first permuted to the end and copied.
 */
final class Reductions {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  /** Floats that widen to one double vector. */
  private static final VectorSpecies<Float> FH =
      VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

  private Reductions() {}

  /**
   * x as a contiguous (outer, r, inner) block reducing r; kept: the input shape with reduced dims
   * set to 1; out: the result shape (kept, or without the reduced dims).
   */
  record Plan(Tensor x, int outer, int r, int inner, int[] kept, int[] out) {
    int outputs() {
      return outer * inner;
    }
  }

  /** Normalises dims (negative allowed, empty = all) and lays x out for the reduction. */
  static Plan plan(String op, Tensor x, int[] dims, boolean keepdim) {
    int rank = x.shape.length;
    boolean[] reduce = new boolean[rank];
    if (dims.length == 0) Arrays.fill(reduce, true);
    for (int d : dims) {
      int k = Shape.dim(op, d, rank);
      if (rank == 0) continue; // a scalar accepts dim 0 or -1 and reduces to itself
      if (reduce[k]) {
        throw new IllegalArgumentException(op + ": dimension " + d + " appears twice in " + Arrays.toString(dims));
      }
      reduce[k] = true;
    }
    int[] kept = x.shape.clone();
    int nOut = 0;
    for (int i = 0; i < rank; i++) {
      if (reduce[i]) kept[i] = 1;
      else nOut++;
    }
    int[] out = new int[nOut];
    for (int i = 0, j = 0; i < rank; i++) if (!reduce[i]) out[j++] = x.shape[i];
    if (keepdim) out = kept.clone();

    // the reduced dims of size > 1 must lie in one block [lo, hi] without a kept dim of size > 1
    int lo = -1;
    int hi = -1;
    boolean block = true;
    for (int i = 0; i < rank; i++) {
      if (x.shape[i] == 1) continue;
      if (reduce[i]) {
        if (lo < 0) lo = i;
        else if (hi < i - 1 && hasKeptBetween(x.shape, reduce, hi, i)) block = false;
        hi = i;
      }
    }
    if (!block) { // permute kept dims first, reduced dims last
      int[] perm = new int[rank];
      int j = 0;
      for (int i = 0; i < rank; i++) if (!reduce[i]) perm[j++] = i;
      for (int i = 0; i < rank; i++) if (reduce[i]) perm[j++] = i;
      Tensor src = x.detach().permute(perm);
      int outer = 1;
      for (int i = 0; i < nOut; i++) outer *= src.shape[i];
      int r = 1;
      for (int i = nOut; i < rank; i++) r *= src.shape[i];
      return new Plan(src.copy(), outer, r, 1, kept, out);
    }
    if (lo < 0) { // nothing of size > 1 is reduced
      lo = rank;
      hi = rank - 1;
    }
    int outer = 1;
    for (int i = 0; i < lo; i++) outer *= x.shape[i];
    int r = 1;
    for (int i = lo; i <= hi; i++) r *= x.shape[i];
    int inner = 1;
    for (int i = hi + 1; i < rank; i++) inner *= x.shape[i];
    return new Plan(Pointwise.dense(x), outer, r, inner, kept, out);
  }

  private static boolean hasKeptBetween(int[] shape, boolean[] reduce, int from, int to) {
    for (int i = from + 1; i < to; i++) if (!reduce[i] && shape[i] != 1) return true;
    return false;
  }

  // ---------------------------------------------------------------- sum, mean, var

  /** y = sum of x over dims.  dx = g broadcast back over the reduced dims. */
  static Tensor sum(Tensor x, int[] dims, boolean keepdim) {
    Plan p = plan("sum", x, dims, keepdim);
    double[] s = sums(p);
    Tensor out = Tensor.wrap(toFloat(s, 1.0), p.out);
    return Autograd.record("sum", out, g -> new Tensor[] {broadcastBack(g, p.kept, x.shape)}, x);
  }

  /** y = sum(x) / r over dims (r reduced elements).  dx = g / r broadcast back. */
  static Tensor mean(Tensor x, int[] dims, boolean keepdim) {
    Plan p = plan("mean", x, dims, keepdim);
    double[] s = sums(p);
    float inv = 1f / p.r;
    Tensor out = Tensor.wrap(toFloat(s, 1.0 / p.r), p.out);
    return Autograd.record("mean", out, g -> new Tensor[] {broadcastBack(Elementwise.mul(g, inv), p.kept, x.shape)}, x);
  }

  /**
   * y = sum((x - mean)^2) / (r - ddof), ddof = 1 when unbiased (Bessel) else 0; two passes in
   * float64.  dx = g * 2 (x - mean) / (r - ddof).
   */
  static Tensor var(Tensor x, int[] dims, boolean keepdim, boolean unbiased) {
    Plan p = plan("var", x, dims, keepdim);
    int ddof = unbiased ? 1 : 0;
    double[] mean = sums(p);
    for (int i = 0; i < mean.length; i++) mean[i] /= p.r;
    double[] ssd = squaredDeviations(p, mean);
    Tensor out = Tensor.wrap(toFloat(ssd, 1.0 / (p.r - ddof)), p.out);
    Tensor m = Tensor.wrap(toFloat(mean, 1.0), p.kept);
    float scale = 2f / (p.r - ddof);
    return Autograd.record("var", out, g -> new Tensor[] {
        Elementwise.mul(Elementwise.sub(x, m), Elementwise.mul(g.reshape(p.kept), scale))}, x);
  }

  /** g (of the reduced shape) as a fresh contiguous tensor of the input shape. */
  private static Tensor broadcastBack(Tensor g, int[] kept, int[] inShape) {
    return g.reshape(kept).expand(inShape).copy();
  }

  private static float[] toFloat(double[] v, double scale) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) (v[i] * scale);
    return f;
  }

  /** Column chunk width for inner > 1: rows are added into accumulators this wide. */
  private static final int COLS = 1024;

  /** The float64 sums of each (outer, inner) output over r. */
  static double[] sums(Plan p) {
    double[] out = new double[p.outputs()];
    float[] x = p.x.data;
    int base = p.x.offset;
    int r = p.r;
    int inner = p.inner;
    if (inner == 1) {
      Parallel.forRange(p.outer, Math.max(1, Pointwise.GRAIN / Math.max(1, r)), (o0, o1) -> {
        for (int o = o0; o < o1; o++) out[o] = rowSum(x, base + o * r, r);
      });
      return out;
    }
    int chunks = (inner + COLS - 1) / COLS;
    int work = r * Math.min(inner, COLS);
    Parallel.forRange(p.outer * chunks, Math.max(1, Pointwise.GRAIN / Math.max(1, work)), (t0, t1) -> {
      for (int t = t0; t < t1; t++) {
        int o = t / chunks;
        int c0 = (t % chunks) * COLS;
        int w = Math.min(COLS, inner - c0);
        int res = o * inner + c0;
        for (int j = 0; j < r; j++) {
          int row = base + (o * r + j) * inner + c0;
          for (int c = 0; c < w; c++) out[res + c] += x[row + c];
        }
      }
    });
    return out;
  }

  /** sum over r of (x - mean)^2 for each output, in float64. */
  static double[] squaredDeviations(Plan p, double[] mean) {
    double[] out = new double[p.outputs()];
    float[] x = p.x.data;
    int base = p.x.offset;
    int r = p.r;
    int inner = p.inner;
    Parallel.forRange(p.outputs(), Math.max(1, Pointwise.GRAIN / Math.max(1, r)), (k0, k1) -> {
      for (int k = k0; k < k1; k++) {
        int o = k / inner;
        int c = k % inner;
        int start = base + o * r * inner + c;
        double m = mean[k];
        double s = 0;
        if (inner == 1) {
          s = rowSquaredDeviations(x, start, r, m);
        } else {
          for (int j = 0; j < r; j++) {
            double d = x[start + j * inner] - m;
            s += d * d;
          }
        }
        out[k] = s;
      }
    });
    return out;
  }

  /** sum of x[o..o+n) in float64: floats widened to doubles, one vector at a time. */
  static double rowSum(float[] x, int o, int n) {
    DoubleVector acc = DoubleVector.zero(D);
    int i = 0;
    for (int b = FH.loopBound(n); i < b; i += FH.length()) {
      acc = acc.add((DoubleVector) FloatVector.fromArray(FH, x, o + i).castShape(D, 0));
    }
    double s = Lanes.sum(acc);
    for (; i < n; i++) s += x[o + i];
    return s;
  }

  /** sum of (x - m)^2 over x[o..o+n) in float64. */
  static double rowSquaredDeviations(float[] x, int o, int n, double m) {
    DoubleVector acc = DoubleVector.zero(D);
    int i = 0;
    for (int b = FH.loopBound(n); i < b; i += FH.length()) {
      DoubleVector d = ((DoubleVector) FloatVector.fromArray(FH, x, o + i).castShape(D, 0)).sub(m);
      acc = d.fma(d, acc);
    }
    double s = Lanes.sum(acc);
    for (; i < n; i++) {
      double d = x[o + i] - m;
      s += d * d;
    }
    return s;
  }

  // ---------------------------------------------------------------- max, min, argmax, argmin

  /** Index in [0, r) of the max (or min) of each output; ties: the first; NaN wins. */
  static int[] argExtreme(Plan p, boolean max) {
    int[] arg = new int[p.outputs()];
    float[] x = p.x.data;
    int base = p.x.offset;
    int r = p.r;
    int inner = p.inner;
    if (r == 0) throw new IllegalArgumentException("max/min/argmax: reducing an empty dimension");
    Parallel.forRange(p.outputs(), Math.max(1, Pointwise.GRAIN / Math.max(1, r)), (k0, k1) -> {
      for (int k = k0; k < k1; k++) {
        if (inner == 1) {
          arg[k] = rowArgMax(x, base + k * r, r, max ? 1f : -1f);
          continue;
        }
        int start = base + (k / inner) * r * inner + k % inner;
        float best = x[start];
        int bi = 0;
        for (int j = 1; j < r && best == best; j++) {
          float v = x[start + j * inner];
          if (max ? v > best : v < best) {
            best = v;
            bi = j;
          } else if (v != v) { // NaN propagates, as in PyTorch
            best = v;
            bi = j;
          }
        }
        arg[k] = bi;
      }
    });
    return arg;
  }

  /**
   * Index of the first maximum of sign * x[o..o+n) (sign -1: the first minimum), or of the first
   * NaN: a vector max pass (NaN-propagating, like Math.max), then a vector search for its first
   * occurrence.
   */
  static int rowArgMax(float[] x, int o, int n, float sign) {
    VectorSpecies<Float> f = VectorMath.F;
    int bound = f.loopBound(n);
    float best = Float.NEGATIVE_INFINITY;
    if (bound > 0) {
      FloatVector acc = FloatVector.broadcast(f, Float.NEGATIVE_INFINITY);
      for (int i = 0; i < bound; i += f.length()) acc = acc.max(FloatVector.fromArray(f, x, o + i).mul(sign));
      best = acc.reduceLanes(MAX);
    }
    for (int i = bound; i < n; i++) best = Math.max(best, sign * x[o + i]);
    if (best != best) { // a NaN: the first one
      for (int i = 0; i < n; i++) if (x[o + i] != x[o + i]) return i;
    }
    int i = 0;
    for (; i < bound; i += f.length()) {
      VectorMask<Float> hit = FloatVector.fromArray(f, x, o + i).mul(sign).compare(EQ, best);
      if (hit.anyTrue()) return i + hit.firstTrue();
    }
    for (; i < n; i++) if (sign * x[o + i] == best) return i;
    return 0; // n == 0 cannot reach here: argExtreme rejects it
  }

  /** y = max of x over dim.  dx = g at the first maximal element, 0 elsewhere. */
  static Tensor max(Tensor x, int dim, boolean keepdim) {
    return extreme("max", x, new int[] {dim}, keepdim, true);
  }

  /** y = min of x over dim.  dx = g at the first minimal element, 0 elsewhere. */
  static Tensor min(Tensor x, int dim, boolean keepdim) {
    return extreme("min", x, new int[] {dim}, keepdim, false);
  }

  /** Maximum of all elements (a scalar). */
  static Tensor max(Tensor x) {
    return extreme("max", x, new int[0], false, true);
  }

  /** Minimum of all elements (a scalar). */
  static Tensor min(Tensor x) {
    return extreme("min", x, new int[0], false, false);
  }

  /** Index of the first maximum along dim. */
  static IntTensor argmax(Tensor x, int dim, boolean keepdim) {
    Plan p = plan("argmax", x, new int[] {dim}, keepdim);
    return IntTensor.of(argExtreme(p, true), p.out);
  }

  /** Index of the first minimum along dim. */
  static IntTensor argmin(Tensor x, int dim, boolean keepdim) {
    Plan p = plan("argmin", x, new int[] {dim}, keepdim);
    return IntTensor.of(argExtreme(p, false), p.out);
  }

  private static Tensor extreme(String op, Tensor x, int[] dims, boolean keepdim, boolean isMax) {
    if (x.numel() == 0) throw new IllegalArgumentException(op + ": empty tensor of shape " + Shape.str(x.shape));
    Plan p = plan(op, x, dims, keepdim);
    int[] arg = argExtreme(p, isMax);
    float[] v = new float[arg.length];
    float[] d = p.x.data;
    for (int k = 0; k < arg.length; k++) v[k] = d[p.x.offset + flatIndex(p, k, arg[k])];
    Tensor out = Tensor.wrap(v, p.out);
    int r = p.r;
    int inner = p.inner;
    int[] shape = x.shape.clone();
    // dx: zeros with g[k] at the chosen element of every output k (one dim, or all: x's layout)
    return Autograd.record(op, out, g -> {
      float[] gv = g.toArray();
      float[] dx = Arena.zeroed(Shape.numel(shape));
      for (int k = 0; k < arg.length; k++) dx[flatIndex(r, inner, k, arg[k])] = gv[k];
      return new Tensor[] {Tensor.wrap(dx, shape)};
    }, x);
  }

  /** Index, inside the plan's contiguous block, of element j of output k. */
  private static int flatIndex(Plan p, int k, int j) {
    return flatIndex(p.r, p.inner, k, j);
  }

  private static int flatIndex(int r, int inner, int k, int j) {
    return (k / inner) * r * inner + j * inner + k % inner;
  }
}
