package lmlab.nn.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Bf16;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.Tensor;

/**
 * The incremental (KV-cache) attention step of one layer, on plain arrays: for each new token,
 * every row rotates its key at the token's absolute position (the row's own) and appends key and
 * value to its cache; then each (row, query head) pair rotates its query and attends over the
 * cached keys the mask lets it see. No autograd.
 *
 * <p>Per query head the scores over every held key are d_h AXPYs over the cache's transposed keys
 * (vectorised across keys, no horizontal sums), page run by page run; the normaliser runs on that
 * row, and the output is a sum over keys of d_h-wide value rows, both accumulated in registers.
 * Rows holding the same pages (a beam's hypotheses share all but their last) are done in pairs
 * that read each shared key and value vector once. The cache holds only keys the mask may still
 * show (all of them visible for causal, sliding and block_local; every δ-th for dilated).
 *
 * <p>A bf16 cache ({@link KvFormat#BF16}) is read by the same loops over its interleaved blocks
 * ({@link LayerKvCache}): one load of 2L bfloat16 values, read as L ints, widens to two float
 * vectors with a shift and a mask, and the rest is float32 as above. Its rows are not paired
 * (beams read shared pages once per row).
 */
public final class Decoding {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** A bf16 block's 2L shorts in one vector of the float vector's size, read as L ints. */
  private static final VectorSpecies<Short> H2 = VectorSpecies.of(short.class, F.vectorShape());
  private static final int BLOCK = LayerKvCache.BLOCK;

  private Decoding() {}

  /**
   * merge_heads(A @ V) as a new array, row-major (B, T, n_q·d_h), for projected q
   * (B, T, n_q·d_h), k and v (B, T, n_kv·d_h) of T new tokens (not modified); score holds the
   * score function's parameters (null for scaled_dot and dot).
   */
  public static float[] step(AttentionConfig cfg, ScoreParams score, Tensor q, Tensor k, Tensor v,
      LayerKvCache cache) {
    float[] out = new float[q.numel()];
    step(cfg, score, q.size(0), q.size(1), q.toArray(), k.toArray(), v.toArray(), cache, out);
    return out;
  }

  /**
   * The same on arrays, without copies: q (B, T, n_q·d_h), k and v (B, T, n_kv·d_h) row-major
   * from offset 0; <b>q and k are rotated in place</b> when the layer uses RoPE; out
   * (B·T·n_q·d_h values) is overwritten.
   *
   * <p>Token by token: every row reserves the slot of its key (taking pages on this thread), then
   * the rows, split over the worker pool when there are several (a beam, samples), rotate and
   * append their keys and values (copies on write included) and attend, all heads of a row on one
   * thread. One row stays on the calling thread: between a step's matrix-vector
   * products the helper thread reads the next product's weights ({@code nn.weights.MatVecTeam}).
   * Each pair is computed the same way on any thread, so a row's output does not depend on the
   * others.
   */
  public static void step(AttentionConfig cfg, ScoreParams score, int batch, int steps, float[] qa, float[] ka,
      float[] va, LayerKvCache cache, float[] out) {
    int nq = cfg.numHeads();
    int nkv = cfg.numKvHeads();
    int dh = cfg.headDim();
    if (qa.length < batch * steps * nq * dh || ka.length < batch * steps * nkv * dh
        || va.length < batch * steps * nkv * dh || out.length < batch * steps * nq * dh) {
      throw new IllegalArgumentException("Decoding.step: arrays too short for B = " + batch + ", T = " + steps
          + ", n_q = " + nq + ", n_kv = " + nkv + ", d_h = " + dh);
    }
    cache.ensureBatch(batch);
    int parts = batch > 1 ? Math.min(Parallel.threads(), batch) : 1;
    for (int part = 0; part < parts; part++) cache.scratch(part); // made here, not by racing workers
    for (int i = 0; i < steps; i++) {
      for (int b = 0; b < batch; b++) cache.reserve(b); // pages taken on this thread; copies and writes below
      int token = i;
      if (parts <= 1) {
        appendAndAttend(cfg, score, cache, 0, steps, token, qa, ka, va, out, 0, batch, cache.scratch(0));
      } else {
        Parallel.forEachPart(parts, part -> appendAndAttend(cfg, score, cache, 0, steps, token, qa, ka, va, out,
            batch * part / parts, batch * (part + 1) / parts, cache.scratch(part)));
      }
    }
  }

  /**
   * One new token for the cache's rows [base, base + rows), whose pages {@link
   * LayerKvCache#prepareRows} has already reserved: q, k, v and out hold those rows only (row 0 is
   * the cache's row base). Runs on the calling thread with the cache's scratch scratch: one part of
   * a step whose rows are split over the threads ({@link RowWindow}), each part with its own
   * scratch. A row's result is the same bits as in {@link #step}.
   */
  static void stepRows(AttentionConfig cfg, ScoreParams score, int base, int rows, float[] qa, float[] ka,
      float[] va, LayerKvCache cache, float[] out, int scratch) {
    appendAndAttend(cfg, score, cache, base, 1, 0, qa, ka, va, out, 0, rows, cache.scratch(scratch));
  }

  /**
   * Rows [r0, r1) for query token token: each row's key rotated and appended with its value (the
   * copy on write its reserve left, if any), then the row's heads attend. A row's appends and
   * attention run on one thread, so the parts need no barrier between them. Row b of the arrays is
   * the cache's row base + b.
   */
  private static void appendAndAttend(AttentionConfig cfg, ScoreParams score, LayerKvCache cache, int base, int steps,
      int token, float[] qa, float[] ka, float[] va, float[] out, int r0, int r1, Scratch sc) {
    int nkv = cfg.numKvHeads();
    int dh = cfg.headDim();
    int kvRow = nkv * dh;
    Rope rope = cfg.rope();
    for (int b = r0; b < r1; b++) {
      int kvBase = (b * steps + token) * kvRow;
      if (rope != null) for (int h = 0; h < nkv; h++) rope.rotateInPlace(ka, kvBase + h * dh, cache.position(base + b));
      cache.append(base + b, ka, kvBase, va, kvBase);
    }
    attend(cfg, score, cache, base, steps, token, qa, out, r0, r1, sc); // array row b is the cache's row base + b
  }

