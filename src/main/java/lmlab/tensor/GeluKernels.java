package lmlab.tensor;

import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LT;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;

/**
 * Fused GELU kernels on the Vector API, one pass each way. Each computes
 * {@code out = p * (f(x) + k * x f'(x))}-shaped expressions so that one loop body serves both
 * directions: forward with p = x, k = 0; backward with p = g (the upstream gradient), k = 1.
 * Loop bodies call nothing but the Vector API and {@link lmlab.kernels.Lanes} (always inlined), so the JIT
 * keeps every vector in registers.
 *
 * <p>Exact GELU needs erf, computed here as 1 + erf(u) (which keeps the far negative side, an
 * erfc, accurate to a relative 1e-6 instead of losing it to cancellation) from two Chebyshev fits
 * made for lmlab with mpmath at 40 digits, written as polynomials in a variable mapped to [-1, 1]
 * so float Horner stays well conditioned:
 * <ul>
 *   <li>|u| < 1: erf(u) = u P(2u^2 - 1), P of degree 7 fitting erf(u)/u (relative error 4e-11);
 *   <li>|u| >= 1: erfc(|u|) = e^(-u^2) G(2s - 1) s with s = 1/|u|, G of degree 12 fitting
 *       |u| erfc(|u|) e^(u^2), smooth in s all the way to s = 0 (1/sqrt(pi)), on s in [0, 1]
 *       (relative error 1.3e-8).
 * </ul>
 * In float32 the result is within 7e-7 relative of 1 + erf until e^(-u^2) turns subnormal
 * (x below -13). e^(-x^2/2) is taken with x^2 split exactly into hi + lo (lo by a fused
 * multiply-add), so the rounding of x^2 (absolute 5e-6 at x = 9) does not reach the tail.
 */
