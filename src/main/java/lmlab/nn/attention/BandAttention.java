package lmlab.nn.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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

    /**
     * (Batch, head) units per task of the worker pool: one for long sequences, enough short ones
     * (arith-gpt: 6 tokens, 2,048 units per layer) that the hand-off of a task, one shared
     * counter's cache line moving between the cores, stays small against its work. Which thread
     * computes a unit changes nothing in it.
     */
    int headsPerTask() {
      long work = (long) seq * seq * dh; // about a unit's multiply-adds in one product
      return (int) Math.max(1, Math.min(64, 65536 / Math.max(1, work)));
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
    forEachUnit(g, g.batch * nq, bh -> forwardHead(g, bh / nq, bh % nq, q, k, v, out, lse, width, weightsOut));
    // what backward keeps: the output, each row's log-sum-exp, and the inputs (copies only when not contiguous)
    MemoryProbe.kept("attention_output", o.shape());
    if (lse != null) MemoryProbe.kept("logsumexp", new int[] {g.batch, nq, g.seq});
    if (q != q0) MemoryProbe.kept("q_contiguous", q.shape());
    if (k != k0) MemoryProbe.kept("k_contiguous", k.shape());
    if (v != v0) MemoryProbe.kept("v_contiguous", v.shape());
    return Autograd.record("bandAttention", o, grad -> backward(g, q, k, v, out, lse, width, grad), q0, k0, v0);
  }

  /**
   * unit(0 .. units) on the worker pool, {@link Geometry#headsPerTask} units per task, handed out
   * dynamically (units of one call cost about the same, but another process may hold up a thread).
   */
  private static void forEachUnit(Geometry g, int units, java.util.function.IntConsumer unit) {
    int per = g.headsPerTask();
    Parallel.forEachDynamic((units + per - 1) / per, task -> {
      for (int u = task * per; u < Math.min(units, (task + 1) * per); u++) unit.accept(u);
    });
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
    float[] qt = ws.kt;
    for (int r = 0; r < g.residues(); r++) {
      int rows = g.rows(r);
      // the residue's queries, transposed once for all its tiles: qt[c·rows + u] = Q[r + δu, c]
      TileProducts.transpose(q.storage(), q.offset() + (b * seq + r) * qRow + h * dh, st * qRow, rows, dh, qt);
      for (int u0 = 0; u0 < rows; u0 += tile) {
        int u1 = Math.min(rows, u0 + tile);
        int tq = u1 - u0;
        int base = g.lo(r, u0);
        int w = u1 - base;
        int ld = ws.bands(g, r, u0, tq, base, w);
        int kOff = k.offset() + (b * seq + r + st * base) * kvRow + kvh * dh;
        int vOff = v.offset() + (b * seq + r + st * base) * kvRow + kvh * dh;
        // Sᵀ = K_range · Q_tileᵀ over each key block's band of queries (raw dot products)
        TileProducts.scores(w, dh, ws.kLo, ws.kHi, k.storage(), kOff, st * kvRow, qt, u0, rows, sc, ld);
        for (int i = 0; i < tq; i++) {
          int t = r + st * (u0 + i);
          if (g.dropout > 0) ws.seed[i] = rowSeed(g, b, h, t);
          if (g.norm == Normaliser.RELU) ws.fa[i] = g.scale * (1f / (ws.hi[i] - ws.lo[i]));
        }
        for (int i0 = 0; i0 < tq; i0 += L) {
          if (g.norm == Normaliser.SOFTMAX) {
            softmaxLanes(g, ws, sc, ld, w, i0, tq, r + st * base, weightsOut == null);
            for (int i = i0; i < Math.min(tq, i0 + L); i++) {
              lse[(b * g.nq + h) * seq + r + st * (u0 + i)] = ws.fb[i] + (float) Math.log(ws.fc[i]); // m + log Σ
            }
          } else {
            reluLanes(g, ws, sc, ld, w, i0, tq, r + st * base, weightsOut == null);
          }
          if (weightsOut != null) { // inspection: the weights before dropout, then dropout as in training
            for (int i = i0; i < Math.min(tq, i0 + L); i++) {
              int wo = ((b * g.nq + h) * seq + r + st * (u0 + i)) * seq;
              for (int c = ws.lo[i]; c < ws.hi[i]; c++) weightsOut[wo + r + st * (base + c)] = sc[c * ld + i];
            }
            if (g.dropout > 0) dropLanes(g, ws, sc, ld, i0, tq, r + st * base);
          }
        }
        // O_tile = P · V_range: Pᵀ's key rows weigh the value rows into each query row
        int oOff = (b * seq + r + st * u0) * qRow + h * dh;
        TileProducts.columns(w, tq, dh, ws.kLo, ws.kHi, sc, ld, v.storage(), vOff, st * kvRow, out, oOff, st * qRow);
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
    forEachUnit(g, g.batch * g.nkv, unit -> {
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
    float[] qt = ws.kt;
    float[] ot = ws.vt;
    for (int r = 0; r < g.residues(); r++) {
      int rows = g.rows(r);
      int qOff0 = (b * seq + r) * qRow + h * dh;
      TileProducts.transpose(q.storage(), q.offset() + qOff0, st * qRow, rows, dh, qt);
      TileProducts.transpose(go.storage(), go.offset() + qOff0, st * qRow, rows, dh, ot);
      for (int u0 = 0; u0 < rows; u0 += tile) {
        int u1 = Math.min(rows, u0 + tile);
        int tq = u1 - u0;
        int base = g.lo(r, u0);
        int w = u1 - base;
        int ld = ws.bands(g, r, u0, tq, base, w);
        int qOffRel = (b * seq + r + st * u0) * qRow + h * dh;
        int kOffRel = (b * seq + r + st * base) * kvRow + kvh * dh;
        int lq = st * qRow;
        int lk = st * kvRow;
        // recompute Sᵀ = K·Qᵀ, and dPᵀ = V_range · dO_tileᵀ
        TileProducts.scores(w, dh, ws.kLo, ws.kHi, k.storage(), k.offset() + kOffRel, lk, qt, u0, rows, pt, ld);
        TileProducts.scores(w, dh, ws.kLo, ws.kHi, v.storage(), v.offset() + kOffRel, lk, ot, u0, rows, dp, ld);
        for (int i = 0; i < tq; i++) {
          int t = r + st * (u0 + i);
          if (g.dropout > 0) ws.seed[i] = rowSeed(g, b, h, t);
          if (g.norm == Normaliser.SOFTMAX) {
            ws.fa[i] = lse[(b * g.nq + h) * seq + t];
            ws.fb[i] = dsum[(b * seq + t) * g.nq + h];
          } else {
            ws.fa[i] = g.scale * (1f / (ws.hi[i] - ws.lo[i]));
          }
        }
        for (int i0 = 0; i0 < tq; i0 += L) gradLanes(g, ws, pt, dp, ld, w, i0, tq, r + st * base);
        // now pt = Pᵀ (after dropout) and dp = scale·dSᵀ, both zero outside each key's band of queries
        TileProducts.columns(w, tq, dh, ws.kLo, ws.kHi, dp, ld, k.storage(), k.offset() + kOffRel, lk, dq, qOffRel, lq);
        TileProducts.rows(w, dh, ws.kLo, ws.kHi, dp, ld, q.storage(), q.offset() + qOffRel, lq, dk, kOffRel, lk, true);
        TileProducts.rows(w, dh, ws.kLo, ws.kHi, pt, ld, go.storage(), go.offset() + qOffRel, lq, dv, kOffRel, lk, true);
      }
    }
  }

  /**
   * Per-thread working memory: a tile's Sᵀ and its gradient (key rows × query columns, the row
   * length {@code ld} a whole number of vectors), the residue's transposed queries (and dO), the
   * bands of the tile's queries (padded lanes see nothing) and of its keys, and per-query values
   * for the lane kernels.
   */
  private static final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
    float[] s = new float[0], ds = new float[0], kt = new float[0], vt = new float[0];
    int[] lo = new int[0], hi = new int[0], kLo = new int[0], kHi = new int[0], seed = new int[0];
    float[] loF = new float[0], hiF = new float[0], fa = new float[0], fb = new float[0], fc = new float[0];

    static Scratch get(int tile, int width, int transposed) {
      Scratch x = LOCAL.get();
      int ld = (tile + L - 1) / L * L;
      if (x.s.length < ld * width) {
        x.s = new float[ld * width];
        x.ds = new float[ld * width];
      }
      if (x.kt.length < transposed) {
        x.kt = new float[transposed];
        x.vt = new float[transposed];
      }
      if (x.lo.length < ld) {
        x.lo = new int[ld];
        x.hi = new int[ld];
        x.seed = new int[ld];
        x.loF = new float[ld];
        x.hiF = new float[ld];
        x.fa = new float[ld];
        x.fb = new float[ld];
        x.fc = new float[ld];
      }
      if (x.kLo.length < width) {
        x.kLo = new int[width];
        x.kHi = new int[width];
      }
      return x;
    }

    /**
     * The bands of tile [u0, u0 + tq) of residue r, relative to its first key base: query i sees
     * keys [lo[i], hi[i]), key j is seen by queries [kLo[j], kHi[j]) (both non-decreasing, as
     * TileProducts needs). Returns the row length of Sᵀ.
     */
    int bands(Geometry g, int r, int u0, int tq, int base, int w) {
      int ld = (tq + L - 1) / L * L;
      for (int i = 0; i < tq; i++) {
        lo[i] = g.lo(r, u0 + i) - base;
        hi[i] = u0 + i - base + 1;
        loF[i] = lo[i];
        hiF[i] = hi[i];
      }
      for (int i = tq; i < ld; i++) { // padding lanes: an empty band
        lo[i] = hi[i] = 0;
        loF[i] = hiF[i] = 0f;
        seed[i] = 0;
        fa[i] = fb[i] = 0f;
      }
      int first = 0;
      int last = 0;
      for (int j = 0; j < w; j++) {
        while (first < tq && hi[first] <= j) first++;
        while (last < tq && lo[last] <= j) last++;
        kLo[j] = first;
        kHi[j] = Math.max(first, last);
      }
      return ld;
    }
  }

  // ---------------------------------------------------------------- dropout

  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED; // F's lane count
  private static final int L = F.length();

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
   * {@link #threshold} as the float with its bit pattern: the lane kernels compare the 24 bits of
   * {@link #keep} with it as floats (for ints in [0, 2^24] float order is int order), so the mask
   * is a float mask from the start, with no cast from int lanes.
   */
  private static float floatThreshold(float p) {
    return Float.intBitsToFloat(threshold(p));
  }

  // ---------------------------------------------------------------- lane kernels
  // Sᵀ holds a tile's keys as rows and its queries as columns, so a vector holds one key's score
  // for L query rows: the normaliser's max and sum over keys run down the key rows lane-wise,
  // with no horizontal reduction and no masked tail per query row.

  /**
   * The key rows of query lanes [i0, i0 + L): [from, to) is where some lane sees the key, [mid0,
   * mid1) within it where every lane does. Outside [mid0, mid1) {@link #maskEdges} sets the scores
   * of the lanes that do not see the key to −∞, so the passes over [from, to) need no masks:
   * exp(−∞) = 0 (Lanes.exp clamps) and relu(−∞) = 0. (A mask chosen per key inside one loop
   * would merge in a phi, which C2 boxes.)
   */
  private record Keys(int from, int mid0, int mid1, int to) {
    static Keys of(Scratch ws, int i0, int tq) {
      int last = Math.min(tq, i0 + L) - 1;
      int from = ws.lo[i0];
      int to = ws.hi[last];
      int mid0 = Math.min(Math.max(ws.lo[last], from), to);
      int mid1 = Math.max(mid0, Math.min(ws.hi[i0], to));
      return new Keys(from, mid0, mid1, to);
    }
  }

  /**
   * Zeroes the key rows next to [from, to) that the products' blocks read (TileProducts.BLOCK − 1
   * on either side; the rest are never read) and sets the scores of lanes that do not see a key
   * to −∞.
   */
  private static void maskEdges(Scratch ws, float[] s, int ld, int w, int i0, Keys k) {
    zeroMargins(s, ld, w, i0, k);
    for (int j = k.from; j < k.mid0; j++) maskRow(s, j * ld + i0, ws, i0, j);
    for (int j = k.mid1; j < k.to; j++) maskRow(s, j * ld + i0, ws, i0, j);
  }

  /** As {@link #maskEdges} on Sᵀ, and dPᵀ zero (margins and lanes that do not see the key), so dS = 0 there. */
  private static void maskEdges(Scratch ws, float[] s, float[] dp, int ld, int w, int i0, Keys k) {
    zeroMargins(s, ld, w, i0, k);
    zeroMargins(dp, ld, w, i0, k);
    for (int j = k.from; j < k.mid0; j++) maskRow(s, dp, j * ld + i0, ws, i0, j);
    for (int j = k.mid1; j < k.to; j++) maskRow(s, dp, j * ld + i0, ws, i0, j);
  }

  // the rows' bands are passed as arrays: a vector argument is boxed when C2 does not inline the call
  private static void maskRow(float[] s, float[] dp, int o, Scratch ws, int i0, int j) {
    FloatVector x = FloatVector.broadcast(F, (float) j);
    VectorMask<Float> out = x.compare(VectorOperators.GE, FloatVector.fromArray(F, ws.loF, i0))
        .and(x.compare(VectorOperators.LT, FloatVector.fromArray(F, ws.hiF, i0))).not();
    FloatVector.fromArray(F, s, o).blend(Float.NEGATIVE_INFINITY, out).intoArray(s, o);
    FloatVector.fromArray(F, dp, o).blend(0f, out).intoArray(dp, o);
  }

  private static void maskRow(float[] s, int o, Scratch ws, int i0, int j) {
    FloatVector x = FloatVector.broadcast(F, (float) j);
    VectorMask<Float> in = x.compare(VectorOperators.GE, FloatVector.fromArray(F, ws.loF, i0))
        .and(x.compare(VectorOperators.LT, FloatVector.fromArray(F, ws.hiF, i0)));
    FloatVector.fromArray(F, s, o).blend(Float.NEGATIVE_INFINITY, in.not()).intoArray(s, o);
  }

  private static void zeroMargins(float[] s, int ld, int w, int i0, Keys k) {
    zeroRows(s, ld, i0, Math.max(0, k.from - (TileProducts.BLOCK - 1)), k.from);
    zeroRows(s, ld, i0, k.to, Math.min(w, k.to + TileProducts.BLOCK - 1));
  }

  private static void zeroRows(float[] s, int ld, int i0, int from, int to) {
    FloatVector z = FloatVector.zero(F);
    for (int j = from; j < to; j++) z.intoArray(s, j * ld + i0);
  }

  /**
   * Softmax of the query rows of lanes [i0, i0 + L) down Sᵀ's key rows: p = exp(scale·s − m) / Σ,
   * m = scale·max s, with dropout (key j = j0 + δ·row) when dropNow; leaves m in fb and Σ in fc
   * (lse = m + log Σ).
   */
  private static void softmaxLanes(Geometry g, Scratch ws, float[] s, int ld, int w, int i0, int tq, int j0,
      boolean dropNow) {
    Keys k = Keys.of(ws, i0, tq);
    maskEdges(ws, s, ld, w, i0, k);
    float scale = g.scale;
    FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int j = k.from; j < k.to; j++) mv = mv.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, s, j * ld + i0)); // see RowMath.max
    FloatVector m = mv.mul(scale);
    FloatVector sum = FloatVector.zero(F);
    for (int j = k.from; j < k.to; j++) {
      int o = j * ld + i0;
      FloatVector e = Lanes.exp(FloatVector.fromArray(F, s, o).mul(scale).sub(m));
      e.intoArray(s, o);
      sum = sum.add(e);
    }
    m.intoArray(ws.fb, i0);
    sum.intoArray(ws.fc, i0);
    FloatVector inv = FloatVector.broadcast(F, 1f).div(sum);
    if (dropNow && g.dropout > 0) {
      IntVector seeds = IntVector.fromArray(I, ws.seed, i0);
      float th = floatThreshold(g.dropout);
      float invKeep = 1f / (1f - g.dropout);
      int st = g.stride();
      for (int j = k.from; j < k.to; j++) {
        int o = j * ld + i0;
        IntVector z = seeds.add(j0 + st * j); // keep(seed, j) lane-wise, written out: as a call C2 boxed its mask
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
        VectorMask<Float> dropped = z.lanewise(VectorOperators.LSHR, 8).reinterpretAsFloats().compare(VectorOperators.LT, th);
        FloatVector.fromArray(F, s, o).mul(inv).mul(invKeep).blend(0f, dropped).intoArray(s, o);
      }
    } else {
      for (int j = k.from; j < k.to; j++) {
        int o = j * ld + i0;
        FloatVector.fromArray(F, s, o).mul(inv).intoArray(s, o);
      }
    }
  }

  /** ReLU attention of the lanes' query rows: p = relu(scale·s)·(1/n_t) (fa holds scale/n_t). */
  private static void reluLanes(Geometry g, Scratch ws, float[] s, int ld, int w, int i0, int tq, int j0,
      boolean dropNow) {
    Keys k = Keys.of(ws, i0, tq);
    maskEdges(ws, s, ld, w, i0, k);
    FloatVector si = FloatVector.fromArray(F, ws.fa, i0); // scale > 0, so relu(scale·x)·inv = relu(x)·scale·inv
    for (int j = k.from; j < k.to; j++) {
      int o = j * ld + i0;
      FloatVector.fromArray(F, s, o).max(0f).mul(si).intoArray(s, o);
    }
    if (dropNow) dropLanes(g, ws, s, ld, i0, tq, j0);
  }

  /** Dropout on the lanes' weights: p·keep / (1 - p). */
  private static void dropLanes(Geometry g, Scratch ws, float[] s, int ld, int i0, int tq, int j0) {
    if (g.dropout == 0) return;
    Keys k = Keys.of(ws, i0, tq);
    IntVector seeds = IntVector.fromArray(I, ws.seed, i0);
    float th = floatThreshold(g.dropout);
    float invKeep = 1f / (1f - g.dropout);
    int st = g.stride();
    for (int j = k.from; j < k.to; j++) {
      int o = j * ld + i0;
      IntVector z = seeds.add(j0 + st * j); // keep(seed, j) lane-wise, written out: as a call C2 boxed its mask
      z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
      z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
      z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
      VectorMask<Float> dropped = z.lanewise(VectorOperators.LSHR, 8).reinterpretAsFloats().compare(VectorOperators.LT, th);
      FloatVector.fromArray(F, s, o).mul(invKeep).blend(0f, dropped).intoArray(s, o);
    }
  }

  /**
   * Backward of the lanes' query rows: pt holds Sᵀ and dp holds dPᵀ = (dO·Vᵀ)ᵀ; afterwards pt =
   * the weights after dropout and dp = scale·dSᵀ, with dP dropped first (dP ⊙ keep / (1 - p)) and
   * softmax: P = exp(scale·s − lse), dS = P ⊙ (dP − D) (fa = lse, fb = D); ReLU: P = relu(s)·fa,
   * dS·scale = 1[s > 0]·dP·fa (fa = scale/n_t). Lanes that do not see a key get s = −∞, so P = 0
   * and dS = 0.
   */
  private static void gradLanes(Geometry g, Scratch ws, float[] pt, float[] dp, int ld, int w, int i0, int tq, int j0) {
    Keys k = Keys.of(ws, i0, tq);
    maskEdges(ws, pt, dp, ld, w, i0, k);
    FloatVector a = FloatVector.fromArray(F, ws.fa, i0);
    FloatVector d = FloatVector.fromArray(F, ws.fb, i0);
    float scale = g.scale;
    boolean softmax = g.norm == Normaliser.SOFTMAX;
    if (g.dropout > 0) {
      IntVector seeds = IntVector.fromArray(I, ws.seed, i0);
      float th = floatThreshold(g.dropout);
      float invKeep = 1f / (1f - g.dropout);
      int st = g.stride();
      for (int j = k.from; j < k.to; j++) {
        int o = j * ld + i0;
        IntVector z = seeds.add(j0 + st * j); // keep(seed, j) lane-wise, written out: as a call C2 boxed its mask
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16)).mul(0x7feb352d);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 15)).mul(0x846ca68b);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 16));
        VectorMask<Float> dropped = z.lanewise(VectorOperators.LSHR, 8).reinterpretAsFloats().compare(VectorOperators.LT, th);
        FloatVector s = FloatVector.fromArray(F, pt, o);
        FloatVector dpd = FloatVector.fromArray(F, dp, o).mul(invKeep).blend(0f, dropped);
        if (softmax) {
          FloatVector p = Lanes.exp(s.mul(scale).sub(a));
          p.mul(dpd.sub(d)).mul(scale).intoArray(dp, o);
          p.mul(invKeep).blend(0f, dropped).intoArray(pt, o);
        } else {
          VectorMask<Float> off = s.compare(VectorOperators.GT, 0f).not();
          dpd.mul(a).blend(0f, off).intoArray(dp, o);
          s.mul(a).mul(invKeep).blend(0f, off.or(dropped)).intoArray(pt, o);
        }
      }
    } else {
      for (int j = k.from; j < k.to; j++) {
        int o = j * ld + i0;
        FloatVector s = FloatVector.fromArray(F, pt, o);
        FloatVector dpv = FloatVector.fromArray(F, dp, o);
        if (softmax) {
          FloatVector p = Lanes.exp(s.mul(scale).sub(a));
          p.mul(dpv.sub(d)).mul(scale).intoArray(dp, o);
          p.intoArray(pt, o);
        } else {
          VectorMask<Float> off = s.compare(VectorOperators.GT, 0f).not();
          dpv.mul(a).blend(0f, off).intoArray(dp, o);
          s.mul(a).blend(0f, off).intoArray(pt, o);
        }
      }
    }
  }

  /** Σ_i a[ao + i]·b[bo + i]: whole vectors by fused multiply-adds, the rest one by one. */
  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    int i = 0;
    float s = 0;
    if (n >= L) {
      FloatVector acc = FloatVector.zero(F);
      for (int e = F.loopBound(n); i < e; i += L) {
        acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
      }
      s = Lanes.sum(acc);
    }
    for (; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }
}