  /**
   * Work buffers of one thread's rows: each row's held keys as page runs and its score rows, kept
   * from the first phase of {@link #attend} to the last.
   */
  static final class Scratch {
    final float[] qt;
    final float[] eq;
    final float[] kcol;
    /** One vector's lanes (the softmax's sum). */
    final float[] lanes = new float[F.length()];
    /** A page's scores (a bf16 run that starts inside a block). */
    private float[] block = new float[0];
    /** Score rows: row i's head h at rowW[i] + h · rowStride[i]. */
    float[] w = new float[64];
    /**
     * Per (row, head), i · n_q + h: the factor of its weighted values (1/Σ of the softmax's
     * exponentials, 1/n_t for relu).
     */
    float[] inv = new float[8];
    /** Per row (masks that need a check): which held keys its query sees, from rowVisible[i]. */
    boolean[] visible = new boolean[64];
    /** The held keys of every row in age order as runs inside pages: page, first slot in it, length. */
    int[] runPage = new int[8];
    int[] runSlot = new int[8];
    int[] runLength = new int[8];
    /**
     * Per row i of the part: its runs [rowRun[i], rowRun[i + 1]), query position, held keys, keys
     * seen, score stride, padding start, score row and visibility flags.
     */
    int[] rowRun = new int[9];
    int[] rowT = new int[8];
    int[] rowHeld = new int[8];
    int[] rowSeen = new int[8];
    int[] rowStride = new int[8];
    int[] rowPad = new int[8];
    int[] rowW = new int[8];
    int[] rowVisible = new int[8];
    /** Per even row i: how many of its first runs row i + 1 has too (same page, slots and length), and their keys. */
    int[] pairRuns = new int[8];
    int[] pairKeys = new int[8];
    /** A pair's accumulators over its shared runs (see weightedValuesShared). */
    float[] pairSums = new float[0];

    Scratch(int dh) {
      qt = new float[dh];
      eq = new float[dh];
      kcol = new float[dh];
    }

    float[] block(int n) {
      if (block.length < n) block = new float[n];
      return block;
    }

    /** Room for rows rows of nq heads. */
    void rows(int rows, int nq) {
      if (rowT.length < rows) {
        int n = Math.max(rows, 2 * rowT.length);
        rowRun = new int[n + 1];
        rowT = new int[n];
        rowHeld = new int[n];
        rowSeen = new int[n];
        rowStride = new int[n];
        rowPad = new int[n];
        rowW = new int[n];
        rowVisible = new int[n];
        pairRuns = new int[n];
        pairKeys = new int[n];
      }
      if (inv.length < rows * nq) inv = new float[Math.max(rows * nq, 2 * inv.length)];
    }
  }

