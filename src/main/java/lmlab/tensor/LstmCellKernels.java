package lmlab.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;

/**
 * The pointwise part of one LSTM step, fused (as cuDNN and llm.c-style code do): from the gate
 * pre-activations pre = [a_i | a_f | a_g | a_o] (B, 4d) and c_{t-1} (B, d),
 *
 * <pre>
 *   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
 * </pre>
 *
 * returned as one tensor [h_t | c_t] (B, 2d), so one autograd node serves both outputs. Unfused,
 * this is ten elementwise ops per step, each a pass over memory and an autograd node.
 *
 * <p>Backward, with upstream [dh | dc] (dc from c_t's own uses) and the saved gates and tanh(c_t):
 * <pre>
 *   dc' = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))
 *   da_i = dc' ⊙ g ⊙ i(1 - i)     da_f = dc' ⊙ c_{t-1} ⊙ f(1 - f)
 *   da_g = dc' ⊙ i ⊙ (1 - g²)     da_o = dh ⊙ tanh(c_t) ⊙ o(1 - o)
 *   dc_{t-1} = dc' ⊙ f
 * </pre>
 * Rows are split over threads; within a row every element gets the same vector formula (the tail
 * runs the vector body on padded copies), so results do not depend on the thread count.
 */
final class LstmCellKernels {
  private static final VectorSpecies<Float> F = VectorMath.F;

  private LstmCellKernels() {}

  static Tensor cell(Tensor pre, Tensor cPrev) {
    if (pre.dim() != 2 || pre.size(1) % 4 != 0) {
      throw new IllegalArgumentException("lstmCell: pre-activations must have shape (B, 4d), got " + Shape.str(pre.shape()));
    }
    int batch = pre.size(0), d = pre.size(1) / 4;
    if (cPrev.dim() != 2 || cPrev.size(0) != batch || cPrev.size(1) != d) {
      throw new IllegalArgumentException("lstmCell: c_{t-1} must have shape (" + batch + ", " + d + ") to match pre "
          + Shape.str(pre.shape()) + ", got " + Shape.str(cPrev.shape()));
    }
    Tensor p = pre.contiguous();
    // c_{t-1} is usually the right half of the previous step's [h | c]: read its rows in place
    // (row stride ldc) rather than copying them out each step.
    Tensor c = cPrev.strides()[1] == 1 ? cPrev : cPrev.contiguous();
    int ldc = c.strides()[0];
    float[] out = Arena.scratch(batch * 2 * d);
    // gates (i, f, g, o) and tanh(c_t) saved for backward: (B, 5d)
    float[] saved = Arena.scratch(batch * 5 * d);
    float[] ps = p.storage(), cs = c.storage();
    int po = p.offset(), co = c.offset();
    Parallel.forRange(batch, grain(d), (from, to) -> {
      for (int b = from; b < to; b++) forwardRow(ps, po + b * 4 * d, cs, co + b * ldc, out, b * 2 * d, saved, b * 5 * d, d);
    });
    Tensor hc = Tensor.wrap(out, new int[] {batch, 2 * d});
    return Autograd.record("lstm_cell", hc, g -> backward(g, saved, c, ldc, batch, d), pre, cPrev);
  }

  static int grain(int d) {
    return Math.max(1, (1 << 13) / d);
  }

  // Row kernels: full vectors, then a tail of fewer than 16 elements run through the same bodies
  // on zero-padded copies (as Pointwise does), so every element gets the same formula. Each loop
  // body calls Lanes (inlined by InlineDirective) at most once: C2 stops inlining a method once it
  // reaches NodeCountInliningCutoff (two vector exps already come close), and a Lanes call left
  // out of line boxes its vectors — tens of times slower. The loops are named ...Block so that
  // the directive never inlines them into forwardSpans: inlined together (four exps or tanhs in
  // one method) they reached the cutoff, and the step's profile showed boxed vector calls and
  // Lanes.exp out of line. Passing arrays between them costs nothing as they are not inlined.
  static void forwardRow(float[] pre, int p, float[] cp, int c, float[] out, int o, float[] sv, int s, int d) {
    int full = F.loopBound(d);
    forwardSpans(pre, p, d, cp, c, out, o, d, sv, s, d, full);
    if (full < d) {
      int n = d - full, L = F.length();
      float[] in = new float[5 * L];
      for (int q = 0; q < 4; q++) System.arraycopy(pre, p + q * d + full, in, q * L, n);
      System.arraycopy(cp, c + full, in, 4 * L, n);
      float[] res = new float[2 * L];
      float[] sav = new float[5 * L];
      forwardSpans(in, 0, L, in, 4 * L, res, 0, L, sav, 0, L, L);
      System.arraycopy(res, 0, out, o + full, n);
      System.arraycopy(res, L, out, o + d + full, n);
      for (int q = 0; q < 5; q++) System.arraycopy(sav, q * L, sv, s + q * d + full, n);
    }
  }

  /**
   * Elements [0, len) of a row (len a multiple of the vector length): pre-activation blocks at
   * p + q·pd, outputs h at o and c at o + od, saved i, f, g, o, tanh(c) at s + q·sd.
   */
  private static void forwardSpans(float[] pre, int p, int pd, float[] cp, int c, float[] out, int o, int od,
      float[] sv, int s, int sd, int len) {
    sigmoidBlock(pre, p, sv, s, len);                    // i
    sigmoidBlock(pre, p + pd, sv, s + sd, len);          // f
    tanhBlock(pre, p + 2 * pd, sv, s + 2 * sd, len);     // g
    sigmoidBlock(pre, p + 3 * pd, sv, s + 3 * sd, len);  // o
    cellBlock(sv, s, sd, cp, c, out, o, od, len);
  }

