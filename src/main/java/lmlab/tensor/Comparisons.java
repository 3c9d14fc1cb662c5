package lmlab.tensor;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.GE;
import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LE;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;

/**
 * Comparisons (eq, ne, lt, le, gt, ge; tensor or scalar right-hand side, broadcasting) giving
 * 0/1 float tensors and recording no gradient, and the selections built on such masks: where,
 * maskedFill, and the pass-the-gradient-inside-a-range rule of relu, slide and clamp.
 *
 * <p>A select written as a scalar {@code c ? a : b} compiles to a branch, which mispredicts on
 * half of random data (about 10 ns an element); the kernels here run on the Vector API as
 * compare + blend instead. An operand broadcast along a span (stride 0) is read from a vector of
 * copies of its value, so each loop body has one form.
 */
final class Comparisons {
  private static final VectorSpecies<Float> F = VectorMath.F;

  private Comparisons() {}

  /**
   * The six comparisons: 1 where the relation holds, else 0. Each is encoded by the value it
   * gives when a < b, a == b, a > b and when they are unordered (a NaN).
   */
  enum Cmp {
    EQ("eq", 0, 1, 0, 0), NE("ne", 1, 0, 1, 1), LT("lt", 1, 0, 0, 0), LE("le", 1, 1, 0, 0),
    GT("gt", 0, 0, 1, 0), GE("ge", 0, 1, 1, 0);

    final String op;
    final float less;
    final float equal;
    final float greater;
    final float unordered;

    Cmp(String op, float less, float equal, float greater, float unordered) {
      this.op = op;
      this.less = less;
      this.equal = equal;
      this.greater = greater;
      this.unordered = unordered;
    }
  }

  /** (a cmp b) with broadcasting, as 0/1; not differentiable. */
  static Tensor compare(Tensor a, Tensor b, Cmp c) {
    return Pointwise.zip(c.op, a, b,
        (as, ao, sa, bs, bo, sb, o, oo, n) -> compareK(as, ao, sa, bs, bo, sb, c, o, oo, n));
  }

  /** (x cmp s) as 0/1; not differentiable. */
  static Tensor compare(Tensor x, float s, Cmp c) {
    return compare(x, Tensor.scalar(s), c);
  }

  /**
   * out = cond != 0 ? a : b, all three broadcast together.  da = g where cond, db = g elsewhere;
   * cond gets no gradient.
   */
  static Tensor where(Tensor cond, Tensor a, Tensor b) {
    Tensor out = select("where", cond, a, b);
    Tensor c = cond.detach();
    Tensor zero = Tensor.scalar(0f);
    return Autograd.record("where", out, g -> new Tensor[] {
        a.requiresGrad() ? select("where", c, g, zero) : null,
        b.requiresGrad() ? select("where", c, zero, g) : null}, a, b);
  }

  /**
   * out = mask != 0 ? value : x, the mask broadcast to x's shape (value may be -inf).
   * dx = g where the mask is 0, else 0.
   */
  static Tensor maskedFill(Tensor x, Tensor mask, float value) {
    int[] shape = Shape.broadcast("maskedFill", x.shape, mask.shape);
    if (!Shape.same(shape, x.shape)) {
      throw new IllegalArgumentException(
          "maskedFill: mask of shape " + Shape.str(mask.shape) + " does not broadcast to the tensor's shape "
              + Shape.str(x.shape));
    }
    Tensor out = select("maskedFill", mask, Tensor.scalar(value), x);
    Tensor m = mask.detach();
    return Autograd.record("masked_fill", out, g -> new Tensor[] {select("maskedFill", m, Tensor.scalar(0f), g)}, x);
  }

  /** cond != 0 ? a : b over the broadcast of the three, not recorded. */
  static Tensor select(String op, Tensor cond, Tensor a, Tensor b) {
    int[] shape = Pointwise.broadcastAll(op, cond, a, b);
    float[] out = new float[Shape.numel(shape)];
    Pointwise.Walk w = new Pointwise.Walk(shape, cond, a, b);
    float[] cd = w.ops[0].data;
    float[] ad = w.ops[1].data;
    float[] bd = w.ops[2].data;
    int sc = w.inner[0];
    int sa = w.inner[1];
    int sb = w.inner[2];
    w.run((pos, n, o) -> selectK(cd, pos[0], sc, ad, pos[1], sa, bd, pos[2], sb, out, o, n));
    return Tensor.wrap(out, shape);
  }

