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
    multiply(from / L, (to + L - 1) / L, from, to, x, xo, 1, b, bo, y, yo, accumulate);
  }

  /** Panels (of L output columns each, the last padded). */
  int count() {
    return (out + L - 1) / L;
  }

  /**
   * Y (n, out) (+)= X (n, in) Wᵀ (+ b), X and Y row-major from offset 0; large products split their
   * panels over the worker pool, as float32's {@link Panels#product}.
   */
  void product(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    Panels.split(count(), (long) n * out * in, (ka, kb) -> multiply(ka, kb, 0, out, x, 0, n, b, bo, y, 0, accumulate));
  }

  /** Panels [k0, k1) of {@link #product}, on the calling thread. */
  void columns(int k0, int k1, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    multiply(k0, k1, 0, out, x, 0, n, b, bo, y, 0, accumulate);
  }

  /**
   * Panels [k0, k1) against the n input rows: with 512-bit vectors eight rows × three panels at a
   * time ({@link #tile8x3}, each widened weight vector used by eight rows), then the rows left by
   * {@link #block}. Every output is the one FMA chain over p whatever the tile.
   * The tiles mirror float32's ({@link Panels}) with a widening load: one kernel per weight format,
   * as llama3.java keeps one dot product per tensor type. Widening three panels into a float32
   * scratch and running float32's tile on it instead made 37 products of eight rows 1.1–1.6 times
   * slower (README, "bf16 weights in batched steps").
   */
  private void multiply(int k0, int k1, int from, int to, float[] x, int xo, int n, float[] b, int bo, float[] y, int yo,
      boolean accumulate) {
    Panels.Out o = Panels.Out.of(from, to, b, bo, y, out, accumulate);
    int n8 = L >= 16 ? n & ~7 : 0;
    int k = k0;
    if (n8 > 0) {
      for (; k + 3 <= k1; k += 3) {
        for (int r = 0; r < n8; r += 8) tile8x3(k, x, xo + r * in, yo + r * out, o);
      }
      block(k, k1, x, xo, n8, yo, o);
    }
    block(k0, k1, x, xo + n8 * in, n - n8, yo + n8 * out, o);
    o.release();
  }

  /**
   * Panels [k0, k1) against n input rows from x[xo]: four panels at a time, the rows in tiles of
   * six, five, four or three as float32's (with 512-bit vectors), the last one or two a row at a
   * time; then one panel at a time.
   */
  private void block(int k0, int k1, float[] x, int xo, int n, int yo, Panels.Out o) {
    int k = k0;
    for (; k + 4 <= k1; k += 4) {
      int r = 0;
      while (L >= 16 && n - r >= 3) {
        int left = n - r;
        int rows = Panels.tileRows(left);
        if (rows == 6) tile6x4(k, x, xo + r * in, yo + r * out, o);
        else if (rows == 5) tile5x4(k, x, xo + r * in, yo + r * out, o);
        else if (rows == 3) tile3x4(k, x, xo + r * in, yo + r * out, o);
        else tile4x4(k, x, xo + r * in, yo + r * out, o);
        r += rows;
      }
      for (; r < n; r++) tile1x4(k, x, xo + r * in, yo + r * out, o);
    }
    for (; k < k1; k++) for (int r = 0; r < n; r++) tile1x1(k, x, xo + r * in, yo + r * out, o);
  }

  /** Reads the panels of rows [from, to) into this core's caches. */
  float touch(int from, int to) {
    long stride = ps;
    long k0 = from / L;
    long k1 = Math.min((out + L - 1) / L, (to + L - 1) / L);
    return Bf16.sum(p, k0 * stride, (k1 - k0) * stride);
  }

  /** Eight rows × three panels: 24 accumulators, as float32's tile8x3; each weight vector widened once for eight rows. */
  private void tile8x3(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in, x6 = x5 + in, x7 = x6 + in;
    FloatVector a00 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a01 = a00, a02 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00;
    FloatVector a50 = a00, a51 = a00, a52 = a00;
    FloatVector a60 = a00, a61 = a00, a62 = a00;
    FloatVector a70 = a00, a71 = a00, a72 = a00;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector v0 = Bf16.load(p, wq);
      FloatVector v1 = Bf16.load(p, wq + stride);
      FloatVector v2 = Bf16.load(p, wq + 2 * stride);
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x4 + q]);
      a40 = v0.fma(c, a40);
      a41 = v1.fma(c, a41);
      a42 = v2.fma(c, a42);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x5 + q]);
      a50 = v0.fma(c, a50);
      a51 = v1.fma(c, a51);
      a52 = v2.fma(c, a52);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x6 + q]);
      a60 = v0.fma(c, a60);
      a61 = v1.fma(c, a61);
      a62 = v2.fma(c, a62);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x7 + q]);
      a70 = v0.fma(c, a70);
      a71 = v1.fma(c, a71);
      a72 = v2.fma(c, a72);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a10.intoArray(o.sums, o.at + 3 * L);
    a11.intoArray(o.sums, o.at + 4 * L);
    a12.intoArray(o.sums, o.at + 5 * L);
    a20.intoArray(o.sums, o.at + 6 * L);
    a21.intoArray(o.sums, o.at + 7 * L);
    a22.intoArray(o.sums, o.at + 8 * L);
    a30.intoArray(o.sums, o.at + 9 * L);
    a31.intoArray(o.sums, o.at + 10 * L);
    a32.intoArray(o.sums, o.at + 11 * L);
    a40.intoArray(o.sums, o.at + 12 * L);
    a41.intoArray(o.sums, o.at + 13 * L);
    a42.intoArray(o.sums, o.at + 14 * L);
    a50.intoArray(o.sums, o.at + 15 * L);
    a51.intoArray(o.sums, o.at + 16 * L);
    a52.intoArray(o.sums, o.at + 17 * L);
    a60.intoArray(o.sums, o.at + 18 * L);
    a61.intoArray(o.sums, o.at + 19 * L);
    a62.intoArray(o.sums, o.at + 20 * L);
    a70.intoArray(o.sums, o.at + 21 * L);
    a71.intoArray(o.sums, o.at + 22 * L);
    a72.intoArray(o.sums, o.at + 23 * L);
    o.flush(k, 3, 8, y0);
  }

  /** Six rows × four panels, as float32's {@link Panels} tile: each widened weight vector used by six rows. */
  private void tile6x4(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in;
    FloatVector a00 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
    FloatVector a50 = a00, a51 = a00, a52 = a00, a53 = a00;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector v0 = Bf16.load(p, wq);
      FloatVector v1 = Bf16.load(p, wq + stride);
      FloatVector v2 = Bf16.load(p, wq + 2 * stride);
      FloatVector v3 = Bf16.load(p, wq + 3 * stride);
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      a33 = v3.fma(c, a33);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x4 + q]);
      a40 = v0.fma(c, a40);
      a41 = v1.fma(c, a41);
      a42 = v2.fma(c, a42);
      a43 = v3.fma(c, a43);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x5 + q]);
      a50 = v0.fma(c, a50);
      a51 = v1.fma(c, a51);
      a52 = v2.fma(c, a52);
      a53 = v3.fma(c, a53);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a03.intoArray(o.sums, o.at + 3 * L);
    a10.intoArray(o.sums, o.at + 4 * L);
    a11.intoArray(o.sums, o.at + 5 * L);
    a12.intoArray(o.sums, o.at + 6 * L);
    a13.intoArray(o.sums, o.at + 7 * L);
    a20.intoArray(o.sums, o.at + 8 * L);
    a21.intoArray(o.sums, o.at + 9 * L);
    a22.intoArray(o.sums, o.at + 10 * L);
    a23.intoArray(o.sums, o.at + 11 * L);
    a30.intoArray(o.sums, o.at + 12 * L);
    a31.intoArray(o.sums, o.at + 13 * L);
    a32.intoArray(o.sums, o.at + 14 * L);
    a33.intoArray(o.sums, o.at + 15 * L);
    a40.intoArray(o.sums, o.at + 16 * L);
    a41.intoArray(o.sums, o.at + 17 * L);
    a42.intoArray(o.sums, o.at + 18 * L);
    a43.intoArray(o.sums, o.at + 19 * L);
    a50.intoArray(o.sums, o.at + 20 * L);
    a51.intoArray(o.sums, o.at + 21 * L);
    a52.intoArray(o.sums, o.at + 22 * L);
    a53.intoArray(o.sums, o.at + 23 * L);
    o.flush(k, 4, 6, y0);
  }

  /** Five rows × four panels, as float32's. */
  private void tile5x4(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in;
    FloatVector a00 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector v0 = Bf16.load(p, wq);
      FloatVector v1 = Bf16.load(p, wq + stride);
      FloatVector v2 = Bf16.load(p, wq + 2 * stride);
      FloatVector v3 = Bf16.load(p, wq + 3 * stride);
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      a33 = v3.fma(c, a33);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x4 + q]);
      a40 = v0.fma(c, a40);
      a41 = v1.fma(c, a41);
      a42 = v2.fma(c, a42);
      a43 = v3.fma(c, a43);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a03.intoArray(o.sums, o.at + 3 * L);
    a10.intoArray(o.sums, o.at + 4 * L);
    a11.intoArray(o.sums, o.at + 5 * L);
    a12.intoArray(o.sums, o.at + 6 * L);
    a13.intoArray(o.sums, o.at + 7 * L);
    a20.intoArray(o.sums, o.at + 8 * L);
    a21.intoArray(o.sums, o.at + 9 * L);
    a22.intoArray(o.sums, o.at + 10 * L);
    a23.intoArray(o.sums, o.at + 11 * L);
    a30.intoArray(o.sums, o.at + 12 * L);
    a31.intoArray(o.sums, o.at + 13 * L);
    a32.intoArray(o.sums, o.at + 14 * L);
    a33.intoArray(o.sums, o.at + 15 * L);
    a40.intoArray(o.sums, o.at + 16 * L);
    a41.intoArray(o.sums, o.at + 17 * L);
    a42.intoArray(o.sums, o.at + 18 * L);
    a43.intoArray(o.sums, o.at + 19 * L);
    o.flush(k, 4, 5, y0);
  }

  /** Four rows × four panels, as float32's. */
  private void tile4x4(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
    FloatVector a00 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector v0 = Bf16.load(p, wq);
      FloatVector v1 = Bf16.load(p, wq + stride);
      FloatVector v2 = Bf16.load(p, wq + 2 * stride);
      FloatVector v3 = Bf16.load(p, wq + 3 * stride);
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      a33 = v3.fma(c, a33);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a03.intoArray(o.sums, o.at + 3 * L);
    a10.intoArray(o.sums, o.at + 4 * L);
    a11.intoArray(o.sums, o.at + 5 * L);
    a12.intoArray(o.sums, o.at + 6 * L);
    a13.intoArray(o.sums, o.at + 7 * L);
    a20.intoArray(o.sums, o.at + 8 * L);
    a21.intoArray(o.sums, o.at + 9 * L);
    a22.intoArray(o.sums, o.at + 10 * L);
    a23.intoArray(o.sums, o.at + 11 * L);
    a30.intoArray(o.sums, o.at + 12 * L);
    a31.intoArray(o.sums, o.at + 13 * L);
    a32.intoArray(o.sums, o.at + 14 * L);
    a33.intoArray(o.sums, o.at + 15 * L);
    o.flush(k, 4, 4, y0);
  }

  /** Three rows × four panels, as float32's. */
  private void tile3x4(int k, float[] x, int x0, int y0, Panels.Out o) {
    long stride = 2L * ps;
    long w0 = k * stride;
    int x1 = x0 + in, x2 = x1 + in;
    FloatVector a00 = FloatVector.zero(FloatVector.SPECIES_PREFERRED), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    for (int q = 0; q < in; q++) {
      long wq = w0 + 2L * q * L;
      FloatVector v0 = Bf16.load(p, wq);
      FloatVector v1 = Bf16.load(p, wq + stride);
      FloatVector v2 = Bf16.load(p, wq + 2 * stride);
      FloatVector v3 = Bf16.load(p, wq + 3 * stride);
      FloatVector c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a03.intoArray(o.sums, o.at + 3 * L);
    a10.intoArray(o.sums, o.at + 4 * L);
    a11.intoArray(o.sums, o.at + 5 * L);
    a12.intoArray(o.sums, o.at + 6 * L);
    a13.intoArray(o.sums, o.at + 7 * L);
    a20.intoArray(o.sums, o.at + 8 * L);
    a21.intoArray(o.sums, o.at + 9 * L);
    a22.intoArray(o.sums, o.at + 10 * L);
    a23.intoArray(o.sums, o.at + 11 * L);
    o.flush(k, 4, 3, y0);
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
    a0.intoArray(o.sums, o.at + 0);
    a1.intoArray(o.sums, o.at + L);
    a2.intoArray(o.sums, o.at + 2 * L);
    a3.intoArray(o.sums, o.at + 3 * L);
    o.flush(k, 4, 1, y0);
  }

  private void tile1x1(int k, float[] x, int x0, int y0, Panels.Out o) {
    long w0 = 2L * k * ps;
    FloatVector a0 = FloatVector.zero(FloatVector.SPECIES_PREFERRED);
    for (int q = 0; q < in; q++) {
      a0 = Bf16.load(p, w0 + 2L * q * L).fma(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x[x0 + q]), a0);
    }
    a0.intoArray(o.sums, o.at + 0);
    o.flush(k, 1, 1, y0);
  }
}
