package lmlab.nn.attention;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Transpose16;

/**
 * The five products of one attention tile (a few dozen query rows against the band of keys they
 * see), register-blocked and unpacked, each limited to the band: row i of a tile only reaches the
 * score columns [lo[i], hi[i]), with lo and hi non-decreasing in i.
 *
 * <p>Why not {@link lmlab.kernels.Gemm}: its products have k = d_h (32 for chargpt) or a tile's
 * 64 rows, so packing both operands costs about as much as the multiply-adds, and a causal tile
 * would be computed in full although a third of it is masked. Here the keys (or values) of a
 * head are transposed once per head ({@link #transpose}), so scores read them as ready-made
 * B panels, and the other products stream the rows in place.
 *
 * <p>Scores are computed over the union of a row block's bands, so a row's columns outside its own
 * band may receive values (or keep old ones): the caller zeroes them before they are used. A score
 * matrix that is zero outside each row's band makes the products over keys exact on the union.
 * Every output element is summed in key (or row) order, whatever the blocking.
 */
final class TileProducts {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  /**
   * Rows per block of {@link #rows} and columns per block of {@link #columns}: a block reads the
   * union of its rows' bands, up to BLOCK − 1 entries beyond a row's own band on either side.
   */
  static final int BLOCK = 4;

  private TileProducts() {}

  /**
   * t[c·rows + u] = x[off + u·ld + c] for u in [0, rows), c in [0, dh): the rows of one head
   * (e.g. its keys), column-major. With 16-lane vectors, whole 16 × 16 blocks go through
   * registers ({@link Transpose16#transposeBlock}); the rest (and narrower vectors) column by column.
   */
  static void transpose(float[] x, int off, int ld, int rows, int dh, float[] t) {
    int rows16 = L == 16 ? rows / 16 * 16 : 0;
    int dh16 = L == 16 ? dh / 16 * 16 : 0;
    for (int u = 0; u < rows16; u += 16) {
      for (int c = 0; c < dh16; c += 16) Transpose16.transposeBlock(x, off + u * ld + c, ld, t, c * rows + u, rows);
    }
    // column by column: contiguous writes, and each source row's line stays in L1 across columns
    for (int c = 0; c < dh; c++) {
      int dst = c * rows;
      int src = off + c;
      int u = c < dh16 ? rows16 : 0; // the blocks wrote rows [0, rows16) of these columns
      for (src += u * ld; u < rows; u++, src += ld) t[dst + u] = x[src];
    }
  }

  // Each block is its own small method (one large kernel exceeds C2's inlining budget and boxes its
  // vectors), and no vector or mask crosses a call: C2 declines to inline a callee already compiled
  // on its own, and a vector passed to a call that is not inlined is boxed on the heap.

  /**
   * S[i·lds + j] = Σ_c a[aOff + i·lda + c] · bt[btOff + c·ldb + j] for j in the band of row i's
   * block (query rows times transposed keys: scores, or dO·Vᵀ). Each sum runs in four chains
   * (c mod 4) added at the end, as decoding's scores do: a long single chain rounds differently
   * enough to show in the decoding-equivalence tests.
   */
  static void scores(int m, int k, int[] lo, int[] hi, float[] a, int aOff, int lda, float[] bt, int btOff, int ldb,
      float[] s, int lds) {
    int i0 = 0;
    for (; i0 + 3 <= m; i0 += 3) { // three rows per block: each loaded vector of bt serves three rows
      int to = hi[i0 + 2];
      int j = lo[i0] - lo[i0] % L;
      for (; j + 2 * L <= to; j += 2 * L) scores3x2Block(k, a, aOff + i0 * lda, lda, bt, btOff + j, ldb, s, i0 * lds + j, lds);
      for (; j < to; j += L) {
        scores2x1Block(k, j, to, a, aOff + i0 * lda, lda, bt, btOff + j, ldb, s, i0 * lds + j, lds);
        scores1x1Block(k, j, to, a, aOff + (i0 + 2) * lda, bt, btOff + j, ldb, s, (i0 + 2) * lds + j);
      }
    }
    for (; i0 + 2 <= m; i0 += 2) {
      int to = hi[i0 + 1];
      int j = lo[i0] - lo[i0] % L; // from a whole vector: columns below the band cost less than a masked tail
      for (; j + 2 * L <= to; j += 2 * L) scores2x2Block(k, a, aOff + i0 * lda, lda, bt, btOff + j, ldb, s, i0 * lds + j, lds);
      for (; j < to; j += L) scores2x1Block(k, j, to, a, aOff + i0 * lda, lda, bt, btOff + j, ldb, s, i0 * lds + j, lds);
    }
    for (; i0 < m; i0++) {
      for (int j = lo[i0] - lo[i0] % L; j < hi[i0]; j += L) {
        scores1x1Block(k, j, hi[i0], a, aOff + i0 * lda, bt, btOff + j, ldb, s, i0 * lds + j);
      }
    }
  }

