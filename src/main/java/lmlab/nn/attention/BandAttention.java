package lmlab.nn.attention;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.Arena;
import lmlab.tensor.MemoryProbe;
import lmlab.tensor.ProductProbe;
import lmlab.tensor.Tensor;

/**
 * Fused dot-product attention under a structured mask, forward and backward, in O(S · visible
 * keys) time and O(S) extra memory: no S × S matrix.
 *
 * <p>Every structured mask lets query t see the progression first(t), first(t) + δ, ..., t (δ the
 * dilation, else 1). The queries t = r + δu of one residue r (mod δ) therefore see the keys
 * u' in [lo(u), u] of the same residue, with lo non-decreasing: a band. Queries are taken in tiles
 * of up to {@link #TILE} rows (fewer for short windows: about the keys a row sees, at least 16, so
 * the part of a tile outside the band stays a bounded multiple of it); a tile [u0, u1) needs the
 * keys [lo(u0), u1), so its scores are one product
 * Q_tile·K_rangeᵀ (queries read straight from the projections, row stride δ·n·d_h; the residue's
 * keys transposed once per head; the n_kv key/value heads are read by their query group, never
 * repeated), then the normaliser on each row's own band, then O_tile = P·V_range, a second product.
 * The products are {@link TileProducts}: register-blocked, unpacked, and limited to each block of
 * rows' band, so a causal tile skips most of its masked half.
 *
 * <p>Softmax keeps only the row's log-sum-exp for backward (flash-attention style): the backward
 * pass recomputes P = exp(s − lse) tile by tile and forms, with D_t = Σ dO_t ⊙ O_t,
 * dS = P ⊙ (dP − D) (softmax) or dS = 1[s > 0]·dP / n_t (ReLU attention, a = relu(s)/n_t), with
 * dP = dO·Vᵀ; then dQ = scale·dS·K, dK += scale·dSᵀ·Q, dV += Pᵀ·dO. Backward runs one (batch,
 * key/value head) per task, so the dK/dV accumulations of a group's query heads never race.
 */
public final class BandAttention {
  /** Query rows per tile, at most. */
  static final int TILE = 64;

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private BandAttention() {}

  /** The shape of one call. */
  private record Geometry(int batch, int seq, int nq, int nkv, int dh, float scale, AttentionMask mask,
      Normaliser norm, float dropout, long seed) {
    int group() {
      return nq / nkv;
    }

    int stride() {
      return mask.stride();
    }

    /** Query rows per tile: the visible keys per row rounded up to 16, within [16, TILE]. */
    int tile() {
      int held = mask.maxHeld();
      int keys = held == Integer.MAX_VALUE ? seq : (held - 1) / stride() + 1;
      return Math.max(16, Math.min(TILE, (keys + 15) / 16 * 16));
    }

    int residues() {
      return Math.min(mask.stride(), seq);
    }

    /** Queries of residue r: t = r + δu for u in [0, rows(r)). */
    int rows(int r) {
      return (seq - 1 - r) / stride() + 1;
    }

    /** First visible key of query u of residue r, in u-coordinates. */
    int lo(int r, int u) {
      return (mask.first(r + stride() * u) - r) / stride();
    }

    /** The widest key range a tile can need. */
    int maxWidth() {
      int w = 0;
      for (int r = 0; r < residues(); r++) {
        for (int u0 = 0; u0 < rows(r); u0 += tile()) w = Math.max(w, Math.min(rows(r), u0 + tile()) - lo(r, u0));
      }
      return w;
    }
  }

  /**
   * merge_heads(A @ V) (B, S, n_q·d_h) for q (B, S, n_q·d_h), k and v (B, S, n_kv·d_h) with scores
   * scale·q·k; when weightsOut (B·n_q·S·S floats) is given, the attention weights are written
   * there too (for inspection, outside autograd). Differentiable in q, k and v.
   */
  public static Tensor attend(Tensor q0, Tensor k0, Tensor v0, int nq, int nkv, int dh, float scale, AttentionMask mask,
      Normaliser norm, float[] weightsOut) {
    return attend(q0, k0, v0, nq, nkv, dh, scale, mask, norm, 0f, 0L, weightsOut);
  }