  /**
   * Attention of query token token (of steps per row) for the rows [r0, r1), whose keys are
   * already appended (the query is at the row's position − 1), row by row: a row's scores for
   * every head, then its normalisers, then its weighted values, before the next row. A row's keys
   * and values are read while its pages are still near (its score rows stay in L1 from the first
   * phase to the last); head by head over all the rows, each head went through every row's pages
   * and the next head came back to them. Rows that share pages (the hypotheses of a beam share all
   * but their last) go as a pair, whose shared keys and values each head reads once for both. The
   * short dependent chains of one head (a page run's sums, the maximum, the exponentials, the sum
   * of the weights) overlap with the next head's instead of waiting between two kernels. Each
   * (row, head) is computed the same way whatever the order, so a row's output does not depend on
   * the other rows.
   */
  private static void attend(AttentionConfig cfg, ScoreParams score, LayerKvCache cache, int cacheRow, int steps,
      int token, float[] qa, float[] out, int r0, int r1, Scratch sc) {
    int nq = cfg.numHeads();
    int group = cfg.groupSize();
    int dh = cfg.headDim();
    int qRow = nq * dh;
    AttentionMask mask = cfg.mask();
    // causal, sliding and block_local caches hold only visible keys; dilated and custom need a check
    boolean check = !(mask instanceof AttentionMask.Causal || mask instanceof AttentionMask.Sliding
        || mask instanceof AttentionMask.BlockLocal);
    Rope rope = cfg.rope();
    ScoreFunction f = cfg.score();
    boolean softmax = cfg.normaliser() == Normaliser.SOFTMAX;
    boolean bf16 = cache.format() == KvFormat.BF16;
    float[] mat = score == null || score.matrix() == null ? null : score.matrix().toArray();
    float[] vec = score == null || score.vector() == null ? null : score.vector().toArray();
    float scale = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.MULTIPLICATIVE ? (float) (1 / Math.sqrt(dh)) : 1f;
    float[] kc = cache.keys();
    float[] vc = cache.values();
    int rows = r1 - r0;
    sc.rows(rows, nq);
    // every row's held keys: positions [t + 1 - held, t], as runs inside pages, and its score rows
    int words = 0, seenWords = 0, run = 0;
    for (int i = 0; i < rows; i++) {
      int b = cacheRow + r0 + i; // the cache's row
      int t = cache.position(b) - 1;
      int held = cache.tokensHeld(b);
      int first = t + 1 - held;
      sc.rowRun[i] = run;
      run = runs(cache, b, first, held, sc, run);
      int stride = wordsFor(held); // one head's scores: held rounded up to whole vectors
      // scores() stores each run's keys in whole vectors, -inf past the run: the last run so covers
      // [held, stride) when it starts on a vector boundary (every run does but a ring's)
      int lastLength = sc.runLength[run - 1];
      sc.rowT[i] = t;
      sc.rowHeld[i] = held;
      sc.rowStride[i] = stride;
      sc.rowPad[i] = f == ScoreFunction.ADDITIVE ? held : Math.max(held, held - lastLength + wordsFor(lastLength));
      sc.rowW[i] = words;
      words += nq * stride + F.length(); // a run's last vector is stored whole: up to a vector past the row's last head
      int n = held; // n_t, the keys t sees
      if (check) {
        if (sc.visible.length < seenWords + held) {
          sc.visible = java.util.Arrays.copyOf(sc.visible, Math.max(seenWords + held, 2 * sc.visible.length));
        }
        sc.rowVisible[i] = seenWords;
        n = 0;
        for (int c = 0; c < held; c++) {
          boolean v = mask.allowed(t, first + c);
          sc.visible[seenWords + c] = v;
          if (v) n++;
        }
        seenWords += held;
        if (n == 0) throw new IllegalArgumentException("mask " + mask.spec() + ": query " + t + " may see no key");
      }
      sc.rowSeen[i] = n;
    }
    sc.rowRun[rows] = run;
    for (int i = 0; i < rows; i += 2) { // rows of a beam share all their pages but the last: a pair reads them once
      int a = sc.rowRun[i], b = sc.rowRun[i + 1], m = 0, keys = 0; // (a last odd row shares nothing)
      while (!bf16 && i + 1 < rows && a + m < sc.rowRun[i + 1] && b + m < sc.rowRun[i + 2]
          && sc.runPage[a + m] == sc.runPage[b + m] && sc.runSlot[a + m] == sc.runSlot[b + m]
          && sc.runLength[a + m] == sc.runLength[b + m]) {
        keys += sc.runLength[a + m];
        m++;
      }
      sc.pairRuns[i] = m;
      sc.pairKeys[i] = keys;
    }
    if (sc.w.length < words) sc.w = new float[Math.max(words, 2 * sc.w.length)];
    float[] w = sc.w;
    if (rope != null) {
      for (int i = 0; i < rows; i++) {
        for (int h = 0; h < nq; h++) rope.rotateInPlace(qa, ((r0 + i) * steps + token) * qRow + h * dh, sc.rowT[i]);
      }
    }
    float[] inv = sc.inv;
    // unit by unit (a row, or a pair of rows sharing pages): its scores, normalisers and weighted values
    for (int u0 = 0, u1; u0 < rows; u0 = u1) {
      u1 = !bf16 && (u0 & 1) == 0 && u0 + 1 < rows && sc.pairRuns[u0] > 0 ? u0 + 2 : u0 + 1;
      // scores s[c] for every held key c of every row, (row i, head h)'s at w[rowW[i] + h · stride];
      // head by head, each head's after the one before in both rows of a pair: a run's last vector
      // is stored whole and may reach into the next head's row, which its own scores then overwrite
      for (int h = 0; h < nq; h++) {
        for (int i = u0; i < u1; i++) {
          int kvh = h / group;
          int held = sc.rowHeld[i];
          int stride = sc.rowStride[i];
          int qo = ((r0 + i) * steps + token) * qRow + h * dh;
          int wo = sc.rowW[i] + h * stride;
          int k0 = sc.rowRun[i], k1 = sc.rowRun[i + 1];
          switch (f) {
            case SCALED_DOT, DOT -> { // a pair's shared runs at the pair's first row, both rows' other runs at each
              int pair = i & ~1;
              if (i == pair && sc.pairRuns[i] > 0) {
                scoresPair(qa, qo, qo + qRow * steps, scale, kc, cache, kvh, dh, sc, k0, k0 + sc.pairRuns[i], w, wo,
                    sc.rowW[i + 1] + h * sc.rowStride[i + 1]);
              }
              int skip = sc.pairRuns[pair];
              scores(qa, qo, scale, kc, cache, kvh, dh, sc, k0 + skip, k1, w, wo + (skip > 0 ? sc.pairKeys[pair] : 0));
            }
            case MULTIPLICATIVE -> { // (q^T W_s)_c = Σ_a q_a W_s[a, c]
              float[] qt = sc.qt;
              java.util.Arrays.fill(qt, 0f);
              for (int a = 0; a < dh; a++) {
                float x = qa[qo + a];
                for (int c = 0; c < dh; c++) qt[c] += x * mat[a * dh + c];
              }
              scores(qt, 0, scale, kc, cache, kvh, dh, sc, k0, k1, w, wo);
            }
            case CONCAT -> { // w_k · k_c + w_q · q
              scores(vec, 0, 1f, kc, cache, kvh, dh, sc, k0, k1, w, wo);
              float qPart = dot(vec, dh, qa, qo, dh);
              for (int c = 0; c < held; c++) w[wo + c] += qPart;
            }
            case ADDITIVE -> { // w_s · tanh(W_k k_c + W_q q), W_s = [W_k | W_q] (d_a, 2 d_h)
              float[] eq = sc.eq;
              float[] kcol = sc.kcol;
              for (int r = 0; r < dh; r++) eq[r] = dot(mat, r * 2 * dh + dh, qa, qo, dh);
              for (int k = k0, c = 0; k < k1; k++) {
                int page = sc.runPage[k], slot = sc.runSlot[k];
                for (int j = 0; j < sc.runLength[k]; j++, c++) {
                  for (int e = 0; e < dh; e++) kcol[e] = cache.key(page, kvh, e, slot + j);
                  double s = 0;
                  for (int r = 0; r < dh; r++) s += vec[r] * Math.tanh(dot(mat, r * 2 * dh, kcol, 0, dh) + eq[r]);
                  w[wo + c] = (float) s;
                }
              }
            }
          }
          // the softmax's padding: whatever the runs' whole last vectors left of [held, stride)
          for (int c = sc.rowPad[i]; c < stride; c++) w[wo + c] = Float.NEGATIVE_INFINITY;
          if (check) {
            int vo = sc.rowVisible[i];
            for (int c = 0; c < held; c++) if (!sc.visible[vo + c]) w[wo + c] = Float.NEGATIVE_INFINITY;
          }
        }
      }
      for (int i = u0; i < u1; i++) {
        int stride = sc.rowStride[i];
        int held = sc.rowHeld[i];
        if (softmax) {
          for (int h = 0; h < nq; h++) inv[i * nq + h] = softmax(w, sc.rowW[i] + h * stride, held, sc.lanes);
        } else {
          float r = 1f / sc.rowSeen[i]; // relu(s) / n_t
          for (int h = 0; h < nq; h++) {
            for (int c = sc.rowW[i] + h * stride, e = c + held; c < e; c++) w[c] = w[c] > 0 ? w[c] : 0f;
            inv[i * nq + h] = r;
          }
        }
      }
      for (int h = 0; h < nq; h++) {
        for (int i = u0; i < u1; i++) {
          int oo = ((r0 + i) * steps + token) * qRow + h * dh;
          if (bf16) {
            weightedValues16(w, sc.rowW[i] + h * sc.rowStride[i], inv[i * nq + h], cache, h / group, dh, sc,
                sc.rowRun[i], sc.rowRun[i + 1], out, oo);
            continue;
          }
          if ((i & 1) == 0 && sc.pairRuns[i] > 0) { // both rows of the pair, their shared runs' values read once
            int shared = sc.pairRuns[i], keys = sc.pairKeys[i];
            weightedValuesShared(w, sc.rowW[i] + h * sc.rowStride[i], sc.rowW[i + 1] + h * sc.rowStride[i + 1], vc,
                cache, h / group, dh, sc, sc.rowRun[i], shared);
            weightedValues(w, sc.rowW[i] + h * sc.rowStride[i], inv[i * nq + h], vc, cache, h / group, dh, sc,
                sc.rowRun[i], sc.rowRun[i + 1], out, oo, shared, keys, 0);
            weightedValues(w, sc.rowW[i + 1] + h * sc.rowStride[i + 1], inv[(i + 1) * nq + h], vc, cache, h / group,
                dh, sc, sc.rowRun[i + 1], sc.rowRun[i + 2], out, oo + qRow * steps, shared, keys, 8 * F.length());
            i++;
            continue;
          }
          weightedValues(w, sc.rowW[i] + h * sc.rowStride[i], inv[i * nq + h], vc, cache, h / group, dh, sc,
              sc.rowRun[i], sc.rowRun[i + 1], out, oo, 0, 0, 0);
        }
      }
    }
  }

