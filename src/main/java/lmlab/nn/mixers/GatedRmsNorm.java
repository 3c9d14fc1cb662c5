package lmlab.nn.mixers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.Arena;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Mamba-2's gated RMSNorm (mamba_ssm {@code RMSNormGated} with norm_before_gate = False, group
 * size d / G), one kernel with its backward beside it. Per row and group of m = d / G channels:
 *
 * <pre>
 *   u = y ⊙ silu(z),   r = 1 / sqrt(mean(u²) + eps),   out = u · r ⊙ w
 *   du = r (w ⊙ dout) - u · r³ / m · Σ (w ⊙ dout ⊙ u)          dw = Σ_rows dout ⊙ u · r
 *   dy = du ⊙ silu(z),   dz = du ⊙ y ⊙ σ(z) (1 + z (1 - σ(z)))
 * </pre>
 *
 * y and z may be any (…, d) views with contiguous channels (z is a slice of in_proj's output).
 */
final class GatedRmsNorm {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private GatedRmsNorm() {}

  /** out (rows of y's shape) for y and z of the same shape (…, d), weight (d,), G groups. */
  static Tensor apply(Tensor y0, Tensor z0, Tensor weight, int groups, float eps) {
    int[] s = y0.shape();
    int d = s[s.length - 1];
    if (!Shape.same(z0.shape(), s) || !Shape.same(weight.shape(), new int[] {d}) || d % groups != 0) {
      throw new IllegalArgumentException("gated RMSNorm: y and z must have one shape (…, d), weight (d) and "
          + groups + " groups must divide d, got " + Shape.str(s) + ", " + Shape.str(z0.shape()) + ", "
          + Shape.str(weight.shape()));
    }
    Tensor y = rows(y0, d), z = rows(z0, d);
    int n = d == 0 ? 0 : (int) (Shape.numel(s) / d), m = d / groups;
    int ys = rowStride(y, d), zs = rowStride(z, d);
    float[] w = weight.contiguous().toArray();
    float[] yv = y.storage(), zv = z.storage();
    int yo = y.offset(), zo = z.offset();
    Tensor result = Arena.zeros(s);
    float[] out = result.storage();
    float[] rs = Arena.scratch(n * groups); // r of every row and group, for backward
    Parallel.forRange(n, 16, (from, to) -> {
      float[] u = new float[d];
      for (int row = from; row < to; row++) {
        gate(yv, yo + row * ys, zv, zo + row * zs, u, d);
        for (int g = 0; g < groups; g++) {
          float r = (float) (1 / Math.sqrt(dot(u, g * m, u, g * m, m) / m + eps));
          rs[row * groups + g] = r;
          for (int i = g * m; i < (g + 1) * m; i++) out[row * d + i] = u[i] * r * w[i];
        }
      }
    });
    return Autograd.record("gated_rms_norm", result, grad -> {
      Tensor gc = grad.contiguous();
      float[] gv = gc.storage();
      int go = gc.offset();
      Tensor dyT = Arena.zeros(s), dzT = Arena.zeros(s);
      float[] dy = dyT.storage(), dz = dzT.storage();
      int parts = Math.max(1, Math.min(Parallel.threads(), n / 16));
      float[][] dwParts = new float[parts][d];
      Parallel.forEachPart(parts, part -> {
        int from = (int) ((long) n * part / parts), to = (int) ((long) n * (part + 1) / parts);
        float[] u = new float[d], wg = new float[d], dw = dwParts[part];
        for (int row = from; row < to; row++) {
          int yr = yo + row * ys, zr = zo + row * zs, gr = go + row * d;
          gate(yv, yr, zv, zr, u, d);
          for (int i = 0; i < d; i++) wg[i] = w[i] * gv[gr + i];
          for (int g = 0; g < groups; g++) {
            float r = rs[row * groups + g];
            float c = r * r * r / m * dot(wg, g * m, u, g * m, m);
            backwardGroup(g * m, (g + 1) * m, r, c, u, wg, gv, gr, yv, yr, zv, zr, dw, dy, dz, row * d);
          }
        }
      });
      float[] dw = new float[d];
      for (float[] p : dwParts) for (int i = 0; i < d; i++) dw[i] += p[i];
      return new Tensor[] {dyT, dzT, Tensor.vector(dw)};
    }, y, z, weight);
  }

  /**
   * One group [i0, end) of a row's backward: dw += dout ⊙ u · r, du = r (w ⊙ dout) - u · c,
   * dy = du ⊙ silu(z), dz = du ⊙ y ⊙ σ(z) (1 + z (1 - σ(z))). A method of its own, small enough
   * for the JIT to keep the vectors in registers.
   */
  private static void backwardGroup(int i0, int end, float r, float c, float[] u, float[] wg, float[] gv, int gr,
      float[] yv, int yr, float[] zv, int zr, float[] dw, float[] dy, float[] dz, int o) {
    int i = i0;
    FloatVector rv = FloatVector.broadcast(F, r), cv = FloatVector.broadcast(F, c), one = FloatVector.broadcast(F, 1f);
    for (int up = i + F.loopBound(end - i0); i < up; i += F.length()) {
      FloatVector ui = FloatVector.fromArray(F, u, i), gi = FloatVector.fromArray(F, gv, gr + i);
      gi.mul(ui).fma(rv, FloatVector.fromArray(F, dw, i)).intoArray(dw, i);
      FloatVector du = FloatVector.fromArray(F, wg, i).mul(rv).sub(ui.mul(cv));
      FloatVector zi = FloatVector.fromArray(F, zv, zr + i);
      FloatVector sg = one.div(Lanes.exp(zi.neg()).add(one));
      du.mul(zi).mul(sg).intoArray(dy, o + i); // du ⊙ silu(z)
      FloatVector slope = zi.mul(one.sub(sg)).add(one);
      du.mul(FloatVector.fromArray(F, yv, yr + i)).mul(sg).mul(slope).intoArray(dz, o + i); // du ⊙ y ⊙ silu'(z)
    }
    for (; i < end; i++) {
      dw[i] += gv[gr + i] * u[i] * r;
      float du = r * wg[i] - u[i] * c;
      float zi = zv[zr + i], sg = 1 / (1 + Lanes.exp(-zi));
      dy[o + i] = du * zi * sg;
      dz[o + i] = du * yv[yr + i] * sg * (1 + zi * (1 - sg));
    }
  }

  /** u = y ⊙ silu(z) over one row. */
  private static void gate(float[] y, int yo, float[] z, int zo, float[] u, int d) {
    int i = 0;
    for (int up = F.loopBound(d); i < up; i += F.length()) {
      FloatVector zv = FloatVector.fromArray(F, z, zo + i);
      FloatVector silu = zv.div(Lanes.exp(zv.neg()).add(1f));
      FloatVector.fromArray(F, y, yo + i).mul(silu).intoArray(u, i);
    }
    for (; i < d; i++) u[i] = y[yo + i] * z[zo + i] / (1 + Lanes.exp(-z[zo + i]));
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int len) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int up = F.loopBound(len); i < up; i += F.length()) {
      acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
    }
    float sum = Lanes.sum(acc);
    for (; i < len; i++) sum += a[ao + i] * b[bo + i];
    return sum;
  }

  /** t itself when its rows of d channels are evenly spaced with contiguous channels, else a copy. */
  private static Tensor rows(Tensor t, int d) {
    int[] st = t.strides(), sh = t.shape();
    if (st[st.length - 1] != 1 && d > 1) return t.contiguous();
    int stride = sh.length < 2 ? d : st[st.length - 2];
    long expected = stride;
    for (int i = sh.length - 2; i >= 0; i--) { // every outer dim must step by whole rows
      if (sh[i] > 1 && st[i] != expected) return t.contiguous();
      expected *= sh[i];
    }
    return t;
  }

  private static int rowStride(Tensor t, int d) {
    int[] st = t.strides();
    return t.shape().length < 2 ? d : st[st.length - 2];
  }
}
