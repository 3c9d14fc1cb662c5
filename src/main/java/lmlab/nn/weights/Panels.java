package lmlab.nn.weights;

import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Aligned;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.kernels.StreamRead;
import lmlab.tensor.Tensor;

/**
 * A column-panel copy of a float32 matrix W (out, in) for decoding steps. Panel k holds weight
 * rows [kL, kL + L) (L = the vector width), so one vector load gives W[kL .. kL + L)[p] and each
 * output column is one vector lane. Panels are stored in groups of {@link #GROUP}, interleaved
 * p-major: row p of a group is its four panels' vectors side by side, so a tile of four or eight
 * panels reads one or two sequential streams rather than four or eight short ones, which the
 * hardware prefetchers follow better (README, "Aligned weights and KV pages"). A step of R input
 * rows then streams each panel once and keeps R × (panels at once) accumulators in registers, with no
 * horizontal reduction per output (the row-major kernels reduce L lanes for every output, which
 * costs as much as the multiply-adds when in is a few hundred).
 *
 * <p>Every output is the same sum whatever the kernel, the number of input rows or the range of
 * columns asked for: y[j] = ((W[j][0]·x[0] + W[j][1]·x[1]) + ...) as one chain of fused
 * multiply-adds over p in order (from 0), then + b[j], then added to y with accumulate. So a row
 * of a batch gets the bits it would get alone (a beam of B, a server's rows), and any split of the
 * columns over threads gives the whole product's bits. The last panel is padded with zero rows.
 *
 * <p>The copy is made on first use and checked against W (and updated where they differ) at the
 * first use after each new decoding state ({@link #newEpoch}), so weights changed in place (a
 * training step, a loaded state dict) are seen by the next decoding. W itself stays the one
 * parameter of training.
 */