  /**
   * Splits the held positions [first, first + held) of row into runs of consecutive slots inside
   * one page, stored from run k on; returns the index past its last run.
   */
  private static int runs(LayerKvCache cache, int row, int first, int held, Scratch sc, int k) {
    for (int c = 0, p = first; c < held; k++) {
      int slot = cache.slotOf(p);
      int at = slot % LayerKvCache.PAGE;
      int len = Math.min(LayerKvCache.PAGE - at, held - c);
      if (cache.ringSlots() > 0) len = Math.min(len, cache.ringSlots() - slot); // a ring wraps to slot 0
      if (k == sc.runPage.length) {
        sc.runPage = java.util.Arrays.copyOf(sc.runPage, 2 * k);
        sc.runSlot = java.util.Arrays.copyOf(sc.runSlot, 2 * k);
        sc.runLength = java.util.Arrays.copyOf(sc.runLength, 2 * k);
      }
      sc.runPage[k] = cache.page(row, slot);
      sc.runSlot[k] = at;
      sc.runLength[k] = len;
      c += len;
      p += len;
    }
    return k;
  }

  /**
   * Scores of the held keys in age order, runs [k0, k1) (keys transposed: row stride PAGE); kt is the
   * float32 cache's keys (a bf16 cache is read by {@link #scores16}).
   */
  private static void scores(float[] q, int qo, float scale, float[] kt, LayerKvCache cache, int kvh, int dh,
      Scratch sc, int k0, int k1, float[] w, int wo) {
    if (cache.format() == KvFormat.BF16) {
      scores16(q, qo, scale, cache, kvh, dh, sc, k0, k1, w, wo);
      return;
    }
    for (int k = k0, c = wo; k < k1; k++) {
      scoresOf(q, qo, scale, kt, cache.keyBase(sc.runPage[k], kvh) + sc.runSlot[k], dh, sc.runLength[k], w, c);
      c += sc.runLength[k];
    }
  }

  /**
   * w[wo + c] = scale · Σ_e q[e] · K_t[e][c] for c < held, K_t the transposed keys (row stride
   * PAGE): blocks of keys accumulate in registers across e. A page run holds at most a page of
   * keys (a vector or two), so the sum over e is split into four chains (e mod 4) as well, for
   * eight FMA chains in flight instead of one or two waiting on each other's latency.
   */
  private static void scoresOf(float[] q, int qo, float scale, float[] kt, int base, int dh, int held,
      float[] w, int wo) {
    final int S = LayerKvCache.PAGE; // a constant row stride: each load's index is base + c + S·e, checks hoisted
    int l = F.length();
    int e4 = dh - dh % 4;
    int c = 0;
    for (; c + 2 * l <= held; c += 2 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      int row = base + c;
      int e = 0;
      for (; e < e4; e += 4) {
        int r = row + S * e;
        FloatVector x0 = FloatVector.broadcast(F, q[qo + e]);
        FloatVector x1 = FloatVector.broadcast(F, q[qo + e + 1]);
        FloatVector x2 = FloatVector.broadcast(F, q[qo + e + 2]);
        FloatVector x3 = FloatVector.broadcast(F, q[qo + e + 3]);
        a0 = FloatVector.fromArray(F, kt, r).fma(x0, a0);
        b0 = FloatVector.fromArray(F, kt, r + l).fma(x0, b0);
        a1 = FloatVector.fromArray(F, kt, r + S).fma(x1, a1);
        b1 = FloatVector.fromArray(F, kt, r + S + l).fma(x1, b1);
        a2 = FloatVector.fromArray(F, kt, r + 2 * S).fma(x2, a2);
        b2 = FloatVector.fromArray(F, kt, r + 2 * S + l).fma(x2, b2);
        a3 = FloatVector.fromArray(F, kt, r + 3 * S).fma(x3, a3);
        b3 = FloatVector.fromArray(F, kt, r + 3 * S + l).fma(x3, b3);
      }
      for (; e < dh; e++) {
        FloatVector x = FloatVector.broadcast(F, q[qo + e]);
        a0 = FloatVector.fromArray(F, kt, row + S * e).fma(x, a0);
        b0 = FloatVector.fromArray(F, kt, row + S * e + l).fma(x, b0);
      }
      a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(w, wo + c);
      b0.add(b1).add(b2.add(b3)).mul(scale).intoArray(w, wo + c + l);
    }
    for (; c < held; c += l) { // the keys left, a vector at a time, the last one masked: the same four chains
      VectorMask<Float> m = F.indexInRange(c, held);
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      int row = base + c;
      int e = 0;
      for (; e < e4; e += 4) {
        int r = row + S * e;
        a0 = FloatVector.fromArray(F, kt, r, m).fma(FloatVector.broadcast(F, q[qo + e]), a0);
        a1 = FloatVector.fromArray(F, kt, r + S, m).fma(FloatVector.broadcast(F, q[qo + e + 1]), a1);
        a2 = FloatVector.fromArray(F, kt, r + 2 * S, m).fma(FloatVector.broadcast(F, q[qo + e + 2]), a2);
        a3 = FloatVector.fromArray(F, kt, r + 3 * S, m).fma(FloatVector.broadcast(F, q[qo + e + 3]), a3);
      }
      for (; e < dh; e++) a0 = FloatVector.fromArray(F, kt, row + S * e, m).fma(FloatVector.broadcast(F, q[qo + e]), a0);
      // a whole vector, -inf past the run: the last run so pads the head's row for the softmax, and
      // its loads of w read whole stores (a load of a masked or partial store waits for the store to
      // retire, and so for every older instruction: one head's chain would wait for the last one's)
      FloatVector.broadcast(F, Float.NEGATIVE_INFINITY).blend(a0.add(a1).add(a2.add(a3)).mul(scale), m)
          .intoArray(w, wo + c);
    }
  }