final class GeluKernels {
  private static final VectorSpecies<Float> F = VectorMath.F;
  private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
  private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));
  private static final float K = (float) Math.sqrt(2 / Math.PI);
  private static final float C = 0.044715f;

  private static final float P0 = 0.9654687386375514f;
  private static final float P1 = -0.14053608901552964f;
  private static final float P2 = 0.019852497722779194f;
  private static final float P3 = -0.0022854856569519293f;
  private static final float P4 = 0.00021751198975777139f;
  private static final float P5 = -1.7536824693529768e-05f;
  private static final float P6 = 1.2316401734415828e-06f;
  private static final float P7 = -7.557492406373985e-08f;

  private static final float G0 = 0.5107913552750332f;
  private static final float G1 = -0.08360547892338524f;
  private static final float G2 = -0.009158574054716883f;
  private static final float G3 = 0.014869738438354142f;
  private static final float G4 = -0.00679321776047963f;
  private static final float G5 = 0.0013312398148086087f;
  private static final float G6 = 0.0006122448979998298f;
  private static final float G7 = -0.0008190411423034757f;
  private static final float G8 = 0.0005344945680749949f;
  private static final float G9 = -0.00017763107459116233f;
  private static final float G10 = -7.190757391235763e-05f;
  private static final float G11 = 9.817340940517764e-05f;
  private static final float G12 = -2.7818531858809344e-05f;

  private GeluKernels() {}

  /**
   * out = p (Phi(x) + k x phi(x)), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi(x) = e^(-x^2/2) / sqrt(2 pi).
   * Forward gelu(x) = x Phi(x): p = x, k = 0.  Backward dx = g (Phi(x) + x phi(x)): p = g, k = 1.
   */
  static void exact(float[] x, int xo, float[] p, int po, float k, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      // e = e^(-x^2/2) = e^(-u^2), u = x / sqrt 2, with x^2 = hi + lo exactly
      FloatVector hi = v.mul(v);
      FloatVector lo = v.fma(v, hi.neg());
      FloatVector e = Lanes.exp(hi.mul(-0.5f)).mul(lo.mul(-0.5f).add(1f));
      FloatVector u = v.mul(INV_SQRT2);
      FloatVector a = u.abs();
      // |u| < 1:  1 + erf(u) = 1 + u P(2u^2 - 1)
      FloatVector t = a.mul(a).mul(2f).sub(1f);
      FloatVector q = t.mul(P7).add(P6);
      q = q.fma(t, t.broadcast(P5)).fma(t, t.broadcast(P4)).fma(t, t.broadcast(P3)).fma(t, t.broadcast(P2))
          .fma(t, t.broadcast(P1)).fma(t, t.broadcast(P0));
      FloatVector small = u.fma(q, u.broadcast(1f));
      FloatVector pdfTerm = v.mul(e).mul(INV_SQRT_2PI * k);
      VectorMask<Float> inSmall = a.compare(LT, 1f);
      if (inSmall.allTrue()) { // no lane needs the tail fit (see exactWithSlope)
        FloatVector.fromArray(F, p, po + i).mul(small.mul(0.5f).add(pdfTerm)).intoArray(o, oo + i);
      } else {
        // |u| >= 1:  erfc(|u|) = e G(2s - 1) s;  1 + erf(u) = 2 - erfc for u > 0, erfc for u < 0
        FloatVector s = u.broadcast(1f).div(a.max(1f));
        FloatVector w = s.mul(2f).sub(1f);
        FloatVector r = w.mul(G12).add(G11);
        r = r.fma(w, w.broadcast(G10)).fma(w, w.broadcast(G9)).fma(w, w.broadcast(G8)).fma(w, w.broadcast(G7))
            .fma(w, w.broadcast(G6)).fma(w, w.broadcast(G5)).fma(w, w.broadcast(G4)).fma(w, w.broadcast(G3))
            .fma(w, w.broadcast(G2)).fma(w, w.broadcast(G1)).fma(w, w.broadcast(G0));
        FloatVector erfc = e.mul(r).mul(s);
        FloatVector large = erfc.blend(erfc.neg().add(2f), u.compare(GT, 0f));
        FloatVector cdf = large.blend(small, inSmall).mul(0.5f);
        FloatVector.fromArray(F, p, po + i).mul(cdf.add(pdfTerm)).intoArray(o, oo + i);
      }
    }
    if (i < n) { // the tail, once more on zero-padded copies
      float[] out = new float[F.length()];
      exact(Pointwise.lanes(x, xo + i, n - i), 0, Pointwise.lanes(p, po + i, n - i), 0, k, out, 0, F.length());
      System.arraycopy(out, 0, o, oo + i, n - i);
    }
  }

  /**
   * Forward and the slope the backward needs, in one pass: y = x Phi(x) and
   * s = dy/dx = Phi(x) + x phi(x), so that the backward is only dx = g s instead of a second
   * erf evaluation. Each is rounded exactly as {@link #exact} rounds it (k = 0 for y, k = 1 for
   * s), so y and g s are bit-equal to the two-pass forms.
   */
  static void exactWithSlope(float[] x, int xo, float[] y, int yo, float[] slope, int so, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      FloatVector hi = v.mul(v);
      FloatVector lo = v.fma(v, hi.neg());
      FloatVector e = Lanes.exp(hi.mul(-0.5f)).mul(lo.mul(-0.5f).add(1f));
      FloatVector u = v.mul(INV_SQRT2);
      FloatVector a = u.abs();
      FloatVector t = a.mul(a).mul(2f).sub(1f);
      FloatVector q = t.mul(P7).add(P6);
      q = q.fma(t, t.broadcast(P5)).fma(t, t.broadcast(P4)).fma(t, t.broadcast(P3)).fma(t, t.broadcast(P2))
          .fma(t, t.broadcast(P1)).fma(t, t.broadcast(P0));
      FloatVector small = u.fma(q, u.broadcast(1f));
      FloatVector ve = v.mul(e);
      VectorMask<Float> inSmall = a.compare(LT, 1f);
      // Where every lane has |u| < 1 (most vectors of pre-activations near unit scale) the tail
      // fit, a division and 13 multiply-adds, is skipped. Each branch stores its own results: a
      // vector merged from two branches (a phi) is what C2 boxes.
      if (inSmall.allTrue()) {
        FloatVector cdf = small.mul(0.5f);
        // k = 0 adds a signed zero (or NaN where x e is), exactly as exact() does
        v.mul(cdf.add(ve.mul(0f))).intoArray(y, yo + i);
        cdf.add(ve.mul(INV_SQRT_2PI)).intoArray(slope, so + i);
      } else {
        FloatVector s = u.broadcast(1f).div(a.max(1f));
        FloatVector w = s.mul(2f).sub(1f);
        FloatVector r = w.mul(G12).add(G11);
        r = r.fma(w, w.broadcast(G10)).fma(w, w.broadcast(G9)).fma(w, w.broadcast(G8)).fma(w, w.broadcast(G7))
            .fma(w, w.broadcast(G6)).fma(w, w.broadcast(G5)).fma(w, w.broadcast(G4)).fma(w, w.broadcast(G3))
            .fma(w, w.broadcast(G2)).fma(w, w.broadcast(G1)).fma(w, w.broadcast(G0));
        FloatVector erfc = e.mul(r).mul(s);
        FloatVector large = erfc.blend(erfc.neg().add(2f), u.compare(GT, 0f));
        FloatVector cdf = large.blend(small, inSmall).mul(0.5f);
        v.mul(cdf.add(ve.mul(0f))).intoArray(y, yo + i);
        cdf.add(ve.mul(INV_SQRT_2PI)).intoArray(slope, so + i);
      }
    }
    if (i < n) { // the tail, once more on zero-padded copies
      int lanes = F.length();
      float[] out = new float[2 * lanes];
      exactWithSlope(Pointwise.lanes(x, xo + i, n - i), 0, out, 0, out, lanes, lanes);
      System.arraycopy(out, 0, y, yo + i, n - i);
      System.arraycopy(out, lanes, slope, so + i, n - i);
    }
  }

  /**
   * As {@link #exactWithSlope} for the tanh form: y = x/2 (1 + t) and
   * s = 1/2 (1 + t) + x/2 (1 - t^2) K (1 + 3 C x^2), each rounded as {@link #tanh} rounds it.
   */
  static void tanhWithSlope(float[] x, int xo, float[] y, int yo, float[] slope, int so, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      FloatVector x2 = v.mul(v);
      FloatVector t = Lanes.tanh(x2.mul(C).add(1f).mul(v).mul(K));
      FloatVector half = t.add(1f).mul(0.5f);
      FloatVector slopeOf = v.mul(0.5f).mul(t.mul(t).neg().add(1f));
      v.mul(half.add(slopeOf.mul(x2.mul(3f * C).add(1f).mul(0f)))).intoArray(y, yo + i);
      half.add(slopeOf.mul(x2.mul(3f * C).add(1f).mul(K))).intoArray(slope, so + i);
    }
    if (i < n) {
      int lanes = F.length();
      float[] out = new float[2 * lanes];
      tanhWithSlope(Pointwise.lanes(x, xo + i, n - i), 0, out, 0, out, lanes, lanes);
      System.arraycopy(out, 0, y, yo + i, n - i);
      System.arraycopy(out, lanes, slope, so + i, n - i);
    }
  }

  /**
   * out = p (1/2 (1 + t) + k x/2 (1 - t^2) K (1 + 3 C x^2)), t = tanh(K (x + C x^3)),
   * K = sqrt(2/pi), C = 0.044715.  Forward gelu_tanh: p = x, k = 0.  Backward: p = g, k = 1.
   */
  static void tanh(float[] x, int xo, float[] p, int po, float k, float[] o, int oo, int n) {
    int i = 0;
    for (int b = F.loopBound(n); i < b; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      FloatVector x2 = v.mul(v);
      FloatVector t = Lanes.tanh(x2.mul(C).add(1f).mul(v).mul(K));
      FloatVector dInner = x2.mul(3f * C).add(1f).mul(K * k); // k K (1 + 3 C x^2)
      FloatVector slope = v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(dInner);
      FloatVector.fromArray(F, p, po + i).mul(t.add(1f).mul(0.5f).add(slope)).intoArray(o, oo + i);
    }
    if (i < n) {
      float[] out = new float[F.length()];
      tanh(Pointwise.lanes(x, xo + i, n - i), 0, Pointwise.lanes(p, po + i, n - i), 0, k, out, 0, F.length());
      System.arraycopy(out, 0, o, oo + i, n - i);
    }
  }
}