  /**
   * Three rows times two vectors of columns, four chains each: 24 accumulators, each loaded vector
   * of bt used by three rows where a 2 × 2 block uses it for two; each sum in the same four chains.
   */
  private static void scores3x2Block(int k, float[] a, int a0, int lda, float[] bt, int b, int ldb, float[] s, int p,
      int lds) {
    FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0; // row 0, first vector, chains c mod 4
    FloatVector q0 = p0, q1 = p0, q2 = p0, q3 = p0; //                    row 0, second vector
    FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0; //                    row 1, first vector
    FloatVector t0 = p0, t1 = p0, t2 = p0, t3 = p0; //                    row 1, second vector
    FloatVector u0 = p0, u1 = p0, u2 = p0, u3 = p0; //                    row 2, first vector
    FloatVector v0 = p0, v1 = p0, v2 = p0, v3 = p0; //                    row 2, second vector
    int a1 = a0 + lda, a2 = a1 + lda;
    int k4 = k - k % 4;
    int c = 0;
    for (; c < k4; c += 4, b += 4 * ldb) {
      FloatVector b0 = FloatVector.fromArray(F, bt, b), b1 = FloatVector.fromArray(F, bt, b + L);
      FloatVector x = FloatVector.broadcast(F, a[a0 + c]);
      p0 = b0.fma(x, p0);
      q0 = b1.fma(x, q0);
      x = FloatVector.broadcast(F, a[a1 + c]);
      r0 = b0.fma(x, r0);
      t0 = b1.fma(x, t0);
      x = FloatVector.broadcast(F, a[a2 + c]);
      u0 = b0.fma(x, u0);
      v0 = b1.fma(x, v0);
      b0 = FloatVector.fromArray(F, bt, b + ldb);
      b1 = FloatVector.fromArray(F, bt, b + ldb + L);
      x = FloatVector.broadcast(F, a[a0 + c + 1]);
      p1 = b0.fma(x, p1);
      q1 = b1.fma(x, q1);
      x = FloatVector.broadcast(F, a[a1 + c + 1]);
      r1 = b0.fma(x, r1);
      t1 = b1.fma(x, t1);
      x = FloatVector.broadcast(F, a[a2 + c + 1]);
      u1 = b0.fma(x, u1);
      v1 = b1.fma(x, v1);
      b0 = FloatVector.fromArray(F, bt, b + 2 * ldb);
      b1 = FloatVector.fromArray(F, bt, b + 2 * ldb + L);
      x = FloatVector.broadcast(F, a[a0 + c + 2]);
      p2 = b0.fma(x, p2);
      q2 = b1.fma(x, q2);
      x = FloatVector.broadcast(F, a[a1 + c + 2]);
      r2 = b0.fma(x, r2);
      t2 = b1.fma(x, t2);
      x = FloatVector.broadcast(F, a[a2 + c + 2]);
      u2 = b0.fma(x, u2);
      v2 = b1.fma(x, v2);
      b0 = FloatVector.fromArray(F, bt, b + 3 * ldb);
      b1 = FloatVector.fromArray(F, bt, b + 3 * ldb + L);
      x = FloatVector.broadcast(F, a[a0 + c + 3]);
      p3 = b0.fma(x, p3);
      q3 = b1.fma(x, q3);
      x = FloatVector.broadcast(F, a[a1 + c + 3]);
      r3 = b0.fma(x, r3);
      t3 = b1.fma(x, t3);
      x = FloatVector.broadcast(F, a[a2 + c + 3]);
      u3 = b0.fma(x, u3);
      v3 = b1.fma(x, v3);
    }
    for (; c < k; c++, b += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, bt, b), b1 = FloatVector.fromArray(F, bt, b + L);
      FloatVector x = FloatVector.broadcast(F, a[a0 + c]);
      p0 = b0.fma(x, p0);
      q0 = b1.fma(x, q0);
      x = FloatVector.broadcast(F, a[a1 + c]);
      r0 = b0.fma(x, r0);
      t0 = b1.fma(x, t0);
      x = FloatVector.broadcast(F, a[a2 + c]);
      u0 = b0.fma(x, u0);
      v0 = b1.fma(x, v0);
    }
    p0.add(p1).add(p2.add(p3)).intoArray(s, p);
    q0.add(q1).add(q2.add(q3)).intoArray(s, p + L);
    r0.add(r1).add(r2.add(r3)).intoArray(s, p + lds);
    t0.add(t1).add(t2.add(t3)).intoArray(s, p + lds + L);
    u0.add(u1).add(u2.add(u3)).intoArray(s, p + 2 * lds);
    v0.add(v1).add(v2.add(v3)).intoArray(s, p + 2 * lds + L);
  }

  /** Two rows times two vectors of columns, four chains each. */
  private static void scores2x2Block(int k, float[] a, int a0, int lda, float[] bt, int b, int ldb, float[] s, int p,
      int lds) {
    FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0; // row 0, first vector, chains c mod 4
    FloatVector q0 = p0, q1 = p0, q2 = p0, q3 = p0; //                    row 0, second vector
    FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0; //                    row 1, first vector
    FloatVector t0 = p0, t1 = p0, t2 = p0, t3 = p0; //                    row 1, second vector
    int a1 = a0 + lda;
    int k4 = k - k % 4;
    int c = 0;
    for (; c < k4; c += 4, b += 4 * ldb) {
      FloatVector x0 = FloatVector.broadcast(F, a[a0 + c]);
      FloatVector y0 = FloatVector.broadcast(F, a[a1 + c]);
      FloatVector b0 = FloatVector.fromArray(F, bt, b);
      FloatVector b1 = FloatVector.fromArray(F, bt, b + L);
      p0 = b0.fma(x0, p0);
      q0 = b1.fma(x0, q0);
      r0 = b0.fma(y0, r0);
      t0 = b1.fma(y0, t0);
      FloatVector x1 = FloatVector.broadcast(F, a[a0 + c + 1]);
      FloatVector y1 = FloatVector.broadcast(F, a[a1 + c + 1]);
      FloatVector b2 = FloatVector.fromArray(F, bt, b + ldb);
      FloatVector b3 = FloatVector.fromArray(F, bt, b + ldb + L);
      p1 = b2.fma(x1, p1);
      q1 = b3.fma(x1, q1);
      r1 = b2.fma(y1, r1);
      t1 = b3.fma(y1, t1);
      FloatVector x2 = FloatVector.broadcast(F, a[a0 + c + 2]);
      FloatVector y2 = FloatVector.broadcast(F, a[a1 + c + 2]);
      FloatVector b4 = FloatVector.fromArray(F, bt, b + 2 * ldb);
      FloatVector b5 = FloatVector.fromArray(F, bt, b + 2 * ldb + L);
      p2 = b4.fma(x2, p2);
      q2 = b5.fma(x2, q2);
      r2 = b4.fma(y2, r2);
      t2 = b5.fma(y2, t2);
      FloatVector x3 = FloatVector.broadcast(F, a[a0 + c + 3]);
      FloatVector y3 = FloatVector.broadcast(F, a[a1 + c + 3]);
      FloatVector b6 = FloatVector.fromArray(F, bt, b + 3 * ldb);
      FloatVector b7 = FloatVector.fromArray(F, bt, b + 3 * ldb + L);
      p3 = b6.fma(x3, p3);
      q3 = b7.fma(x3, q3);
      r3 = b6.fma(y3, r3);
      t3 = b7.fma(y3, t3);
    }
    for (; c < k; c++, b += ldb) {
      FloatVector x0 = FloatVector.broadcast(F, a[a0 + c]);
      FloatVector y0 = FloatVector.broadcast(F, a[a1 + c]);
      FloatVector b0 = FloatVector.fromArray(F, bt, b);
      FloatVector b1 = FloatVector.fromArray(F, bt, b + L);
      p0 = b0.fma(x0, p0);
      q0 = b1.fma(x0, q0);
      r0 = b0.fma(y0, r0);
      t0 = b1.fma(y0, t0);
    }
    p0.add(p1).add(p2.add(p3)).intoArray(s, p);
    q0.add(q1).add(q2.add(q3)).intoArray(s, p + L);
    r0.add(r1).add(r2.add(r3)).intoArray(s, p + lds);
    t0.add(t1).add(t2.add(t3)).intoArray(s, p + lds + L);
  }

  /** Two rows times one (masked) vector of columns, four chains each. */
  private static void scores2x1Block(int k, int j, int to, float[] a, int a0, int lda, float[] bt, int b, int ldb,
      float[] s, int p, int lds) {
    VectorMask<Float> mk = F.indexInRange(j, to);
    FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
    FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0;
    int a1 = a0 + lda;
    int k4 = k - k % 4;
    int c = 0;
    for (; c < k4; c += 4, b += 4 * ldb) {
      FloatVector b0 = FloatVector.fromArray(F, bt, b, mk);
      FloatVector b1 = FloatVector.fromArray(F, bt, b + ldb, mk);
      FloatVector b2 = FloatVector.fromArray(F, bt, b + 2 * ldb, mk);
      FloatVector b3 = FloatVector.fromArray(F, bt, b + 3 * ldb, mk);
      p0 = b0.fma(FloatVector.broadcast(F, a[a0 + c]), p0);
      r0 = b0.fma(FloatVector.broadcast(F, a[a1 + c]), r0);
      p1 = b1.fma(FloatVector.broadcast(F, a[a0 + c + 1]), p1);
      r1 = b1.fma(FloatVector.broadcast(F, a[a1 + c + 1]), r1);
      p2 = b2.fma(FloatVector.broadcast(F, a[a0 + c + 2]), p2);
      r2 = b2.fma(FloatVector.broadcast(F, a[a1 + c + 2]), r2);
      p3 = b3.fma(FloatVector.broadcast(F, a[a0 + c + 3]), p3);
      r3 = b3.fma(FloatVector.broadcast(F, a[a1 + c + 3]), r3);
    }
    for (; c < k; c++, b += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, bt, b, mk);
      p0 = b0.fma(FloatVector.broadcast(F, a[a0 + c]), p0);
      r0 = b0.fma(FloatVector.broadcast(F, a[a1 + c]), r0);
    }
    p0.add(p1).add(p2.add(p3)).intoArray(s, p, mk);
    r0.add(r1).add(r2.add(r3)).intoArray(s, p + lds, mk);
  }

  private static void scores1x1Block(int k, int j, int to, float[] a, int a0, float[] bt, int b, int ldb, float[] s,
      int p) {
    VectorMask<Float> mk = F.indexInRange(j, to);
    FloatVector p0 = FloatVector.zero(F), p1 = p0, p2 = p0, p3 = p0;
    int k4 = k - k % 4;
    int c = 0;
    for (; c < k4; c += 4, b += 4 * ldb) {
      p0 = FloatVector.fromArray(F, bt, b, mk).fma(FloatVector.broadcast(F, a[a0 + c]), p0);
      p1 = FloatVector.fromArray(F, bt, b + ldb, mk).fma(FloatVector.broadcast(F, a[a0 + c + 1]), p1);
      p2 = FloatVector.fromArray(F, bt, b + 2 * ldb, mk).fma(FloatVector.broadcast(F, a[a0 + c + 2]), p2);
      p3 = FloatVector.fromArray(F, bt, b + 3 * ldb, mk).fma(FloatVector.broadcast(F, a[a0 + c + 3]), p3);
    }
    for (; c < k; c++, b += ldb) p0 = FloatVector.fromArray(F, bt, b, mk).fma(FloatVector.broadcast(F, a[a0 + c]), p0);
    p0.add(p1).add(p2.add(p3)).intoArray(s, p, mk);
  }

  /**
   * C[cOff + i·ldc + e] (+)= Σ_j S[i·lds + j] · b[bOff + j·ldb + e] for e in [0, n), j over the
   * band of row i's block (weights times values, or dS·K); S must be zero outside each row's band.
   */
  static void rows(int m, int n, int[] lo, int[] hi, float[] s, int lds, float[] b, int bOff, int ldb, float[] c,
      int cOff, int ldc, boolean accumulate) {
    if (!accumulate) {
      for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
    }
    // the blocks always add: a branch on accumulate inside them would merge vectors in a phi, which
    // C2 may leave boxed
    int e = 0;
    for (; e + 2 * L <= n; e += 2 * L) {
      int i0 = 0;
      for (; i0 + 4 <= m; i0 += 4) rows4x2Block(lo[i0], hi[i0 + 3], s, i0 * lds, lds, b, bOff + e, ldb, c, cOff + i0 * ldc + e, ldc);
      for (; i0 < m; i0++) {
        for (int x = e; x < e + 2 * L; x += L) rows1x1Block(lo[i0], hi[i0], x, n, s, i0 * lds, b, bOff + x, ldb, c, cOff + i0 * ldc + x);
      }
    }
    for (; e < n; e += L) { // a head dimension that is not a multiple of two vectors: masked
      int i0 = 0;
      for (; i0 + 4 <= m; i0 += 4) rows4x1Block(lo[i0], hi[i0 + 3], e, n, s, i0 * lds, lds, b, bOff + e, ldb, c, cOff + i0 * ldc + e, ldc);
      for (; i0 < m; i0++) rows1x1Block(lo[i0], hi[i0], e, n, s, i0 * lds, b, bOff + e, ldb, c, cOff + i0 * ldc + e);
    }
  }

  private static void rows4x2Block(int from, int to, float[] s, int p0, int lds,
      float[] b, int bOff, int ldb, float[] c, int q, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    int bj = bOff + from * ldb;
    for (int j = from; j < to; j++, bj += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, b, bj);
      FloatVector b1 = FloatVector.fromArray(F, b, bj + L);
      FloatVector x0 = FloatVector.broadcast(F, s[p0 + j]);
      c00 = x0.fma(b0, c00);
      c01 = x0.fma(b1, c01);
      FloatVector x1 = FloatVector.broadcast(F, s[p0 + lds + j]);
      c10 = x1.fma(b0, c10);
      c11 = x1.fma(b1, c11);
      FloatVector x2 = FloatVector.broadcast(F, s[p0 + 2 * lds + j]);
      c20 = x2.fma(b0, c20);
      c21 = x2.fma(b1, c21);
      FloatVector x3 = FloatVector.broadcast(F, s[p0 + 3 * lds + j]);
      c30 = x3.fma(b0, c30);
      c31 = x3.fma(b1, c31);
    }
    c00.add(FloatVector.fromArray(F, c, q)).intoArray(c, q);
    c01.add(FloatVector.fromArray(F, c, q + L)).intoArray(c, q + L);
    c10.add(FloatVector.fromArray(F, c, q + ldc)).intoArray(c, q + ldc);
    c11.add(FloatVector.fromArray(F, c, q + ldc + L)).intoArray(c, q + ldc + L);
    c20.add(FloatVector.fromArray(F, c, q + 2 * ldc)).intoArray(c, q + 2 * ldc);
    c21.add(FloatVector.fromArray(F, c, q + 2 * ldc + L)).intoArray(c, q + 2 * ldc + L);
    c30.add(FloatVector.fromArray(F, c, q + 3 * ldc)).intoArray(c, q + 3 * ldc);
    c31.add(FloatVector.fromArray(F, c, q + 3 * ldc + L)).intoArray(c, q + 3 * ldc + L);
  }

  private static void rows4x1Block(int from, int to, int e, int n, float[] s, int p0, int lds, float[] b, int bOff,
      int ldb, float[] c, int q, int ldc) {
    VectorMask<Float> m0 = F.indexInRange(e, n);
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
    int bj = bOff + from * ldb;
    for (int j = from; j < to; j++, bj += ldb) {
      FloatVector b0 = FloatVector.fromArray(F, b, bj, m0);
      c0 = FloatVector.broadcast(F, s[p0 + j]).fma(b0, c0);
      c1 = FloatVector.broadcast(F, s[p0 + lds + j]).fma(b0, c1);
      c2 = FloatVector.broadcast(F, s[p0 + 2 * lds + j]).fma(b0, c2);
      c3 = FloatVector.broadcast(F, s[p0 + 3 * lds + j]).fma(b0, c3);
    }
    c0.add(FloatVector.fromArray(F, c, q, m0)).intoArray(c, q, m0);
    c1.add(FloatVector.fromArray(F, c, q + ldc, m0)).intoArray(c, q + ldc, m0);
    c2.add(FloatVector.fromArray(F, c, q + 2 * ldc, m0)).intoArray(c, q + 2 * ldc, m0);
    c3.add(FloatVector.fromArray(F, c, q + 3 * ldc, m0)).intoArray(c, q + 3 * ldc, m0);
  }

  private static void rows1x1Block(int from, int to, int e, int n, float[] s, int p0, float[] b, int bOff, int ldb,
      float[] c, int q) {
    VectorMask<Float> m0 = F.indexInRange(e, n);
    FloatVector c0 = FloatVector.zero(F);
    int bj = bOff + from * ldb;
    for (int j = from; j < to; j++, bj += ldb) c0 = FloatVector.broadcast(F, s[p0 + j]).fma(FloatVector.fromArray(F, b, bj, m0), c0);
    c0.add(FloatVector.fromArray(F, c, q, m0)).intoArray(c, q, m0);
  }

  /**
   * C[cOff + j·ldc + e] += Σ_i S[i·lds + j] · b[bOff + i·ldb + e] for j in [0, w), e in [0, n),
   * i over the rows whose band holds j (Sᵀ times query rows: dK, or Pᵀ·dO: dV).
   */
  static void columns(int m, int w, int n, int[] lo, int[] hi, float[] s, int lds, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int e = 0;
    for (; e + 2 * L <= n; e += 2 * L) {
      int first = 0; // the first row whose band reaches column j (hi non-decreasing)
      int j0 = 0;
      for (; j0 + 4 <= w; j0 += 4) {
        while (first < m && hi[first] <= j0) first++;
        columns4x2Block(first, lastRow(m, lo, j0 + 3), s, j0, lds, b, bOff + e, ldb, c, cOff + j0 * ldc + e, ldc);
      }
      for (; j0 < w; j0++) {
        while (first < m && hi[first] <= j0) first++;
        for (int x = e; x < e + 2 * L; x += L) {
          columns1x1Block(first, lastRow(m, lo, j0), x, n, s, j0, lds, b, bOff + x, ldb, c, cOff + j0 * ldc + x);
        }
      }
    }
    for (; e < n; e += L) { // a head dimension that is not a multiple of two vectors: masked
      int first = 0;
      int j0 = 0;
      for (; j0 + 4 <= w; j0 += 4) {
        while (first < m && hi[first] <= j0) first++;
        columns4x1Block(first, lastRow(m, lo, j0 + 3), e, n, s, j0, lds, b, bOff + e, ldb, c, cOff + j0 * ldc + e, ldc);
      }
      for (; j0 < w; j0++) {
        while (first < m && hi[first] <= j0) first++;
        columns1x1Block(first, lastRow(m, lo, j0), e, n, s, j0, lds, b, bOff + e, ldb, c, cOff + j0 * ldc + e);
      }
    }
  }

  private static void columns4x2Block(int first, int last, float[] s, int j0,
      int lds, float[] b, int bOff, int ldb, float[] c, int q, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
    FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
    FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    int bi = bOff + first * ldb;
    int p = first * lds + j0;
    for (int i = first; i < last; i++, bi += ldb, p += lds) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      FloatVector b1 = FloatVector.fromArray(F, b, bi + L);
      FloatVector x0 = FloatVector.broadcast(F, s[p]);
      c00 = x0.fma(b0, c00);
      c01 = x0.fma(b1, c01);
      FloatVector x1 = FloatVector.broadcast(F, s[p + 1]);
      c10 = x1.fma(b0, c10);
      c11 = x1.fma(b1, c11);
      FloatVector x2 = FloatVector.broadcast(F, s[p + 2]);
      c20 = x2.fma(b0, c20);
      c21 = x2.fma(b1, c21);
      FloatVector x3 = FloatVector.broadcast(F, s[p + 3]);
      c30 = x3.fma(b0, c30);
      c31 = x3.fma(b1, c31);
    }
    c00.add(FloatVector.fromArray(F, c, q)).intoArray(c, q);
    c01.add(FloatVector.fromArray(F, c, q + L)).intoArray(c, q + L);
    c10.add(FloatVector.fromArray(F, c, q + ldc)).intoArray(c, q + ldc);
    c11.add(FloatVector.fromArray(F, c, q + ldc + L)).intoArray(c, q + ldc + L);
    c20.add(FloatVector.fromArray(F, c, q + 2 * ldc)).intoArray(c, q + 2 * ldc);
    c21.add(FloatVector.fromArray(F, c, q + 2 * ldc + L)).intoArray(c, q + 2 * ldc + L);
    c30.add(FloatVector.fromArray(F, c, q + 3 * ldc)).intoArray(c, q + 3 * ldc);
    c31.add(FloatVector.fromArray(F, c, q + 3 * ldc + L)).intoArray(c, q + 3 * ldc + L);
  }

  private static void columns4x1Block(int first, int last, int e, int n, float[] s, int j0, int lds, float[] b,
      int bOff, int ldb, float[] c, int q, int ldc) {
    VectorMask<Float> m0 = F.indexInRange(e, n);
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
    int bi = bOff + first * ldb;
    int p = first * lds + j0;
    for (int i = first; i < last; i++, bi += ldb, p += lds) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi, m0);
      c0 = FloatVector.broadcast(F, s[p]).fma(b0, c0);
      c1 = FloatVector.broadcast(F, s[p + 1]).fma(b0, c1);
      c2 = FloatVector.broadcast(F, s[p + 2]).fma(b0, c2);
      c3 = FloatVector.broadcast(F, s[p + 3]).fma(b0, c3);
    }
    c0.add(FloatVector.fromArray(F, c, q, m0)).intoArray(c, q, m0);
    c1.add(FloatVector.fromArray(F, c, q + ldc, m0)).intoArray(c, q + ldc, m0);
    c2.add(FloatVector.fromArray(F, c, q + 2 * ldc, m0)).intoArray(c, q + 2 * ldc, m0);
    c3.add(FloatVector.fromArray(F, c, q + 3 * ldc, m0)).intoArray(c, q + 3 * ldc, m0);
  }

  private static void columns1x1Block(int first, int last, int e, int n, float[] s, int j0, int lds, float[] b,
      int bOff, int ldb, float[] c, int q) {
    VectorMask<Float> m0 = F.indexInRange(e, n);
    FloatVector c0 = FloatVector.zero(F);
    int bi = bOff + first * ldb;
    for (int i = first; i < last; i++, bi += ldb) c0 = FloatVector.broadcast(F, s[i * lds + j0]).fma(FloatVector.fromArray(F, b, bi, m0), c0);
    c0.add(FloatVector.fromArray(F, c, q, m0)).intoArray(c, q, m0);
  }

  /** One past the last row whose band starts at or before column j (lo non-decreasing). */
  private static int lastRow(int m, int[] lo, int j) {
    int r = m;
    while (r > 0 && lo[r - 1] > j) r--;
    return r;
  }
}