  /**
   * {@link #scores} of two rows' queries (at qo and qo2) over runs [k0, k1) that both rows hold:
   * each key vector is loaded once for both, and each row's sums are formed exactly as
   * {@link #scoresOf} forms them (the same four chains), so a row gets the same bits alone or in
   * a pair.
   */
  private static void scoresPair(float[] q, int qo, int qo2, float scale, float[] kt, LayerKvCache cache, int kvh,
      int dh, Scratch sc, int k0, int k1, float[] w, int wo, int wo2) {
    for (int k = k0, c = 0; k < k1; k++) {
      int base = cache.keyBase(sc.runPage[k], kvh) + sc.runSlot[k];
      int len = sc.runLength[k];
      int done = dh % 4 == 0 ? scoresOfPair(q, qo, qo2, scale, kt, base, dh, len, w, wo + c, wo2 + c) : 0;
      if (done < len) { // the run's last keys, less than two vectors: a row at a time
        scoresOf(q, qo, scale, kt, base + done, dh, len - done, w, wo + c + done);
        scoresOf(q, qo2, scale, kt, base + done, dh, len - done, w, wo2 + c + done);
      }
      c += len;
    }
  }

  /** {@link #scoresOf}'s whole two-vector blocks of keys for two queries; returns the keys done. */
  private static int scoresOfPair(float[] q, int qo, int qo2, float scale, float[] kt, int base, int dh, int held,
      float[] w, int wo, int wo2) {
    final int S = LayerKvCache.PAGE;
    int l = F.length();
    int c = 0;
    for (; c + 2 * l <= held; c += 2 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
      int row = base + c;
      for (int e = 0; e < dh; e += 4) {
        int r = row + S * e;
        FloatVector k = FloatVector.fromArray(F, kt, r), kb = FloatVector.fromArray(F, kt, r + l);
        FloatVector x = FloatVector.broadcast(F, q[qo + e]), y = FloatVector.broadcast(F, q[qo2 + e]);
        a0 = k.fma(x, a0);
        b0 = kb.fma(x, b0);
        c0 = k.fma(y, c0);
        d0 = kb.fma(y, d0);
        k = FloatVector.fromArray(F, kt, r + S);
        kb = FloatVector.fromArray(F, kt, r + S + l);
        x = FloatVector.broadcast(F, q[qo + e + 1]);
        y = FloatVector.broadcast(F, q[qo2 + e + 1]);
        a1 = k.fma(x, a1);
        b1 = kb.fma(x, b1);
        c1 = k.fma(y, c1);
        d1 = kb.fma(y, d1);
        k = FloatVector.fromArray(F, kt, r + 2 * S);
        kb = FloatVector.fromArray(F, kt, r + 2 * S + l);
        x = FloatVector.broadcast(F, q[qo + e + 2]);
        y = FloatVector.broadcast(F, q[qo2 + e + 2]);
        a2 = k.fma(x, a2);
        b2 = kb.fma(x, b2);
        c2 = k.fma(y, c2);
        d2 = kb.fma(y, d2);
        k = FloatVector.fromArray(F, kt, r + 3 * S);
        kb = FloatVector.fromArray(F, kt, r + 3 * S + l);
        x = FloatVector.broadcast(F, q[qo + e + 3]);
        y = FloatVector.broadcast(F, q[qo2 + e + 3]);
        a3 = k.fma(x, a3);
        b3 = kb.fma(x, b3);
        c3 = k.fma(y, c3);
        d3 = kb.fma(y, d3);
      }
      a0.add(a1).add(a2.add(a3)).mul(scale).intoArray(w, wo + c);
      b0.add(b1).add(b2.add(b3)).mul(scale).intoArray(w, wo + c + l);
      c0.add(c1).add(c2.add(c3)).mul(scale).intoArray(w, wo2 + c);
      d0.add(d1).add(d2.add(d3)).mul(scale).intoArray(w, wo2 + c + l);
    }
    return c;
  }

