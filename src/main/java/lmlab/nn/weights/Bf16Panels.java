package lmlab.nn.weights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import lmlab.kernels.Bf16;

/**
 * The column-panel copy of a bfloat16 matrix ({@link Bf16Weights}): the layout of
 * {@link Panels} with bf16 values (in native memory: a heap segment would take the Vector API's
 * slow path), widened a vector at a time. Each output is the same FMA chain over p as float32's
 * panels, so a bf16 product equals the float32 product of the widened weights bit for bit. Made on
 * first use; bf16 weights are not changed in place.
 */
final class Bf16Panels {
  private static final int L = Bf16.lanes();

  private final int out;
  private final int in;
  /** bf16 values from one panel to the next. */
  private final long ps;
  private final MemorySegment p;

  /** The panels of w (out · in bf16 values, row-major). */
  Bf16Panels(MemorySegment w, int out, int in) {
    this.out = out;
    this.in = in;
    int count = (out + L - 1) / L;
    this.ps = (long) in * L + 32; // one cache line more: see Panels
    this.p = Arena.ofAuto().allocate(2L * count * ps, 64); // zero: the padding rows
    for (int j = 0; j < out; j++) {
      long base = (j / L) * ps + j % L;
      for (int q = 0; q < in; q++) {
        p.set(Bf16.LAYOUT, 2 * (base + (long) q * L), w.get(Bf16.LAYOUT, 2 * ((long) j * in + q)));
      }
    }
  }

  /** Columns [from, to) of y (+)= W x (+ b), panels four at a time. */
  void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    Panels.Out o = Panels.Out.of(from, to, b, bo, y, out, accumulate);
    int k = from / L;
    int k1 = (to + L - 1) / L;
    for (; k + 4 <= k1; k += 4) tile1x4(k, x, xo, yo, o);
    for (; k < k1; k++) tile1x1(k, x, xo, yo, o);
    o.release();
  }

  /** Reads the panels of rows [from, to) into this core's caches. */
  float touch(int from, int to) {
    long stride = ps;
    long k0 = from / L;
    long k1 = Math.min((out + L - 1) / L, (to + L - 1) / L);
    return Bf16.sum(p, k0 * stride, (k1 - k0) * stride);
  }

  private void tile1x4(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    FloatVector a0 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a1 = a0, a2 = a0, a3 = a0;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a0 = Bf16.load(p, wq).fma(c, a0);
      a1 = Bf16.load(p, wq + stride).fma(c, a1);
      a2 = Bf16.load(p, wq + 2 * stride).fma(c, a2);
      a3 = Bf16.load(p, wq + 3 * stride).fma(c, a3);
    }
    a0.intoArray(o.sums, 0);
    a1.intoArray(o.sums, L);
    a2.intoArray(o.sums, 2 * L);
    a3.intoArray(o.sums, 3 * L);
    o.flush(k, 4, 1, y0);
  }

  private void tile1x1(int k, float[] x, int x0, int y0, Panels.Out o) {
    long w0 = 2L * k * ps;
    FloatVector a0 = FloatVector.zero(FloatVector.SPECIES_PREFERRED);
    for (int q = 0; q < in; q++) {
      a0 = Bf16.load(p, w0 + 2L * q * L).fma(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]), a0);
    }
    a0.intoArray(o.sums, 0);
    o.flush(k, 1, 1, y0);
  }
}
