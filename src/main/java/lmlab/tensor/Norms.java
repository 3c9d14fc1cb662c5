package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * LayerNorm and RMSNorm over the last dim, fused: the forward saves each row's mean and rstd, the
 * backward finds dx, dweight and dbias in two passes over a row. Both are one kernel: RMSNorm is
 * LayerNorm without centring (mean 0) and without bias.
 *
 * <pre>
 *   layerNorm: y = (x − mean)·rstd·w + b,  rstd = 1/sqrt(mean((x − mean)²) + eps)   (biased variance)
 *   rmsNorm:   y = x·rstd·w,               rstd = 1/sqrt(mean(x²) + eps)
 * </pre>
 */
final class Norms {
  private Norms() {}

  static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
    return norm("layerNorm", true, x, weight, bias, eps);
  }

  static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
    return norm("rmsNorm", false, x, weight, null, eps);
  }

  private static Tensor norm(String op, boolean centered, Tensor x0, Tensor weight, Tensor bias, float eps) {
    if (x0.dim() == 0) throw new IllegalArgumentException(op + ": needs at least 1 dimension, got a scalar");
    int d = x0.shape[x0.dim() - 1];
    checkParam(op, "weight", weight, x0.shape, d);
    checkParam(op, "bias", bias, x0.shape, d);
    Tensor x = x0.contiguous();
    int rows = d == 0 ? 0 : x.numel() / d;
    float[] xs = x.data;
    int xo = x.offset;
    float[] w = weight == null ? null : weight.toArray();
    float[] b = bias == null ? null : bias.toArray();
    float[] mean = Arena.zeroed(rows);
    float[] rstd = Arena.zeroed(rows);
    float[] y = Arena.scratch(x.numel());
    Parallel.forRange(rows, RowMath.rowGrain(d), (from, to) -> {
      for (int r = from; r < to; r++) {
        int p = xo + r * d;
        float mu = centered ? RowMath.sum(xs, p, d) / d : 0f;
        float rs = (float) (1.0 / Math.sqrt(sumSquares(xs, p, d, mu) / d + eps));
        mean[r] = mu;
        rstd[r] = rs;
        forwardRow(xs, p, y, r * d, d, mu, rs, w, b);
      }
    });
    Tensor out = Tensor.wrap(y, x.shape.clone());
    return Autograd.record(op, out, g -> backward(centered, x, w, mean, rstd, g, weight, bias), x, weight, bias);
  }

  private static void checkParam(String op, String name, Tensor p, int[] xShape, int d) {
    if (p != null && (p.dim() != 1 || p.shape[0] != d)) {
      throw new IllegalArgumentException(
          op + ": " + name + " of shape " + Shape.str(p.shape) + " does not fit input of shape " + Shape.str(xShape)
              + " (expected (" + d + ",))");
    }
  }

  /** Σ (x_i − mu)². */
  private static float sumSquares(float[] x, int p, int d, float mu) {
    int i = 0;
    FloatVector acc = FloatVector.zero(RowMath.F);
    for (int bound = RowMath.F.loopBound(d); i < bound; i += RowMath.F.length()) {
      FloatVector c = FloatVector.fromArray(RowMath.F, x, p + i).sub(mu);
      acc = c.fma(c, acc);
    }
    float s = Lanes.sum(acc);
    for (; i < d; i++) s += (x[p + i] - mu) * (x[p + i] - mu);
    return s;
  }

  /** y = (x − mu)·rs·w + b, with w = 1 and b = 0 where absent. */
  private static void forwardRow(float[] x, int p, float[] y, int q, int d, float mu, float rs, float[] w, float[] b) {
    int i = 0;
    for (int bound = RowMath.F.loopBound(d); i < bound; i += RowMath.F.length()) {
      FloatVector v = FloatVector.fromArray(RowMath.F, x, p + i).sub(mu).mul(rs);
      if (w != null) v = v.mul(FloatVector.fromArray(RowMath.F, w, i));
      if (b != null) v = v.add(FloatVector.fromArray(RowMath.F, b, i));
      v.intoArray(y, q + i);
    }
    for (; i < d; i++) {
      float v = (x[p + i] - mu) * rs;
      if (w != null) v *= w[i];
      if (b != null) v += b[i];
      y[q + i] = v;
    }
  }

  /**
   * With xhat = (x − mean)·rstd and gh = g·w: dx = rstd·(gh − mean(gh) − xhat·mean(gh·xhat)) (no
   * mean(gh) term for RMSNorm), dw = Σ_rows g·xhat, db = Σ_rows g. Pass 1 per row finds the two
   * means, pass 2 writes dx and adds into per-part dw/db partials, summed at the end.
   */
  private static Tensor[] backward(boolean centered, Tensor x, float[] w, float[] mean, float[] rstd, Tensor g0,
      Tensor weight, Tensor bias) {
    Tensor g = g0.isContiguous() ? g0 : g0.copy();
    int d = x.shape[x.dim() - 1];
    int rows = mean.length;
    float[] xs = x.data;
    int xo = x.offset;
    float[] gs = g.data;
    int go = g.offset;
    float[] dx = x.requiresGrad() ? Arena.scratch(rows * d) : null;
    boolean wantW = weight != null && weight.requiresGrad();
    boolean wantB = bias != null && bias.requiresGrad();
    int parts = Math.max(1, Math.min(Parallel.threads(), rows * d / 8192));
    float[][] dw = new float[parts][];
    float[][] db = new float[parts][];
    Parallel.forEachPart(parts, part -> {
      int from = (int) ((long) rows * part / parts);
      int to = (int) ((long) rows * (part + 1) / parts);
      float[] pw = wantW ? new float[d] : null;
      float[] pb = wantB ? new float[d] : null;
      for (int r = from; r < to; r++) {
        int p = xo + r * d;
        int q = go + r * d;
        float mu = mean[r];
        float rs = rstd[r];
        float a = 0f;
        float c = 0f;
        if (dx != null) {
          float[] sums = ghSums(xs, p, gs, q, w, d, mu, rs);
          a = centered ? sums[0] / d : 0f;
          c = sums[1] / d;
        }
        pass2(xs, p, gs, q, w, d, mu, rs, a, c, dx, r * d, pw, pb);
      }
      dw[part] = pw;
      db[part] = pb;
    });
    return new Tensor[] {
      dx == null ? null : Tensor.wrap(dx, x.shape.clone()),
      wantW ? Tensor.wrap(addParts(dw), new int[] {d}) : null,
      wantB ? Tensor.wrap(addParts(db), new int[] {d}) : null
    };
  }

  /** {Σ gh, Σ gh·xhat} of one row. */
  private static float[] ghSums(float[] x, int p, float[] g, int q, float[] w, int d, float mu, float rs) {
    int i = 0;
    FloatVector s0 = FloatVector.zero(RowMath.F);
    FloatVector s1 = FloatVector.zero(RowMath.F);
    for (int bound = RowMath.F.loopBound(d); i < bound; i += RowMath.F.length()) {
      FloatVector xh = FloatVector.fromArray(RowMath.F, x, p + i).sub(mu).mul(rs);
      FloatVector gh = FloatVector.fromArray(RowMath.F, g, q + i);
      if (w != null) gh = gh.mul(FloatVector.fromArray(RowMath.F, w, i));
      s0 = s0.add(gh);
      s1 = gh.fma(xh, s1);
    }
    float a = Lanes.sum(s0);
    float b = Lanes.sum(s1);
    for (; i < d; i++) {
      float xh = (x[p + i] - mu) * rs;
      float gh = w != null ? g[q + i] * w[i] : g[q + i];
      a += gh;
      b += gh * xh;
    }
    return new float[] {a, b};
  }

  /** Pass 2 of a row: dx = rs·(gh − a − xhat·c) when dx is wanted; pw += g·xhat, pb += g when given. */
  private static void pass2(float[] x, int p, float[] g, int q, float[] w, int d, float mu, float rs, float a, float c,
      float[] dx, int o, float[] pw, float[] pb) {
    int i = 0;
    for (int bound = RowMath.F.loopBound(d); i < bound; i += RowMath.F.length()) {
      FloatVector xh = FloatVector.fromArray(RowMath.F, x, p + i).sub(mu).mul(rs);
      FloatVector gv = FloatVector.fromArray(RowMath.F, g, q + i);
      if (dx != null) {
        FloatVector gh = w != null ? gv.mul(FloatVector.fromArray(RowMath.F, w, i)) : gv;
        gh.sub(a).sub(xh.mul(c)).mul(rs).intoArray(dx, o + i);
      }
      if (pw != null) gv.fma(xh, FloatVector.fromArray(RowMath.F, pw, i)).intoArray(pw, i);
      if (pb != null) gv.add(FloatVector.fromArray(RowMath.F, pb, i)).intoArray(pb, i);
    }
    for (; i < d; i++) {
      float xh = (x[p + i] - mu) * rs;
      float gv = g[q + i];
      if (dx != null) dx[o + i] = rs * ((w != null ? gv * w[i] : gv) - a - xh * c);
      if (pw != null) pw[i] += gv * xh;
      if (pb != null) pb[i] += gv;
    }
  }

  private static float[] addParts(float[][] parts) {
    float[] s = parts[0].clone();
    for (int i = 1; i < parts.length; i++) VectorMath.addInPlace(s, 0, parts[i], 0, s.length);
    return s;
  }
}