  /**
   * {@link #weightedValues}'s sums over the first shared runs [k0, k0 + shared) for a pair of rows
   * holding them (score rows at wo and wo2), each value vector loaded once for both rows: per
   * two-vector block of elements, each row's eight accumulators (weightedValues' four chains, keys
   * in its order) are left in sc.pairSums (block i's at 16·L·i, the second row's 8·L after the
   * first's), where weightedValues goes on over each row's own runs, so a row's bits are those of
   * weightedValues alone.
   */
  private static void weightedValuesShared(float[] w, int wo, int wo2, float[] v, LayerKvCache cache, int kvh,
      int dh, Scratch sc, int k0, int shared) {
    int l = F.length();
    int blocks = dh / (2 * l);
    if (sc.pairSums.length < blocks * 16 * l) sc.pairSums = new float[blocks * 16 * l];
    float[] sums = sc.pairSums;
    for (int e = 0, so = 0; e + 2 * l <= dh; e += 2 * l, so += 16 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
      for (int k = k0, c = 0; k < k0 + shared; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        int len = sc.runLength[k];
        int j = 0;
        for (; j + 4 <= len; j += 4, c += 4, row += 4 * dh) {
          FloatVector x = FloatVector.broadcast(F, w[wo + c]), y = FloatVector.broadcast(F, w[wo2 + c]);
          FloatVector u = FloatVector.fromArray(F, v, row), ub = FloatVector.fromArray(F, v, row + l);
          a0 = u.fma(x, a0);
          b0 = ub.fma(x, b0);
          c0 = u.fma(y, c0);
          d0 = ub.fma(y, d0);
          x = FloatVector.broadcast(F, w[wo + c + 1]);
          y = FloatVector.broadcast(F, w[wo2 + c + 1]);
          u = FloatVector.fromArray(F, v, row + dh);
          ub = FloatVector.fromArray(F, v, row + dh + l);
          a1 = u.fma(x, a1);
          b1 = ub.fma(x, b1);
          c1 = u.fma(y, c1);
          d1 = ub.fma(y, d1);
          x = FloatVector.broadcast(F, w[wo + c + 2]);
          y = FloatVector.broadcast(F, w[wo2 + c + 2]);
          u = FloatVector.fromArray(F, v, row + 2 * dh);
          ub = FloatVector.fromArray(F, v, row + 2 * dh + l);
          a2 = u.fma(x, a2);
          b2 = ub.fma(x, b2);
          c2 = u.fma(y, c2);
          d2 = ub.fma(y, d2);
          x = FloatVector.broadcast(F, w[wo + c + 3]);
          y = FloatVector.broadcast(F, w[wo2 + c + 3]);
          u = FloatVector.fromArray(F, v, row + 3 * dh);
          ub = FloatVector.fromArray(F, v, row + 3 * dh + l);
          a3 = u.fma(x, a3);
          b3 = ub.fma(x, b3);
          c3 = u.fma(y, c3);
          d3 = ub.fma(y, d3);
        }
        for (; j < len; j++, c++, row += dh) {
          FloatVector x = FloatVector.broadcast(F, w[wo + c]), y = FloatVector.broadcast(F, w[wo2 + c]);
          FloatVector u = FloatVector.fromArray(F, v, row), ub = FloatVector.fromArray(F, v, row + l);
          a0 = u.fma(x, a0);
          b0 = ub.fma(x, b0);
          c0 = u.fma(y, c0);
          d0 = ub.fma(y, d0);
        }
      }
      a0.intoArray(sums, so);
      a1.intoArray(sums, so + l);
      a2.intoArray(sums, so + 2 * l);
      a3.intoArray(sums, so + 3 * l);
      b0.intoArray(sums, so + 4 * l);
      b1.intoArray(sums, so + 5 * l);
      b2.intoArray(sums, so + 6 * l);
      b3.intoArray(sums, so + 7 * l);
      c0.intoArray(sums, so + 8 * l);
      c1.intoArray(sums, so + 9 * l);
      c2.intoArray(sums, so + 10 * l);
      c3.intoArray(sums, so + 11 * l);
      d0.intoArray(sums, so + 12 * l);
      d1.intoArray(sums, so + 13 * l);
      d2.intoArray(sums, so + 14 * l);
      d3.intoArray(sums, so + 15 * l);
    }
  }