  /**
   * As above with (inverted) dropout p on the attention weights: weight (b, h, t, j) is kept when
   * {@link #keep} says so for this seed, and scaled by 1 / (1 - p). The keep decisions are a
   * hash of (seed, b, h, t, j), so backward recomputes them instead of storing a mask. weightsOut
   * receives the weights before dropout.
   */
  public static Tensor attend(Tensor q0, Tensor k0, Tensor v0, int nq, int nkv, int dh, float scale, AttentionMask mask,
      Normaliser norm, float dropout, long seed, float[] weightsOut) {
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("attention dropout must be in [0, 1), got " + dropout);
    }
    Tensor q = q0.contiguous();
    Tensor k = k0.contiguous();
    Tensor v = v0.contiguous();
    Geometry g = new Geometry(q.size(0), q.size(1), nq, nkv, dh, scale, mask, norm, dropout, seed);
    if (ProductProbe.active()) { // lmlab.analysis.FlopCounter: q·kᵀ and A·V over the visible pairs, 2·d_h each
      long pairs = 0;
      for (int t = 0; t < g.seq; t++) pairs += (t - mask.first(t)) / mask.stride() + 1;
      ProductProbe.report("band_attention", 2L * g.batch * nq, pairs, dh, 1, null);
    }
    Tensor o = Arena.zeros(q.shape()); // written in place: no copy of the result
    float[] out = o.storage();
    float[] lse = norm == Normaliser.SOFTMAX ? Arena.scratch(g.batch * nq * g.seq) : null;
    int width = g.maxWidth();
    Parallel.forEachDynamic(g.batch * nq, bh -> forwardHead(g, bh / nq, bh % nq, q, k, v, out, lse, width, weightsOut));
    // what backward keeps: the output, each row's log-sum-exp, and the inputs (copies only when not contiguous)
    MemoryProbe.kept("attention_output", o.shape());
    if (lse != null) MemoryProbe.kept("logsumexp", new int[] {g.batch, nq, g.seq});
    if (q != q0) MemoryProbe.kept("q_contiguous", q.shape());
    if (k != k0) MemoryProbe.kept("k_contiguous", k.shape());
    if (v != v0) MemoryProbe.kept("v_contiguous", v.shape());
    return Autograd.record("bandAttention", o, grad -> backward(g, q, k, v, out, lse, width, grad), q0, k0, v0);
  }

  private static void forwardHead(Geometry g, int b, int h, Tensor q, Tensor k, Tensor v, float[] out, float[] lse,
      int width, float[] weightsOut) {
    int seq = g.seq;
    int dh = g.dh;
    int qRow = g.nq * dh;
    int kvRow = g.nkv * dh;
    int kvh = h / g.group();
    int st = g.stride();
    int tile = g.tile();
    Scratch ws = Scratch.get(tile, width, dh * g.rows(0));
    float[] sc = ws.s;
    float[] kt = ws.kt;
    int[] lo = ws.lo;
    int[] hi = ws.hi;
    for (int r = 0; r < g.residues(); r++) {
      int rows = g.rows(r);
      // the residue's keys, transposed once for all its tiles: kt[c·rows + u] = K[r + δu, c]
      TileProducts.transpose(k.storage(), k.offset() + (b * seq + r) * kvRow + kvh * dh, st * kvRow, rows, dh, kt);
      for (int u0 = 0; u0 < rows; u0 += tile) {
        int u1 = Math.min(rows, u0 + tile);
        int tq = u1 - u0;
        int base = g.lo(r, u0);
        int w = u1 - base;
        for (int i = 0; i < tq; i++) {
          lo[i] = g.lo(r, u0 + i) - base;
          hi[i] = u0 + i - base + 1;
        }
        int qOff = q.offset() + (b * seq + r + st * u0) * qRow + h * dh;
        int vOff = v.offset() + (b * seq + r + st * base) * kvRow + kvh * dh;
        // S = Q_tile · K_rangeᵀ over each row block's band (raw dot products; the scale is applied per row below)
        TileProducts.scores(tq, dh, lo, hi, q.storage(), qOff, st * qRow, kt, base, rows, sc, w);
        for (int i = 0; i < tq; i++) {
          int u = u0 + i;
          int a = lo[i];
          int e = hi[i]; // exclusive
          int p = i * w;
          Arrays.fill(sc, p, p + a, 0f);
          Arrays.fill(sc, p + e, p + w, 0f);
          if (g.norm == Normaliser.SOFTMAX) {
            // p = exp(scale·s − m) / Σ exp(scale·s − m), m = scale·max s; lse = m + log Σ
            float m = g.scale * max(sc, p + a, p + e);
            float sum = expShift(sc, p + a, p + e, g.scale, m);
            scaleRange(sc, p + a, p + e, 1f / sum);
            lse[(b * g.nq + h) * seq + r + st * u] = m + (float) Math.log(sum);
          } else {
            reluScale(sc, p + a, p + e, g.scale, 1f / (e - a)); // relu(scale·s) / n_t
          }
          if (weightsOut != null) {
            int t = r + st * u;
            int wo = ((b * g.nq + h) * seq + t) * seq;
            for (int c = a; c < e; c++) weightsOut[wo + r + st * (base + c)] = sc[p + c];
          }
          if (g.dropout > 0) drop(sc, p, a, e, rowSeed(g, b, h, r + st * u), r + st * base, st, g.dropout);
        }
        // O_tile = P · V_range
        int oOff = (b * seq + r + st * u0) * qRow + h * dh;
        TileProducts.rows(tq, dh, lo, hi, sc, w, v.storage(), vOff, st * kvRow, out, oOff, st * qRow, false);
      }
    }
  }

  private static Tensor[] backward(Geometry g, Tensor q, Tensor k, Tensor v, float[] out, float[] lse, int width,
      Tensor grad) {
    Tensor go = grad.contiguous();
    int dh = g.dh;
    int seq = g.seq;
    int qRow = g.nq * dh;
    // D_t = Σ_e dO[t, e] · O[t, e] per (b, t, h) (softmax only)
    float[] dsum = null;
    if (g.norm == Normaliser.SOFTMAX) {
      float[] d = Arena.scratch(g.batch * seq * g.nq);
      float[] gs = go.storage();
      int gOff = go.offset();
      Parallel.forRange(d.length, 256, (from, to) -> {
        for (int i = from; i < to; i++) d[i] = dot(gs, gOff + i * dh, out, i * dh, dh);
      });
      dsum = d;
    }
    Tensor gq = Arena.zeros(q.shape());
    Tensor gk = Arena.zeros(k.shape());
    Tensor gv = Arena.zeros(v.shape());
    float[] dq = gq.storage();
    float[] dk = gk.storage();
    float[] dv = gv.storage();
    float[] dsumF = dsum;
    Parallel.forEachDynamic(g.batch * g.nkv, unit -> {
      int b = unit / g.nkv;
      int kvh = unit % g.nkv;
      for (int h = kvh * g.group(); h < (kvh + 1) * g.group(); h++) {
        backwardHead(g, b, h, q, k, v, go, lse, dsumF, width, dq, dk, dv);
      }
    });
    return new Tensor[] {gq, gk, gv};
  }

  private static void backwardHead(Geometry g, int b, int h, Tensor q, Tensor k, Tensor v, Tensor go, float[] lse,
      float[] dsum, int width, float[] dq, float[] dk, float[] dv) {
    int seq = g.seq;
    int dh = g.dh;
    int qRow = g.nq * dh;
    int kvRow = g.nkv * dh;
    int kvh = h / g.group();
    int st = g.stride();
    int tile = g.tile();
    Scratch ws = Scratch.get(tile, width, dh * g.rows(0));
    float[] pt = ws.s;
    float[] dp = ws.ds;
    float[] kt = ws.kt;
    float[] vt = ws.vt;
    int[] lo = ws.lo;
    int[] hi = ws.hi;
    for (int r = 0; r < g.residues(); r++) {
      int rows = g.rows(r);
      int kvOff0 = (b * seq + r) * kvRow + kvh * dh;
      TileProducts.transpose(k.storage(), k.offset() + kvOff0, st * kvRow, rows, dh, kt);
      TileProducts.transpose(v.storage(), v.offset() + kvOff0, st * kvRow, rows, dh, vt);
      for (int u0 = 0; u0 < rows; u0 += tile) {
        int u1 = Math.min(rows, u0 + tile);
        int tq = u1 - u0;
        int base = g.lo(r, u0);
        int w = u1 - base;
        for (int i = 0; i < tq; i++) {
          lo[i] = g.lo(r, u0 + i) - base;
          hi[i] = u0 + i - base + 1;
        }
        int qOffRel = (b * seq + r + st * u0) * qRow + h * dh;
        int kOffRel = (b * seq + r + st * base) * kvRow + kvh * dh;
        int lq = st * qRow;
        int lk = st * kvRow;
        // recompute the scores, and dP = dO_tile · V_rangeᵀ
        TileProducts.scores(tq, dh, lo, hi, q.storage(), q.offset() + qOffRel, lq, kt, base, rows, pt, w);
        TileProducts.scores(tq, dh, lo, hi, go.storage(), go.offset() + qOffRel, lq, vt, base, rows, dp, w);
        for (int i = 0; i < tq; i++) {
          int u = u0 + i;
          int t = r + st * u;
          int a = lo[i];
          int e = hi[i];
          int p = i * w;
          Arrays.fill(pt, p, p + a, 0f);
          Arrays.fill(pt, p + e, p + w, 0f);
          Arrays.fill(dp, p, p + a, 0f);
          Arrays.fill(dp, p + e, p + w, 0f);
          int rs = g.dropout > 0 ? rowSeed(g, b, h, t) : 0;
          if (g.dropout > 0) drop(dp, p, a, e, rs, r + st * base, st, g.dropout); // dP = dP_dropped ⊙ keep / (1 - p)
          if (g.norm == Normaliser.SOFTMAX) {
            // P = exp(scale·s − lse); dS·scale = scale·P ⊙ (dP − D_t)
            softmaxGrad(pt, dp, p + a, p + e, g.scale, lse[(b * g.nq + h) * seq + t], dsum[(b * seq + t) * g.nq + h]);
          } else {
            // P = relu(scale·s)/n; dS·scale = scale·1[s > 0]·dP / n
            reluGrad(pt, dp, p + a, p + e, g.scale, 1f / (e - a));
          }
          if (g.dropout > 0) drop(pt, p, a, e, rs, r + st * base, st, g.dropout); // P_dropped, for dV
        }
        // now pt = P (after dropout) and dp = scale·dS, both zero outside each row's band
        TileProducts.rows(tq, dh, lo, hi, dp, w, k.storage(), k.offset() + kOffRel, lk, dq, qOffRel, lq, false);
        TileProducts.columns(tq, w, dh, lo, hi, dp, w, q.storage(), q.offset() + qOffRel, lq, dk, kOffRel, lk);
        TileProducts.columns(tq, w, dh, lo, hi, pt, w, go.storage(), go.offset() + qOffRel, lq, dv, kOffRel, lk);
      }
    }
  }

  /** Per-thread working memory: a tile's scores and their gradient, the residue's Kᵀ and Vᵀ, the rows' bands. */
  private static final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
    float[] s = new float[0], ds = new float[0], kt = new float[0], vt = new float[0];
    int[] lo = new int[0], hi = new int[0];

    static Scratch get(int tile, int width, int transposed) {
      Scratch x = LOCAL.get();
      if (x.s.length < tile * width) {
        x.s = new float[tile * width];
        x.ds = new float[tile * width];
      }
      if (x.kt.length < transposed) {
        x.kt = new float[transposed];
        x.vt = new float[transposed];
      }
      if (x.lo.length < tile) {
        x.lo = new int[tile];
        x.hi = new int[tile];
      }
      return x;
    }
  }

  // ---------------------------------------------------------------- dropout

  private static final jdk.incubator.vector.VectorSpecies<Integer> I = jdk.incubator.vector.IntVector.SPECIES_PREFERRED;

  /** The 32-bit seed of query row (b, h, t): SplitMix64 of (seed, row). */
  static int rowSeed(Geometry g, int b, int h, int t) {
    return rowSeed(g.seed, ((long) b * g.nq + h) * g.seq + t);
  }

  static int rowSeed(long seed, long row) {
    long z = seed + (row + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (int) (z ^ (z >>> 31));
  }

  /** A 32-bit integer hash (lowbias32): a bijection with full avalanche. */
  private static int mix(int x) {
    x ^= x >>> 16;
    x *= 0x7feb352d;
    x ^= x >>> 15;
    x *= 0x846ca68b;
    return x ^ (x >>> 16);
  }

  /** Whether key j of the query row with this seed survives dropout p: 24 uniform bits >= p. */
  static boolean keep(int rowSeed, int j, float p) {
    return (mix(rowSeed + j) >>> 8) >= threshold(p);
  }

  private static int threshold(float p) {
    return (int) Math.ceil(p * (double) (1 << 24));
  }

  /**
   * x[p + c] for c in [a, e) (key j = j0 + δ·c) times keep / (1 - p); key columns outside [a, e)
   * are zero already.
   */
  private static void drop(float[] x, int p, int a, int e, int rowSeed, int j0, int st, float prob) {
    float inv = 1f / (1f - prob);
    int th = threshold(prob);
    int c = a;
    if (st == 1) {
      jdk.incubator.vector.IntVector iota = jdk.incubator.vector.IntVector.zero(I).addIndex(1);
      for (int bound = a + F.loopBound(e - a); c < bound && F.length() == I.length(); c += F.length()) {
        jdk.incubator.vector.IntVector z = iota.add(rowSeed + j0 + c); // the hash, lane-wise
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
        var kept = z.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, th).cast(F);
        FloatVector v = FloatVector.fromArray(F, x, p + c).mul(inv);
        v.blend(0f, kept.not()).intoArray(x, p + c);
      }
    }
    for (; c < e; c++) x[p + c] = (mix(rowSeed + j0 + st * c) >>> 8) >= th ? x[p + c] * inv : 0f;
  }

  // ---------------------------------------------------------------- row kernels
  // Rows are short (a causal row of S = 128 averages 64 keys), so a scalar tail would cost as much
  // as the vector body: each loop runs whole vectors and masks the last one (AVX-512 masked
  // loads and stores). One transcendental per loop keeps C2 inlining everything.

  private static float max(float[] x, int from, int to) {
    FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      mv = mv.max(FloatVector.fromArray(F, x, i, m).blend(Float.NEGATIVE_INFINITY, m.not()));
    }
    return mv.reduceLanes(VectorOperators.MAX);
  }

  /** x = exp(scale·x − shift) over [from, to); returns the sum. */
  private static float expShift(float[] x, int from, int to, float scale, float shift) {
    FloatVector acc = FloatVector.zero(F);
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector e = Lanes.exp(FloatVector.fromArray(F, x, i, m).mul(scale).sub(shift));
      e.intoArray(x, i, m);
      acc = acc.add(e, m);
    }
    return Lanes.sum(acc);
  }

  private static void scaleRange(float[] x, int from, int to, float s) {
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector.fromArray(F, x, i, m).mul(s).intoArray(x, i, m);
    }
  }

  /** x = relu(scale·x)·inv. */
  private static void reluScale(float[] x, int from, int to, float scale, float inv) {
    float si = scale * inv; // scale > 0, so relu(scale·x)·inv = relu(x)·scale·inv
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector.fromArray(F, x, i, m).max(0f).mul(si).intoArray(x, i, m);
    }
  }

  /** s → P = exp(scale·s − lse); dp → scale·P·(dp − d). */
  private static void softmaxGrad(float[] s, float[] dp, int from, int to, float scale, float lse, float d) {
    for (int i = from; i < to; i += F.length()) {
      VectorMask<Float> m = F.indexInRange(i, to);
      FloatVector p = Lanes.exp(FloatVector.fromArray(F, s, i, m).mul(scale).sub(lse));
      p.intoArray(s, i, m);
      p.mul(FloatVector.fromArray(F, dp, i, m).sub(d)).mul(scale).intoArray(dp, i, m);
    }
  }

  /** s → P = relu(scale·s)·inv; dp → scale·inv·1[s > 0]·dp. */
  private static void reluGrad(float[] s, float[] dp, int from, int to, float scale, float inv) {
    float si = scale * inv;
    for (int i = from; i < to; i++) {
      boolean on = s[i] > 0;
      s[i] = on ? s[i] * si : 0f;
      dp[i] = on ? dp[i] * si : 0f;
    }
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }
}