  /** g where lo <= x <= hi, else 0: the gradient rule of clamp, slide and (lo = MIN_VALUE) relu. */
  static Tensor passInRange(Tensor x, Tensor g, float lo, float hi) {
    return Pointwise.map2(x, g, (xs, xo, gs, go, o, oo, n) -> passInRangeK(xs, xo, gs, go, lo, hi, o, oo, n));
  }

  // ---------------------------------------------------------------- span kernels

  /** A span operand read with stride 0: a vector's worth of copies of its value. */
  private static float[] splat(float v) {
    float[] a = new float[F.length()];
    java.util.Arrays.fill(a, v);
    return a;
  }

  /** o = a cmp b, from the masks a < b, a == b, a > b (all false when unordered). */
  static void compareK(float[] a, int ao, int sa, float[] b, int bo, int sb, Cmp c, float[] o, int oo, int n) {
    int i = 0;
    if (n >= F.length()) {
      if (sa == 0) {
        a = splat(a[ao]);
        ao = 0;
      }
      if (sb == 0) {
        b = splat(b[bo]);
        bo = 0;
      }
      FloatVector zero = FloatVector.zero(F);
      for (int e = F.loopBound(n); i < e; i += F.length()) {
        FloatVector x = FloatVector.fromArray(F, a, ao + i * sa);
        FloatVector y = FloatVector.fromArray(F, b, bo + i * sb);
        VectorMask<Float> lt = x.compare(LT, y);
        VectorMask<Float> eq = x.compare(EQ, y);
        VectorMask<Float> gt = x.compare(GT, y);
        VectorMask<Float> un = lt.or(eq).or(gt).not();
        zero.blend(c.less, lt).add(zero.blend(c.equal, eq)).add(zero.blend(c.greater, gt))
            .add(zero.blend(c.unordered, un)).intoArray(o, oo + i);
      }
    }
    for (; i < n; i++) {
      float x = a[ao + i * sa];
      float y = b[bo + i * sb];
      o[oo + i] = x < y ? c.less : x == y ? c.equal : x > y ? c.greater : c.unordered;
    }
  }

  /** o = c != 0 ? a : b */
  static void selectK(float[] c, int co, int sc, float[] a, int ao, int sa, float[] b, int bo, int sb,
      float[] o, int oo, int n) {
    int i = 0;
    if (n >= F.length()) {
      if (sc == 0) {
        c = splat(c[co]);
        co = 0;
      }
      if (sa == 0) {
        a = splat(a[ao]);
        ao = 0;
      }
      if (sb == 0) {
        b = splat(b[bo]);
        bo = 0;
      }
      for (int e = F.loopBound(n); i < e; i += F.length()) {
        VectorMask<Float> take = FloatVector.fromArray(F, c, co + i * sc).compare(NE, 0f);
        FloatVector.fromArray(F, b, bo + i * sb).blend(FloatVector.fromArray(F, a, ao + i * sa), take)
            .intoArray(o, oo + i);
      }
    }
    for (; i < n; i++) o[oo + i] = c[co + i * sc] != 0f ? a[ao + i * sa] : b[bo + i * sb];
  }

  /** o = lo <= x <= hi ? g : 0 */
  static void passInRangeK(float[] x, int xo, float[] g, int go, float lo, float hi, float[] o, int oo, int n) {
    int i = 0;
    FloatVector zero = FloatVector.zero(F);
    for (int e = F.loopBound(n); i < e; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      VectorMask<Float> in = v.compare(GE, lo).and(v.compare(LE, hi));
      zero.blend(FloatVector.fromArray(F, g, go + i), in).intoArray(o, oo + i);
    }
    for (; i < n; i++) {
      float v = x[xo + i];
      o[oo + i] = v >= lo && v <= hi ? g[go + i] : 0f;
    }
  }
}