  /**
   * out[oo, oo + dh) = inv · Σ_c w[wo + c] · V[c] over the held keys in age order (run by run, value
   * rows of dh), two vectors of elements at a time, each summed in four chains (keys in turn)
   * combined at the end: eight FMA chains in flight, where one chain per vector would wait on the
   * FMA latency at every key. inv is the normaliser's factor, applied to the d_h sums instead of
   * to every weight. With shared > 0, the two-vector blocks go on from the sums
   * {@link #weightedValuesShared} left at sc.pairSums[sumsAt ..] over the first shared runs
   * (sharedKeys keys); the other elements go over every run.
   */
  private static void weightedValues(float[] w, int wo, float inv, float[] v, LayerKvCache cache, int kvh, int dh,
      Scratch sc, int k0, int k1, float[] out, int oo, int shared, int sharedKeys, int sumsAt) {
    int l = F.length();
    int e = 0;
    for (int so = sumsAt; e + 2 * l <= dh; e += 2 * l, so += 16 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      if (shared > 0) { // the sums over the shared runs, left by weightedValuesShared
        float[] sums = sc.pairSums;
        a0 = FloatVector.fromArray(F, sums, so);
        a1 = FloatVector.fromArray(F, sums, so + l);
        a2 = FloatVector.fromArray(F, sums, so + 2 * l);
        a3 = FloatVector.fromArray(F, sums, so + 3 * l);
        b0 = FloatVector.fromArray(F, sums, so + 4 * l);
        b1 = FloatVector.fromArray(F, sums, so + 5 * l);
        b2 = FloatVector.fromArray(F, sums, so + 6 * l);
        b3 = FloatVector.fromArray(F, sums, so + 7 * l);
      }
      for (int k = k0 + shared, c = wo + sharedKeys; k < k1; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        int len = sc.runLength[k];
        int j = 0;
        for (; j + 4 <= len; j += 4, c += 4, row += 4 * dh) {
          FloatVector x0 = FloatVector.broadcast(F, w[c]);
          FloatVector x1 = FloatVector.broadcast(F, w[c + 1]);
          FloatVector x2 = FloatVector.broadcast(F, w[c + 2]);
          FloatVector x3 = FloatVector.broadcast(F, w[c + 3]);
          a0 = FloatVector.fromArray(F, v, row).fma(x0, a0);
          b0 = FloatVector.fromArray(F, v, row + l).fma(x0, b0);
          a1 = FloatVector.fromArray(F, v, row + dh).fma(x1, a1);
          b1 = FloatVector.fromArray(F, v, row + dh + l).fma(x1, b1);
          a2 = FloatVector.fromArray(F, v, row + 2 * dh).fma(x2, a2);
          b2 = FloatVector.fromArray(F, v, row + 2 * dh + l).fma(x2, b2);
          a3 = FloatVector.fromArray(F, v, row + 3 * dh).fma(x3, a3);
          b3 = FloatVector.fromArray(F, v, row + 3 * dh + l).fma(x3, b3);
        }
        for (; j < len; j++, c++, row += dh) {
          FloatVector x = FloatVector.broadcast(F, w[c]);
          a0 = FloatVector.fromArray(F, v, row).fma(x, a0);
          b0 = FloatVector.fromArray(F, v, row + l).fma(x, b0);
        }
      }
      a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, oo + e);
      b0.add(b1).add(b2.add(b3)).mul(inv).intoArray(out, oo + e + l);
    }
    for (; e + l <= dh; e += l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int k = k0, c = wo; k < k1; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        int len = sc.runLength[k];
        int j = 0;
        for (; j + 4 <= len; j += 4, c += 4, row += 4 * dh) {
          a0 = FloatVector.fromArray(F, v, row).fma(FloatVector.broadcast(F, w[c]), a0);
          a1 = FloatVector.fromArray(F, v, row + dh).fma(FloatVector.broadcast(F, w[c + 1]), a1);
          a2 = FloatVector.fromArray(F, v, row + 2 * dh).fma(FloatVector.broadcast(F, w[c + 2]), a2);
          a3 = FloatVector.fromArray(F, v, row + 3 * dh).fma(FloatVector.broadcast(F, w[c + 3]), a3);
        }
        for (; j < len; j++, c++, row += dh) a0 = FloatVector.fromArray(F, v, row).fma(FloatVector.broadcast(F, w[c]), a0);
      }
      a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, oo + e);
    }
    for (; e < dh; e++) {
      float acc = 0f;
      for (int k = k0, c = wo; k < k1; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        for (int j = 0; j < sc.runLength[k]; j++, c++, row += dh) acc += w[c] * v[row];
      }
      out[oo + e] = acc * inv;
    }
  }

  /**
   * {@link #scores} of a bf16 cache: each run's keys by whole blocks of {@link #BLOCK} slots
   * ({@link #scoresOf16}), written to w as float32's are (whole vectors, -inf past the run). A run
   * that starts inside a block (a ring's) is computed from the block's start into the scratch and
   * copied; a page that is not whole blocks (vectors wider than half a page) is read slot by slot.
   */
  private static void scores16(float[] q, int qo, float scale, LayerKvCache cache, int kvh, int dh, Scratch sc,
      int k0, int k1, float[] w, int wo) {
    final int S = LayerKvCache.PAGE;
    short[] kt = cache.keys16();
    for (int k = k0, c = wo; k < k1; k++) {
      int page = sc.runPage[k], at = sc.runSlot[k], len = sc.runLength[k];
      int base = cache.keyBase(page, kvh);
      if (S % BLOCK != 0) {
        for (int j = 0; j < len; j++) {
          float d = 0f;
          for (int e = 0; e < dh; e++) d += q[qo + e] * cache.key(page, kvh, e, at + j);
          w[c + j] = d * scale;
        }
        for (int j = len; j < wordsFor(len); j++) w[c + j] = Float.NEGATIVE_INFINITY; // as a whole last vector would
      } else if (at % BLOCK == 0) {
        scoresOf16(q, qo, scale, kt, base + at, dh, len, w, c);
      } else {
        int from = at - at % BLOCK;
        float[] block = sc.block(S);
        scoresOf16(q, qo, scale, kt, base + from, dh, at + len - from, block, 0);
        System.arraycopy(block, at - from, w, c, len);
        for (int j = len; j < wordsFor(len); j++) w[c + j] = Float.NEGATIVE_INFINITY; // as a whole last vector would
      }
      c += len;
    }
  }

  /**
   * w[wo + c] = scale · Σ_e q[e] · K_t[e][c] for the n slots from a block boundary at base, from a
   * bf16 cache's interleaved key rows (stride PAGE): per block, each e's load of 2L values gives the
   * block's first L slots (low halves) and last L (high halves), each summed in four chains (e mod
   * 4) as {@link #scoresOf} does. Whole vectors are stored, -inf past the n slots; a last block of
   * at most L slots stores only its first vector.
   */
  private static void scoresOf16(float[] q, int qo, float scale, short[] kt, int base, int dh, int n, float[] w,
      int wo) {
    final int S = LayerKvCache.PAGE;
    int l = F.length();
    int e4 = dh - dh % 4;
    for (int c = 0; c < n; c += BLOCK) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      int row = base + c;
      int e = 0;
      for (; e < e4; e += 4) {
        int r = row + S * e;
        FloatVector x0 = FloatVector.broadcast(F, q[qo + e]);
        FloatVector x1 = FloatVector.broadcast(F, q[qo + e + 1]);
        FloatVector x2 = FloatVector.broadcast(F, q[qo + e + 2]);
        FloatVector x3 = FloatVector.broadcast(F, q[qo + e + 3]);
        IntVector k0 = ints(kt, r), k1 = ints(kt, r + S), k2 = ints(kt, r + 2 * S), k3 = ints(kt, r + 3 * S);
        a0 = low(k0).fma(x0, a0);
        b0 = high(k0).fma(x0, b0);
        a1 = low(k1).fma(x1, a1);
        b1 = high(k1).fma(x1, b1);
        a2 = low(k2).fma(x2, a2);
        b2 = high(k2).fma(x2, b2);
        a3 = low(k3).fma(x3, a3);
        b3 = high(k3).fma(x3, b3);
      }
      for (; e < dh; e++) {
        FloatVector x = FloatVector.broadcast(F, q[qo + e]);
        IntVector k0 = ints(kt, row + S * e);
        a0 = low(k0).fma(x, a0);
        b0 = high(k0).fma(x, b0);
      }
      FloatVector lo = a0.add(a1).add(a2.add(a3)).mul(scale);
      FloatVector hi = b0.add(b1).add(b2.add(b3)).mul(scale);
      int valid = n - c;
      if (valid >= BLOCK) {
        lo.intoArray(w, wo + c);
        hi.intoArray(w, wo + c + l);
      } else { // whole stores, -inf past the run (see scoresOf)
        FloatVector inf = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        inf.blend(lo, F.indexInRange(0, valid)).intoArray(w, wo + c);
        if (valid > l) inf.blend(hi, F.indexInRange(0, valid - l)).intoArray(w, wo + c + l);
      }
    }
  }

  /**
   * {@link #weightedValues} of a bf16 cache: out[oo, oo + dh) = inv · Σ_c w[wo + c] · V[c], each
   * block of {@link #BLOCK} elements from one load per key (its first L elements from the low
   * halves, its last L from the high halves), in four chains per vector (keys in turn) as
   * weightedValues; elements past the last whole block (stored in order) key by key.
   */
  private static void weightedValues16(float[] w, int wo, float inv, LayerKvCache cache, int kvh, int dh, Scratch sc,
      int k0, int k1, float[] out, int oo) {
    short[] v = cache.values16();
    int l = F.length();
    int whole = dh - dh % BLOCK;
    for (int e = 0; e < whole; e += BLOCK) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (int k = k0, c = wo; k < k1; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        int len = sc.runLength[k];
        int j = 0;
        for (; j + 4 <= len; j += 4, c += 4, row += 4 * dh) {
          FloatVector x0 = FloatVector.broadcast(F, w[c]);
          FloatVector x1 = FloatVector.broadcast(F, w[c + 1]);
          FloatVector x2 = FloatVector.broadcast(F, w[c + 2]);
          FloatVector x3 = FloatVector.broadcast(F, w[c + 3]);
          IntVector u0 = ints(v, row), u1 = ints(v, row + dh), u2 = ints(v, row + 2 * dh), u3 = ints(v, row + 3 * dh);
          a0 = low(u0).fma(x0, a0);
          b0 = high(u0).fma(x0, b0);
          a1 = low(u1).fma(x1, a1);
          b1 = high(u1).fma(x1, b1);
          a2 = low(u2).fma(x2, a2);
          b2 = high(u2).fma(x2, b2);
          a3 = low(u3).fma(x3, a3);
          b3 = high(u3).fma(x3, b3);
        }
        for (; j < len; j++, c++, row += dh) {
          FloatVector x = FloatVector.broadcast(F, w[c]);
          IntVector u = ints(v, row);
          a0 = low(u).fma(x, a0);
          b0 = high(u).fma(x, b0);
        }
      }
      a0.add(a1).add(a2.add(a3)).mul(inv).intoArray(out, oo + e);
      b0.add(b1).add(b2.add(b3)).mul(inv).intoArray(out, oo + e + l);
    }
    for (int e = whole; e < dh; e++) {
      float acc = 0f;
      for (int k = k0, c = wo; k < k1; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        for (int j = 0; j < sc.runLength[k]; j++, c++, row += dh) acc += w[c] * Bf16.toFloat(v[row]);
      }
      out[oo + e] = acc * inv;
    }
  }

  /** 2L bfloat16 values at a[i] as L ints: int j holds element j (low half) and element L + j (high half). */
  private static IntVector ints(short[] a, int i) {
    return ShortVector.fromArray(H2, a, i).reinterpretAsInts();
  }

  /** The low halves of ints, as the floats they are the upper bits of (exact). */
  private static FloatVector low(IntVector ints) {
    return ints.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** The high halves of ints, as floats (exact: the low halves cleared). */
  private static FloatVector high(IntVector ints) {
    return ints.lanewise(VectorOperators.AND, 0xffff0000).reinterpretAsFloats();
  }

  /**
   * In place over w[wo, wo + n): exp(w - max), -inf entries becoming 0 (the exponential rounds to
   * 0 below -104); returns 1/Σ, which the weighted values apply to their d_h sums. The row holds n
   * rounded up to whole vectors ({@link #wordsFor}): the last partial vector is padded with -inf,
   * whose exponential is 0, so every pass is one whole-vector loop. A masked tail would be a second
   * copy of the exponential in this method, and C2 stops inlining at its node budget: it left that
   * copy (and Lanes.sum) as calls, boxing their vectors at every head. The sum is Lanes.sum's tree
   * over the lanes, done on lanes[] for the same reason.
   */
  private static float softmax(float[] w, int wo, int n, float[] lanes) {
    int l = F.length();
    int end = wo + wordsFor(n);
    FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int c = wo; c < end; c += l) mv = mv.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, w, c)); // see RowMath.max
    float max = mv.reduceLanes(VectorOperators.MAX);
    FloatVector acc = FloatVector.zero(F);
    for (int c = wo; c < end; c += l) {
      FloatVector e = Lanes.expNonPositive(FloatVector.fromArray(F, w, c).sub(max));
      e.intoArray(w, c);
      acc = acc.add(e);
    }
    acc.intoArray(lanes, 0);
    for (int k = l >> 1; k >= 1; k >>= 1) for (int i = 0; i < k; i++) lanes[i] += lanes[i + k]; // lane i += lane i ^ k
    return 1f / lanes[0];
  }

  /** n rounded up to whole vectors: the length the score row of n keys is given. */
  static int wordsFor(int n) {
    int l = F.length();
    return (n + l - 1) / l * l;
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }
}