final class Panels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Output columns per panel. */
  static final int WIDTH = L;
  /**
   * Input rows per register tile: 4 rows × 4 panels needs 16 accumulators and 8 rows × 3 panels
   * 24, which fit 32 vector registers, not 16.
   */
  private static final int TILE_ROWS = L >= 16 ? 4 : 2;
  /**
   * Panels per interleaved group. Four make a one-row tile (four panels) one sequential stream,
   * which the AMD machine of 2026-12-05 read fastest; an eight-row tile (three panels) then reads
   * three of every four lines. {@code -Dlmlab.panels.group=N} (N ≥ 1; 1: each panel on its own)
   * overrides it, for measuring on other machines: on the Intel machine of 2026-12-06 the
   * eight-row products ran faster with 1 (README, "A bf16 KV cache, on an Intel machine"). Only
   * speed depends on it: every output is the same FMA chain in any layout.
   */
  private static final int GROUP = Math.max(1, Integer.getInteger("lmlab.panels.group", 4));
  /** Floats from row p of a panel to row p + 1: a group's row of GROUP vectors. */
  private static final int QS = GROUP * L;
  /** Multiply-adds above which a product splits over the worker pool ({@link #split}). */
  private static final long PARALLEL_WORK = 1L << 16;
  /** Counts new decoding states: a copy checked in an older epoch is checked again before use. */
  private static final AtomicLong EPOCH = new AtomicLong();

  private final Tensor w;
  private final int out;
  private final int in;
  private final int count;
  /**
   * Floats from one group of panels to the next: GROUP·in·L and one cache line more. Without the
   * line, groups whose size is a multiple of 4 KB start in the same L1 set, and a tile reading two
   * of them at once evicts its own lines.
   */
  private final int gs;
  /** Offsets of lane i of a panel row: i·QS, to gather W[j][p .. p + L) from a panel. */
  private final int[] lanes;
  private float[] p;
  /**
   * Where panel 0 starts in p: its first cache-line-aligned float ({@link Aligned}). Every panel
   * and every panel row (L floats) then starts on a line, so no vector load of a tile straddles two.
   */
  private int at;
  private volatile long checked = -1;

  Panels(Tensor w) {
    this.w = w;
    this.out = w.size(0);
    this.in = w.size(1);
    this.count = (out + L - 1) / L;
    this.gs = GROUP * in * L + 64 / Float.BYTES;
    this.lanes = new int[L];
    for (int i = 0; i < L; i++) lanes[i] = i * QS;
  }

  /** A new decoding state begins: every copy is checked against its matrix at its next use. */
  static void newEpoch() {
    EPOCH.incrementAndGet();
  }

  /** The panels, current with W as of this epoch. */
  private float[] panels() {
    long e = EPOCH.get();
    if (checked != e) refresh(e);
    return p;
  }

  /**
   * Makes the copy, or compares it with W and writes the values that differ (by their bits). A
   * copy in use by another thread then sees only values it would have read anyway, unless W
   * itself changed meanwhile.
   */
  private synchronized void refresh(long e) {
    if (checked == e) return;
    if (p == null) {
      p = new float[(count + GROUP - 1) / GROUP * gs + Aligned.LINE - 1];
      at = Aligned.offset(p);
    }
    float[] src = w.storage();
    int wo = w.offset();
    int iv = in - in % L;
    for (int j = 0; j < out; j++) {
      int row = wo + j * in;
      int base = panel(j / L) + j % L; // W[j][0] in the panels
      int q = 0;
      for (; q < iv; q += L) {
        FloatVector v = FloatVector.fromArray(S, src, row + q);
        FloatVector have = FloatVector.fromArray(S, p, base + q * QS, lanes, 0);
        if (!v.reinterpretAsInts().eq(have.reinterpretAsInts()).allTrue()) v.intoArray(p, base + q * QS, lanes, 0);
      }
      for (; q < in; q++) p[base + q * QS] = src[row + q];
    }
    checked = e;
  }

  /** Reads the panels of rows [from, to) into this core's caches; returns the sum of those rows' weights. */
  float touch(int from, int to) {
    float[] a = panels();
    float s = 0;
    int k = from / L;
    while (k * L < to) {
      if (k % GROUP == 0 && (k + GROUP) * L <= to) { // a whole group: one sequential read
        int g0 = panel(k);
        s += StreamRead.sum(a, g0, g0 + GROUP * in * L);
        k += GROUP;
        continue;
      }
      // one panel, or part of it: every line of it is read, the lanes outside [from, to) left out of the sum
      int lo = Math.max(from, k * L) - k * L;
      int hi = Math.min(to, k * L + L) - k * L;
      VectorMask<Float> m = S.indexInRange(0, hi).andNot(S.indexInRange(0, lo));
      FloatVector acc = FloatVector.zero(S);
      int p0 = panel(k);
      for (int q = 0; q < in; q++) acc = acc.add(FloatVector.fromArray(S, a, p0 + q * QS).blend(0f, m.not()));
      s += Lanes.sum(acc);
      k++;
    }
    return s;
  }

  /** Start of panel k (its row 0) in the panel array. */
  private int panel(int k) {
    return at + k / GROUP * gs + k % GROUP * L;
  }

  /** Columns [from, to) of one matrix-vector product y (+)= W x (+ b), on the calling thread. */
  void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
    multiply(panels(), from / L, (to + L - 1) / L, from, to, x, xo, 1, b, bo, y, yo, accumulate);
  }

  /**
   * Y (n, out) (+)= X (n, in) Wᵀ (+ b), X and Y row-major from offset 0. Large products split
   * their panels over the worker pool.
   */
  void product(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    float[] a = panels();
    split(count, (long) n * out * in, (ka, kb) -> multiply(a, ka, kb, 0, out, x, 0, n, b, bo, y, 0, accumulate));
  }

  /**
   * Runs range over [0, units) (a product's panels, or its outputs): split over the worker pool
   * when the product's work (multiply-adds) pays for the hand-off, else on the calling thread.
   */
  static void split(int units, long work, Parallel.Range range) {
    Parallel.forRange(units, work >= PARALLEL_WORK ? 1 : units, range);
  }

  /** Panels (of L output columns each, the last padded). */
  int count() {
    return count;
  }

  /** Panels [k0, k1) of {@link #product}, on the calling thread. */
  void columns(int k0, int k1, float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
    multiply(panels(), k0, k1, 0, out, x, 0, n, b, bo, y, 0, accumulate);
  }

  /**
   * Panels [k0, k1) against the n input rows: eight rows at a time, three panels at a time
   * ({@link #tile8x3}), then the panels and rows left by {@link #block}.
   */
  private void multiply(float[] a, int k0, int k1, int from, int to, float[] x, int xo, int n, float[] b, int bo, float[] y,
      int yo, boolean accumulate) {
    Out o = Out.of(from, to, b, bo, y, out, accumulate);
    int n8 = TILE_ROWS == 4 ? n & ~7 : 0;
    int k = k0;
    if (n8 > 0) {
      for (; k + 3 <= k1; k += 3) {
        for (int r = 0; r < n8; r += 8) tile8x3(a, k, x, xo + r * in, yo + r * out, o);
      }
      block(a, k, k1, x, xo, n8, yo, o);
    }
    block(a, k0, k1, x, xo + n8 * in, n - n8, yo + n8 * out, o);
    o.release();
  }

  /**
   * Panels [k0, k1) against n input rows from x[xo], four panels at a time, then two, then one, each
   * group a row tile at a time. With 32 vector registers the rows go in tiles of six, five, four or
   * three (seven as four and three): a tile's rows are its independent FMA chains per panel, and a
   * one-row tile of four panels waits on the FMA latency, so a row left alone after a 4-row tile
   * costs nearly as much as the tile (README, "Odd numbers of rows").
   */
  private void block(float[] a, int k0, int k1, float[] x, int xo, int n, int yo, Out o) {
    if (n == 0) return;
    int k = k0;
    if (n == 1) for (; k + 8 <= k1; k += 8) tile1x8(a, k, x, xo, yo, o); // one row: eight chains in flight
    for (; k + 4 <= k1; k += 4) {
      int r = 0;
      if (TILE_ROWS == 4) {
        // tiles of six, five, four or three rows: every tile keeps twelve or more FMA chains in flight
        while (n - r >= 3) {
          int left = n - r;
          int rows = tileRows(left);
          if (rows == 6) tile6x4(a, k, x, xo + r * in, yo + r * out, o);
          else if (rows == 5) tile5x4(a, k, x, xo + r * in, yo + r * out, o);
          else if (rows == 3) tile3x4(a, k, x, xo + r * in, yo + r * out, o);
          else tile4x4(a, k, x, xo + r * in, yo + r * out, o);
          r += rows;
        }
      }
      for (; r + 2 <= n; r += 2) tile2x4(a, k, x, xo + r * in, yo + r * out, o);
      if (r < n) tile1x4(a, k, x, xo + r * in, yo + r * out, o);
    }
    if (k + 2 <= k1) { // two panels left (a thread's share of 12 panels is 4 + 2): eight chains, not two
      int r = 0;
      for (; r + 4 <= n; r += 4) tile4x2(a, k, x, xo + r * in, yo + r * out, o);
      for (; r + 2 <= n; r += 2) tile2x2(a, k, x, xo + r * in, yo + r * out, o);
      if (r < n) tile1x2(a, k, x, xo + r * in, yo + r * out, o);
      k += 2;
    }
    for (; k < k1; k++) {
      int r = 0;
      for (; r + 2 <= n; r += 2) tile2x1(a, k, x, xo + r * in, yo + r * out, o);
      if (r < n) tile1x1(a, k, x, xo + r * in, yo + r * out, o);
    }
  }

  /**
   * Rows of the next tile of four panels when left rows (three or more) remain: six, five, four or
   * three, so no tile is left with one or two rows; seven go as four and three. {@link Bf16Panels}
   * takes the same.
   */
  static int tileRows(int left) {
    return left == 6 || left == 5 || left == 3 ? left : 4;
  }

  /**
   * Where a tile's sums go: columns [from, to) of the output rows (stride out), with the bias and
   * accumulate. A tile puts its accumulators in sums (row-major: input row, then panel) and calls
   * {@link #flush}; passing the vectors themselves to a method C2 does not inline would box them.
   * One per thread, reused by every product the thread runs ({@link #of}; a new one per call was
   * most of a decoding step's garbage): a thread runs one product at a time, so it is never shared.
   */
  static final class Out {
    private static final ThreadLocal<Out> MINE = ThreadLocal.withInitial(Out::new);

    int from, to, bo, stride;
    float[] b, y;
    boolean accumulate;
    /**
     * The tiles' sums from {@link #at}, the first cache-line-aligned element: a tile stores its
     * vectors here and {@link #flush} loads them back at once, and a 512-bit store or load across
     * two lines (as every one at the array's own start would be) costs two line accesses and
     * cannot forward to the load that follows it.
     */
    final float[] sums = new float[24 * L + Aligned.LINE];
    final int at = Aligned.offset(sums);

    /** This thread's Out, aimed at columns [from, to) of y; {@link #release} it after the product. */
    static Out of(int from, int to, float[] b, int bo, float[] y, int stride, boolean accumulate) {
      Out o = MINE.get();
      o.from = from;
      o.to = to;
      o.b = b;
      o.bo = bo;
      o.y = y;
      o.stride = stride;
      o.accumulate = accumulate;
      return o;
    }

    /** Lets go of the product's arrays (the Out lives as long as its thread). */
    void release() {
      b = null;
      y = null;
    }

    /** Stores sums of nr input rows × nk panels from panel k into the output rows from y[y0 ..]. */
    void flush(int k, int nk, int nr, int y0) {
      for (int r = 0; r < nr; r++) {
        int yr = y0 + r * stride;
        for (int c = 0; c < nk; c++) {
          int j0 = (k + c) * L;
          int so = at + (r * nk + c) * L;
          if (j0 >= from && j0 + L <= to) {
            FloatVector s = FloatVector.fromArray(S, sums, so);
            if (b != null) s = s.add(FloatVector.fromArray(S, b, bo + j0));
            if (accumulate) s = FloatVector.fromArray(S, y, yr + j0).add(s);
            s.intoArray(y, yr + j0);
          } else {
            for (int j = Math.max(from, j0); j < Math.min(to, j0 + L); j++) {
              float v = sums[so + j - j0];
              if (b != null) v += b[bo + j];
              y[yr + j] = accumulate ? y[yr + j] + v : v;
            }
          }
        }
      }
    }
  }

  // The tiles: input rows × panels. Each is its own small method so C2 keeps its accumulators in
  // registers. Every accumulator lane is the FMA chain over p of one output (see the class comment).

  private void tile4x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector v3 = FloatVector.fromArray(S, a, p3 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(S, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(S, x[x3 + q]);
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

  /**
   * Eight rows × three panels: 24 accumulators, the three weight vectors and a broadcast fill 28 of
   * the 32 vector registers, and each weight vector is loaded once for all eight rows (two 4 × 4
   * tiles load it twice, the second time from L2 when in = 768). A thread's half of 12, 36 or 48
   * panels is a whole number of these.
   */
  private void tile8x3(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2);
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in, x6 = x5 + in, x7 = x6 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00;
    FloatVector a50 = a00, a51 = a00, a52 = a00;
    FloatVector a60 = a00, a61 = a00, a62 = a00;
    FloatVector a70 = a00, a71 = a00, a72 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      c = FloatVector.broadcast(S, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      c = FloatVector.broadcast(S, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      c = FloatVector.broadcast(S, x[x4 + q]);
      a40 = v0.fma(c, a40);
      a41 = v1.fma(c, a41);
      a42 = v2.fma(c, a42);
      c = FloatVector.broadcast(S, x[x5 + q]);
      a50 = v0.fma(c, a50);
      a51 = v1.fma(c, a51);
      a52 = v2.fma(c, a52);
      c = FloatVector.broadcast(S, x[x6 + q]);
      a60 = v0.fma(c, a60);
      a61 = v1.fma(c, a61);
      a62 = v2.fma(c, a62);
      c = FloatVector.broadcast(S, x[x7 + q]);
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

  /** Six rows × four panels: 24 accumulators, the four weight vectors and a broadcast fill 29 of the 32 registers. */
  private void tile6x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in, x5 = x4 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
    FloatVector a50 = a00, a51 = a00, a52 = a00, a53 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector v3 = FloatVector.fromArray(S, a, p3 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(S, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(S, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      a33 = v3.fma(c, a33);
      c = FloatVector.broadcast(S, x[x4 + q]);
      a40 = v0.fma(c, a40);
      a41 = v1.fma(c, a41);
      a42 = v2.fma(c, a42);
      a43 = v3.fma(c, a43);
      c = FloatVector.broadcast(S, x[x5 + q]);
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

  /**
   * Five rows × four panels: 20 accumulators, so five rows go in one tile where a 4 × 4 tile and
   * a 1 × 4 tile would leave the fifth row's four FMA chains waiting on their latency.
   */
  private void tile5x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in, x4 = x3 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    FloatVector a40 = a00, a41 = a00, a42 = a00, a43 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector v3 = FloatVector.fromArray(S, a, p3 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(S, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      a22 = v2.fma(c, a22);
      a23 = v3.fma(c, a23);
      c = FloatVector.broadcast(S, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
      a32 = v2.fma(c, a32);
      a33 = v3.fma(c, a33);
      c = FloatVector.broadcast(S, x[x4 + q]);
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

  /** Three rows × four panels: twelve FMA chains in flight, where 2 × 4 and 1 × 4 tiles have eight and four. */
  private void tile3x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int x1 = x0 + in, x2 = x1 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector v3 = FloatVector.fromArray(S, a, p3 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
      c = FloatVector.broadcast(S, x[x2 + q]);
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

  private void tile2x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int x1 = x0 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
    FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector v2 = FloatVector.fromArray(S, a, p2 + r);
      FloatVector v3 = FloatVector.fromArray(S, a, p3 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      a02 = v2.fma(c, a02);
      a03 = v3.fma(c, a03);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      a12 = v2.fma(c, a12);
      a13 = v3.fma(c, a13);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a02.intoArray(o.sums, o.at + 2 * L);
    a03.intoArray(o.sums, o.at + 3 * L);
    a10.intoArray(o.sums, o.at + 4 * L);
    a11.intoArray(o.sums, o.at + 5 * L);
    a12.intoArray(o.sums, o.at + 6 * L);
    a13.intoArray(o.sums, o.at + 7 * L);
    o.flush(k, 4, 2, y0);
  }

  private void tile1x4(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a0 = FloatVector.fromArray(S, a, p0 + r).fma(c, a0);
      a1 = FloatVector.fromArray(S, a, p1 + r).fma(c, a1);
      a2 = FloatVector.fromArray(S, a, p2 + r).fma(c, a2);
      a3 = FloatVector.fromArray(S, a, p3 + r).fma(c, a3);
    }
    a0.intoArray(o.sums, o.at + 0 * L);
    a1.intoArray(o.sums, o.at + 1 * L);
    a2.intoArray(o.sums, o.at + 2 * L);
    a3.intoArray(o.sums, o.at + 3 * L);
    o.flush(k, 4, 1, y0);
  }

  private void tile1x8(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1), p2 = panel(k + 2), p3 = panel(k + 3);
    int p4 = panel(k + 4), p5 = panel(k + 5), p6 = panel(k + 6), p7 = panel(k + 7);
    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a0 = FloatVector.fromArray(S, a, p0 + r).fma(c, a0);
      a1 = FloatVector.fromArray(S, a, p1 + r).fma(c, a1);
      a2 = FloatVector.fromArray(S, a, p2 + r).fma(c, a2);
      a3 = FloatVector.fromArray(S, a, p3 + r).fma(c, a3);
      a4 = FloatVector.fromArray(S, a, p4 + r).fma(c, a4);
      a5 = FloatVector.fromArray(S, a, p5 + r).fma(c, a5);
      a6 = FloatVector.fromArray(S, a, p6 + r).fma(c, a6);
      a7 = FloatVector.fromArray(S, a, p7 + r).fma(c, a7);
    }
    a0.intoArray(o.sums, o.at + 0);
    a1.intoArray(o.sums, o.at + L);
    a2.intoArray(o.sums, o.at + 2 * L);
    a3.intoArray(o.sums, o.at + 3 * L);
    a4.intoArray(o.sums, o.at + 4 * L);
    a5.intoArray(o.sums, o.at + 5 * L);
    a6.intoArray(o.sums, o.at + 6 * L);
    a7.intoArray(o.sums, o.at + 7 * L);
    o.flush(k, 8, 1, y0);
  }

  private void tile4x2(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1);
    int x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
    FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
      c = FloatVector.broadcast(S, x[x2 + q]);
      a20 = v0.fma(c, a20);
      a21 = v1.fma(c, a21);
      c = FloatVector.broadcast(S, x[x3 + q]);
      a30 = v0.fma(c, a30);
      a31 = v1.fma(c, a31);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a10.intoArray(o.sums, o.at + 2 * L);
    a11.intoArray(o.sums, o.at + 3 * L);
    a20.intoArray(o.sums, o.at + 4 * L);
    a21.intoArray(o.sums, o.at + 5 * L);
    a30.intoArray(o.sums, o.at + 6 * L);
    a31.intoArray(o.sums, o.at + 7 * L);
    o.flush(k, 2, 4, y0);
  }

  private void tile2x2(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1);
    int x1 = x0 + in;
    FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector v0 = FloatVector.fromArray(S, a, p0 + r);
      FloatVector v1 = FloatVector.fromArray(S, a, p1 + r);
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a00 = v0.fma(c, a00);
      a01 = v1.fma(c, a01);
      c = FloatVector.broadcast(S, x[x1 + q]);
      a10 = v0.fma(c, a10);
      a11 = v1.fma(c, a11);
    }
    a00.intoArray(o.sums, o.at + 0 * L);
    a01.intoArray(o.sums, o.at + 1 * L);
    a10.intoArray(o.sums, o.at + 2 * L);
    a11.intoArray(o.sums, o.at + 3 * L);
    o.flush(k, 2, 2, y0);
  }

  private void tile1x2(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k), p1 = panel(k + 1);
    FloatVector a0 = FloatVector.zero(S), a1 = a0;
    for (int q = 0; q < in; q++) {
      int r = q * QS;
      FloatVector c = FloatVector.broadcast(S, x[x0 + q]);
      a0 = FloatVector.fromArray(S, a, p0 + r).fma(c, a0);
      a1 = FloatVector.fromArray(S, a, p1 + r).fma(c, a1);
    }
    a0.intoArray(o.sums, o.at + 0 * L);
    a1.intoArray(o.sums, o.at + 1 * L);
    o.flush(k, 2, 1, y0);
  }

  private void tile2x1(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k);
    int x1 = x0 + in;
    FloatVector a0 = FloatVector.zero(S), a1 = a0;
    for (int q = 0; q < in; q++) {
      FloatVector v = FloatVector.fromArray(S, a, p0 + q * QS);
      a0 = v.fma(FloatVector.broadcast(S, x[x0 + q]), a0);
      a1 = v.fma(FloatVector.broadcast(S, x[x1 + q]), a1);
    }
    a0.intoArray(o.sums, o.at + 0 * L);
    a1.intoArray(o.sums, o.at + 1 * L);
    o.flush(k, 1, 2, y0);
  }

  private void tile1x1(float[] a, int k, float[] x, int x0, int y0, Out o) {
    int p0 = panel(k);
    FloatVector a0 = FloatVector.zero(S);
    for (int q = 0; q < in; q++) a0 = FloatVector.fromArray(S, a, p0 + q * QS).fma(FloatVector.broadcast(S, x[x0 + q]), a0);
    a0.intoArray(o.sums, o.at + 0 * L);
    o.flush(k, 1, 1, y0);
  }
}