  private static void sigmoidBlock(float[] x, int xo, float[] y, int yo, int len) {
    for (int j = 0; j < len; j += F.length()) {
      FloatVector v = FloatVector.fromArray(F, x, xo + j);
      v.broadcast(1f).div(Lanes.exp(v.neg()).add(1f)).intoArray(y, yo + j);
    }
  }

  private static void tanhBlock(float[] x, int xo, float[] y, int yo, int len) {
    for (int j = 0; j < len; j += F.length()) {
      Lanes.tanh(FloatVector.fromArray(F, x, xo + j)).intoArray(y, yo + j);
    }
  }

  /** c_t = f c_{t-1} + i g, h_t = o tanh(c_t), from the saved gates; tanh(c_t) saved too. */
  private static void cellBlock(float[] sv, int s, int sd, float[] cp, int c, float[] out, int o, int od, int len) {
    for (int j = 0; j < len; j += F.length()) {
      FloatVector i = FloatVector.fromArray(F, sv, s + j);
      FloatVector f = FloatVector.fromArray(F, sv, s + sd + j);
      FloatVector g = FloatVector.fromArray(F, sv, s + 2 * sd + j);
      FloatVector og = FloatVector.fromArray(F, sv, s + 3 * sd + j);
      FloatVector cNext = f.mul(FloatVector.fromArray(F, cp, c + j)).add(i.mul(g));
      FloatVector tc = Lanes.tanh(cNext);
      og.mul(tc).intoArray(out, o + j);
      cNext.intoArray(out, o + od + j);
      tc.intoArray(sv, s + 4 * sd + j);
    }
  }

  private static Tensor[] backward(Tensor grad, float[] saved, Tensor cPrev, int ldc, int batch, int d) {
    Tensor g = grad.contiguous();
    float[] gs = g.storage();
    int go = g.offset();
    float[] cs = cPrev.storage();
    int co = cPrev.offset();
    float[] dPre = Arena.scratch(batch * 4 * d);
    float[] dC = Arena.scratch(batch * d);
    Parallel.forRange(batch, grain(d), (from, to) -> {
      for (int b = from; b < to; b++) {
        backwardRow(gs, go + b * 2 * d, saved, b * 5 * d, cs, co + b * ldc, dPre, b * 4 * d, dC, b * d, d);
      }
    });
    return new Tensor[] {Tensor.wrap(dPre, new int[] {batch, 4 * d}), Tensor.wrap(dC, new int[] {batch, d})};
  }

  static void backwardRow(float[] gr, int gi, float[] sv, int s, float[] cp, int c,
      float[] dPre, int dp, float[] dC, int dc, int d) {
    int full = F.loopBound(d);
    backwardSpan(gr, gi, gi + d, sv, s, d, cp, c, dPre, dp, d, dC, dc, full);
    if (full < d) {
      int n = d - full, L = F.length();
      float[] in = new float[8 * L]; // dh, dc, i, f, g, o, tanh c, c_{t-1}
      System.arraycopy(gr, gi + full, in, 0, n);
      System.arraycopy(gr, gi + d + full, in, L, n);
      for (int q = 0; q < 5; q++) System.arraycopy(sv, s + q * d + full, in, (2 + q) * L, n);
      System.arraycopy(cp, c + full, in, 7 * L, n);
      float[] res = new float[5 * L];
      backwardSpan(in, 0, L, in, 2 * L, L, in, 7 * L, res, 0, L, res, 4 * L, L);
      for (int q = 0; q < 4; q++) System.arraycopy(res, q * L, dPre, dp + q * d + full, n);
      System.arraycopy(res, 4 * L, dC, dc + full, n);
    }
  }

  private static void backwardSpan(float[] gr, int gh, int gc, float[] sv, int s, int sd, float[] cp, int c,
      float[] dPre, int dp, int pd, float[] dC, int dc, int len) {
    for (int j = 0; j < len; j += F.length()) {
      FloatVector dh = FloatVector.fromArray(F, gr, gh + j);
      FloatVector dcOut = FloatVector.fromArray(F, gr, gc + j);
      FloatVector i = FloatVector.fromArray(F, sv, s + j);
      FloatVector f = FloatVector.fromArray(F, sv, s + sd + j);
      FloatVector g = FloatVector.fromArray(F, sv, s + 2 * sd + j);
      FloatVector o = FloatVector.fromArray(F, sv, s + 3 * sd + j);
      FloatVector tc = FloatVector.fromArray(F, sv, s + 4 * sd + j);
      FloatVector one = FloatVector.broadcast(F, 1f);
      FloatVector dct = dcOut.add(dh.mul(o).mul(one.sub(tc.mul(tc))));
      dct.mul(g).mul(i.mul(one.sub(i))).intoArray(dPre, dp + j);
      dct.mul(FloatVector.fromArray(F, cp, c + j)).mul(f.mul(one.sub(f))).intoArray(dPre, dp + pd + j);
      dct.mul(i).mul(one.sub(g.mul(g))).intoArray(dPre, dp + 2 * pd + j);
      dh.mul(tc).mul(o.mul(one.sub(o))).intoArray(dPre, dp + 3 * pd + j);
      dct.mul(f).intoArray(dC, dc + j);
    }
  }
}
