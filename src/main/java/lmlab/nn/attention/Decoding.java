package lmlab.nn.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * row, and the output is a sum over keys of d_h-wide value rows, both accumulated in registers. The
 * cache holds only keys the mask may still show (all of them visible for causal, sliding and
 * block_local; every δ-th for dilated).
 */
public final class Decoding {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  /** Rows attended together, head by head (the shared scores kernel's width). */
  static final int GROUP = 4;

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
        appendAndAttend(cfg, score, cache, steps, token, qa, ka, va, out, 0, batch, cache.scratch(0));
      } else {
        Parallel.forEachPart(parts, part -> appendAndAttend(cfg, score, cache, steps, token, qa, ka, va, out,
            batch * part / parts, batch * (part + 1) / parts, cache.scratch(part)));
      }
    }
  }

  /**
   * Rows [r0, r1) for query token token: each row's key rotated and appended with its value (the
   * copy on write its reserve left, if any), then the row's heads attend. A row's appends and
   * attention run on one thread, so the parts need no barrier between them.
   */
  private static void appendAndAttend(AttentionConfig cfg, ScoreParams score, LayerKvCache cache, int steps, int token,
      float[] qa, float[] ka, float[] va, float[] out, int r0, int r1, Scratch sc) {
    int nkv = cfg.numKvHeads();
    int dh = cfg.headDim();
    int kvRow = nkv * dh;
    Rope rope = cfg.rope();
    for (int b = r0; b < r1; b++) {
      int kvBase = (b * steps + token) * kvRow;
      if (rope != null) for (int h = 0; h < nkv; h++) rope.rotateInPlace(ka, kvBase + h * dh, cache.position(b));
      cache.append(b, ka, kvBase, va, kvBase);
    }
    attend(cfg, score, cache, steps, token, qa, out, r0 * cfg.numHeads(), r1 * cfg.numHeads(), sc);
  }

  /** Work buffers of one thread's (row, head) pairs; a row's page runs are found once for its heads. */
  static final class Scratch {
    final float[] qt;
    final float[] eq;
    final float[] kcol;
    /** One vector's lanes (the softmax's sum). */
    final float[] lanes = new float[F.length()];
    float[] w = new float[64];
    boolean[] visible = new boolean[64];
    /** The held keys in age order as runs inside pages: page, first slot in it, length. */
    int[] runPage = new int[8];
    int[] runSlot = new int[8];
    int[] runLength = new int[8];
    int runs;
    /** The row's query position, held keys and visible keys (n_t) in this step. */
    int t;
    int held;
    int n;
    /** Per run: its scores are made (by the shared kernel, for the row's own runs to skip). */
    boolean[] done = new boolean[8];
    /** Query offsets of the group's rows (the first member's). */
    final int[] qo = new int[GROUP];
    /** scoresShared's work: where run k starts in each row's scores, the rows sharing a run. */
    final int[] at = new int[GROUP];
    final int[] with = new int[GROUP];
    /** scoresLeft's pending whole runs: key bases and score offsets. */
    final int[] base = new int[4];
    final int[] wo = new int[4];
    /** The buffers of the group's other rows (member i ≥ 1), made when first needed. */
    private final Scratch[] members = new Scratch[GROUP];

    Scratch member(int i) {
      if (i == 0) return this;
      if (members[i] == null) members[i] = new Scratch(qt.length);
      return members[i];
    }

    Scratch(int dh) {
      qt = new float[dh];
      eq = new float[dh];
      kcol = new float[dh];
    }
  }

  /**
   * Attention of query token token (of steps per row) for the (row, head) pairs [from, to), pair
   * u = row · n_q + head, whose keys are already appended (the query is at the row's position − 1).
   * Rows go in groups of up to {@link #GROUP}, head by head, so that a page run several rows of a
   * group hold (a beam's common past) is read once for their scores ({@link #scoresShared}); each
   * score is one FMA chain over e whatever the grouping, so a row gets the bits of its own step.
   */
  private static void attend(AttentionConfig cfg, ScoreParams score, LayerKvCache cache, int steps, int token,
      float[] qa, float[] out, int from, int to, Scratch sc) {
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
    boolean dotScores = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.DOT;
    float[] mat = score == null || score.matrix() == null ? null : score.matrix().toArray();
    float[] vec = score == null || score.vector() == null ? null : score.vector().toArray();
    float scale = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.MULTIPLICATIVE ? (float) (1 / Math.sqrt(dh)) : 1f;
    float[] kc = cache.keys();
    float[] vc = cache.values();
    int[] qo = sc.qo;
    for (int g0 = from / nq, rEnd = to / nq; g0 < rEnd; g0 += GROUP) {
      int rows = Math.min(GROUP, rEnd - g0);
      for (int i = 0; i < rows; i++) { // each row's held keys: positions [t + 1 - held, t], as runs inside pages
        Scratch m = sc.member(i);
        int b = g0 + i;
        m.t = cache.position(b) - 1;
        m.held = cache.tokensHeld(b);
        int first = m.t + 1 - m.held;
        runs(cache, b, first, m.held, m);
        if (m.w.length < wordsFor(m.held)) m.w = new float[wordsFor(Math.max(m.held, 2 * m.w.length))];
        m.n = m.held; // n_t, the keys t sees
        if (check) {
          if (m.visible.length < m.held) m.visible = new boolean[m.w.length];
          m.n = 0;
          for (int c = 0; c < m.held; c++) {
            m.visible[c] = mask.allowed(m.t, first + c);
            if (m.visible[c]) m.n++;
          }
          if (m.n == 0) throw new IllegalArgumentException("mask " + mask.spec() + ": query " + m.t + " may see no key");
        }
      }
      for (int h = 0; h < nq; h++) {
        int kvh = h / group;
        for (int i = 0; i < rows; i++) {
          qo[i] = ((g0 + i) * steps + token) * qRow + h * dh;
          if (rope != null) rope.rotateInPlace(qa, qo[i], sc.member(i).t);
        }
        if (dotScores) scoresShared(qa, scale, kc, cache, kvh, dh, sc, rows);
        for (int i = 0; i < rows; i++) {
          Scratch m = sc.member(i);
          float[] w = m.w;
          int held = m.held;
          // scores s[c] for every held key c
          switch (f) {
            case SCALED_DOT, DOT -> { } // above, for the group
            case MULTIPLICATIVE -> { // (q^T W_s)_c = Σ_a q_a W_s[a, c]
              float[] qt = m.qt;
              java.util.Arrays.fill(qt, 0f);
              for (int a = 0; a < dh; a++) {
                float x = qa[qo[i] + a];
                for (int c = 0; c < dh; c++) qt[c] += x * mat[a * dh + c];
              }
              scores(qt, 0, scale, kc, cache, kvh, dh, m, w);
            }
            case CONCAT -> { // w_k · k_c + w_q · q
              scores(vec, 0, 1f, kc, cache, kvh, dh, m, w);
              float qPart = dot(vec, dh, qa, qo[i], dh);
              for (int c = 0; c < held; c++) w[c] += qPart;
            }
            case ADDITIVE -> { // w_s · tanh(W_k k_c + W_q q), W_s = [W_k | W_q] (d_a, 2 d_h)
              float[] eq = m.eq;
              float[] kcol = m.kcol;
              for (int r = 0; r < dh; r++) eq[r] = dot(mat, r * 2 * dh + dh, qa, qo[i], dh);
              for (int k = 0, c = 0; k < m.runs; k++) {
                int base = cache.keyBase(m.runPage[k], kvh) + m.runSlot[k];
                for (int j = 0; j < m.runLength[k]; j++, c++) {
                  for (int e = 0; e < dh; e++) kcol[e] = kc[base + e * LayerKvCache.PAGE + j];
                  double s = 0;
                  for (int r = 0; r < dh; r++) s += vec[r] * Math.tanh(dot(mat, r * 2 * dh, kcol, 0, dh) + eq[r]);
                  w[c] = (float) s;
                }
              }
            }
          }
          if (check) {
            for (int c = 0; c < held; c++) if (!m.visible[c]) w[c] = Float.NEGATIVE_INFINITY;
          }
          float norm = 1f; // the factor of the weighted sum: softmax's 1/Σ is applied to the d_h outputs
          if (cfg.normaliser() == Normaliser.SOFTMAX) {
            norm = 1f / expSum(w, held, m.lanes);
          } else {
            float inv = 1f / m.n; // relu(s) / n_t
            for (int c = 0; c < held; c++) w[c] = w[c] > 0 ? w[c] * inv : 0f;
          }
          weightedValues(w, norm, vc, cache, kvh, dh, m, out, qo[i]);
        }
      }
    }
  }

  /** Splits the held positions [first, first + held) of row into runs of consecutive slots inside one page. */
  private static void runs(LayerKvCache cache, int row, int first, int held, Scratch sc) {
    int k = 0;
    for (int c = 0, p = first; c < held; k++) {
      int slot = cache.slotOf(p);
      int at = slot % LayerKvCache.PAGE;
      int len = Math.min(LayerKvCache.PAGE - at, held - c);
      if (cache.ringSlots() > 0) len = Math.min(len, cache.ringSlots() - slot); // a ring wraps to slot 0
      if (k == sc.runPage.length) {
        sc.runPage = java.util.Arrays.copyOf(sc.runPage, 2 * k);
        sc.runSlot = java.util.Arrays.copyOf(sc.runSlot, 2 * k);
        sc.runLength = java.util.Arrays.copyOf(sc.runLength, 2 * k);
        sc.done = new boolean[2 * k];
      }
      sc.runPage[k] = cache.page(row, slot);
      sc.runSlot[k] = at;
      sc.runLength[k] = len;
      c += len;
      p += len;
    }
    sc.runs = k;
  }

  /**
   * The scaled dot-product scores of the group's rows [0, rows) (queries at sc.qo): a whole page
   * run that two or more rows hold at the same index (a beam's common past) goes through
   * {@link #scoresRows4} for up to four of them at once, each key vector loaded once; the rest row
   * by row ({@link #scores}).
   */
  private static void scoresShared(float[] q, float scale, float[] kt, LayerKvCache cache, int kvh, int dh,
      Scratch sc, int rows) {
    int[] qo = sc.qo;
    if (rows > 1) {
      int most = 0;
      for (int i = 0; i < rows; i++) {
        Scratch m = sc.member(i);
        most = Math.max(most, m.runs);
        java.util.Arrays.fill(m.done, 0, m.runs, false);
      }
      int[] at = sc.at; // where run k starts in each row's scores
      java.util.Arrays.fill(at, 0);
      int[] with = sc.with;
      for (int k = 0; k < most; k++) {
        for (int i = 0; i < rows; i++) {
          Scratch a = sc.member(i);
          if (k >= a.runs || a.done[k] || a.runLength[k] != LayerKvCache.PAGE) continue;
          int count = 0;
          with[count++] = i;
          for (int j = i + 1; j < rows; j++) {
            Scratch b = sc.member(j);
            if (k < b.runs && b.runPage[k] == a.runPage[k] && b.runSlot[k] == a.runSlot[k]
                && b.runLength[k] == LayerKvCache.PAGE) {
              with[count++] = j;
            }
          }
          if (count < 2) continue;
          for (int x = count; x < GROUP; x++) with[x] = with[count - 1]; // a repeated row writes the same bits twice
          Scratch m0 = sc.member(with[0]);
          Scratch m1 = sc.member(with[1]);
          Scratch m2 = sc.member(with[2]);
          Scratch m3 = sc.member(with[3]);
          scoresRows4(q, qo[with[0]], qo[with[1]], qo[with[2]], qo[with[3]], scale, kt,
              cache.keyBase(a.runPage[k], kvh) + a.runSlot[k], LayerKvCache.PAGE, dh,
              m0.w, at[with[0]], m1.w, at[with[1]], m2.w, at[with[2]], m3.w, at[with[3]]);
          for (int x = 0; x < count; x++) sc.member(with[x]).done[k] = true;
        }
        for (int i = 0; i < rows; i++) {
          Scratch m = sc.member(i);
          if (k < m.runs) at[i] += m.runLength[k];
        }
      }
    }
    for (int i = 0; i < rows; i++) {
      Scratch m = sc.member(i);
      scoresLeft(q, qo[i], scale, kt, cache, kvh, dh, m, m.w, rows > 1);
    }
  }

  /** Scores of the held keys in age order, run by run (keys transposed: row stride PAGE). */
  private static void scores(float[] q, int qo, float scale, float[] kt, LayerKvCache cache, int kvh, int dh,
      Scratch sc, float[] w) {
    scoresLeft(q, qo, scale, kt, cache, kvh, dh, sc, w, false);
  }

  /**
   * {@link #scores} of the runs not yet done (skip: sc.done marks the ones done): whole page runs
   * four at a time ({@link #scoresRuns4}: eight FMA chains in flight with two vectors a run), a
   * shorter run and a single whole run left on their own ({@link #scoresOf}).
   */
  private static void scoresLeft(float[] q, int qo, float scale, float[] kt, LayerKvCache cache, int kvh, int dh,
      Scratch sc, float[] w, boolean skip) {
    int[] base = sc.base;
    int[] wo = sc.wo;
    int pending = 0;
    for (int k = 0, c = 0; k < sc.runs; c += sc.runLength[k], k++) {
      if (skip && sc.done[k]) continue;
      int b = cache.keyBase(sc.runPage[k], kvh) + sc.runSlot[k];
      if (sc.runLength[k] != LayerKvCache.PAGE) {
        scoresOf(q, qo, scale, kt, b, LayerKvCache.PAGE, dh, sc.runLength[k], w, c);
        continue;
      }
      base[pending] = b;
      wo[pending++] = c;
      if (pending == 4) {
        scoresRuns4(q, qo, scale, kt, base[0], base[1], base[2], base[3], LayerKvCache.PAGE, dh, w, wo[0], wo[1],
            wo[2], wo[3]);
        pending = 0;
      }
    }
    if (pending == 1) {
      scoresOf(q, qo, scale, kt, base[0], LayerKvCache.PAGE, dh, LayerKvCache.PAGE, w, wo[0]);
    } else if (pending > 1) {
      for (int x = pending; x < 4; x++) { // a repeated run writes the same bits twice
        base[x] = base[pending - 1];
        wo[x] = wo[pending - 1];
      }
      scoresRuns4(q, qo, scale, kt, base[0], base[1], base[2], base[3], LayerKvCache.PAGE, dh, w, wo[0], wo[1],
          wo[2], wo[3]);
    }
  }

  /*
   * The score kernels. Every score is scale · (one FMA chain over e = 0 .. d_h-1 from 0), in every
   * kernel, so a row's scores have the same bits whichever kernel and which other rows or runs
   * share its registers; the kernels differ only in what shares a load: rows share key vectors
   * (scoresRows4), runs of one row share the broadcast query element (scoresRuns4).
   */

  /**
   * w[wo + c] = scale · Σ_e q[qo + e] · K_t[e][c] for c < held, K_t the transposed keys (row
   * stride stride) from base: two vectors of keys at a time (the last masked).
   */
  private static void scoresOf(float[] q, int qo, float scale, float[] kt, int base, int stride, int dh, int held,
      float[] w, int wo) {
    int l = F.length();
    for (int c = 0; c < held; c += 2 * l) {
      VectorMask<Float> m0 = F.indexInRange(c, held);
      VectorMask<Float> m1 = F.indexInRange(c + l, held);
      FloatVector a = FloatVector.zero(F), b = a;
      for (int e = 0, row = base + c; e < dh; e++, row += stride) {
        FloatVector x = FloatVector.broadcast(F, q[qo + e]);
        a = FloatVector.fromArray(F, kt, row, m0).fma(x, a);
        b = FloatVector.fromArray(F, kt, row + l, m1).fma(x, b);
      }
      a.mul(scale).intoArray(w, wo + c, m0);
      b.mul(scale).intoArray(w, wo + c + l, m1);
    }
  }

  /** {@link #scoresOf} of four whole page runs (from bases b0..b3, scores at w[o0..o3]) of one query. */
  private static void scoresRuns4(float[] q, int qo, float scale, float[] kt, int b0, int b1, int b2, int b3,
      int stride, int dh, float[] w, int o0, int o1, int o2, int o3) {
    int l = F.length();
    for (int c = 0; c < LayerKvCache.PAGE; c += 2 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
      for (int e = 0, row = c; e < dh; e++, row += stride) {
        FloatVector x = FloatVector.broadcast(F, q[qo + e]);
        a0 = FloatVector.fromArray(F, kt, b0 + row).fma(x, a0);
        c0 = FloatVector.fromArray(F, kt, b0 + row + l).fma(x, c0);
        a1 = FloatVector.fromArray(F, kt, b1 + row).fma(x, a1);
        c1 = FloatVector.fromArray(F, kt, b1 + row + l).fma(x, c1);
        a2 = FloatVector.fromArray(F, kt, b2 + row).fma(x, a2);
        c2 = FloatVector.fromArray(F, kt, b2 + row + l).fma(x, c2);
        a3 = FloatVector.fromArray(F, kt, b3 + row).fma(x, a3);
        c3 = FloatVector.fromArray(F, kt, b3 + row + l).fma(x, c3);
      }
      a0.mul(scale).intoArray(w, o0 + c);
      c0.mul(scale).intoArray(w, o0 + c + l);
      a1.mul(scale).intoArray(w, o1 + c);
      c1.mul(scale).intoArray(w, o1 + c + l);
      a2.mul(scale).intoArray(w, o2 + c);
      c2.mul(scale).intoArray(w, o2 + c + l);
      a3.mul(scale).intoArray(w, o3 + c);
      c3.mul(scale).intoArray(w, o3 + c + l);
    }
  }

  /**
   * {@link #scoresOf} of four queries (q0..q3, scores at w0[o0..] .. w3[o3..]) over one whole page
   * run from base: each key vector loaded once feeds the four.
   */
  private static void scoresRows4(float[] q, int q0, int q1, int q2, int q3, float scale, float[] kt, int base,
      int stride, int dh, float[] w0, int o0, float[] w1, int o1, float[] w2, int o2, float[] w3, int o3) {
    int l = F.length();
    for (int c = 0; c < LayerKvCache.PAGE; c += 2 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;
      for (int e = 0, row = base + c; e < dh; e++, row += stride) {
        FloatVector k0 = FloatVector.fromArray(F, kt, row);
        FloatVector k1 = FloatVector.fromArray(F, kt, row + l);
        FloatVector x0 = FloatVector.broadcast(F, q[q0 + e]);
        FloatVector x1 = FloatVector.broadcast(F, q[q1 + e]);
        FloatVector x2 = FloatVector.broadcast(F, q[q2 + e]);
        FloatVector x3 = FloatVector.broadcast(F, q[q3 + e]);
        a0 = k0.fma(x0, a0);
        c0 = k1.fma(x0, c0);
        a1 = k0.fma(x1, a1);
        c1 = k1.fma(x1, c1);
        a2 = k0.fma(x2, a2);
        c2 = k1.fma(x2, c2);
        a3 = k0.fma(x3, a3);
        c3 = k1.fma(x3, c3);
      }
      a0.mul(scale).intoArray(w0, o0 + c);
      c0.mul(scale).intoArray(w0, o0 + c + l);
      a1.mul(scale).intoArray(w1, o1 + c);
      c1.mul(scale).intoArray(w1, o1 + c + l);
      a2.mul(scale).intoArray(w2, o2 + c);
      c2.mul(scale).intoArray(w2, o2 + c + l);
      a3.mul(scale).intoArray(w3, o3 + c);
      c3.mul(scale).intoArray(w3, o3 + c + l);
    }
  }

  /**
   * out[oo, oo + dh) = norm · Σ_c w[c] · V[c] over the held keys in age order (run by run, value
   * rows of dh), two vectors of elements at a time, each summed in four chains (keys in turn)
   * combined at the end: eight FMA chains in flight, where one chain per vector would wait on the
   * FMA latency at every key. norm is softmax's 1/Σ (the weights come unnormalised): d_h products
   * instead of a pass over the T weights, and the sum of the exponentials is not on the path from
   * the scores to the value sums.
   */
  private static void weightedValues(float[] w, float norm, float[] v, LayerKvCache cache, int kvh, int dh, Scratch sc,
      float[] out, int oo) {
    int l = F.length();
    int e = 0;
    for (; e + 2 * l <= dh; e += 2 * l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (int k = 0, c = 0; k < sc.runs; k++) {
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
      a0.add(a1).add(a2.add(a3)).mul(norm).intoArray(out, oo + e);
      b0.add(b1).add(b2.add(b3)).mul(norm).intoArray(out, oo + e + l);
    }
    for (; e + l <= dh; e += l) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int k = 0, c = 0; k < sc.runs; k++) {
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
      a0.add(a1).add(a2.add(a3)).mul(norm).intoArray(out, oo + e);
    }
    for (; e < dh; e++) {
      float acc = 0f;
      for (int k = 0, c = 0; k < sc.runs; k++) {
        int row = cache.valueBase(sc.runPage[k], kvh) + sc.runSlot[k] * dh + e;
        for (int j = 0; j < sc.runLength[k]; j++, c++, row += dh) acc += w[c] * v[row];
      }
      out[oo + e] = acc * norm;
    }
  }

  /**
   * In place over w[0, n): exp(w - max), returning Σ (the caller scales the weighted values by
   * 1/Σ); -inf entries become 0 (the exponential rounds to 0 below -104). w holds n rounded up to
   * whole vectors ({@link #wordsFor}): the last partial vector is padded with -inf, whose
   * exponential is 0, so every pass is one whole-vector loop. A masked tail would be a second copy
   * of the exponential in this method, and C2 stops inlining at its node budget: it left that copy
   * (and Lanes.sum) as calls, boxing their vectors at every head. The sum is Lanes.sum's tree over
   * the lanes, done on lanes[] for the same reason.
   */
  private static float expSum(float[] w, int n, float[] lanes) {
    int l = F.length();
    int end = wordsFor(n);
    java.util.Arrays.fill(w, n, end, Float.NEGATIVE_INFINITY);
    FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    for (int c = 0; c < end; c += l) mv = mv.max(FloatVector.fromArray(F, w, c));
    float max = mv.reduceLanes(VectorOperators.MAX);
    FloatVector acc = FloatVector.zero(F);
    for (int c = 0; c < end; c += l) {
      FloatVector e = Lanes.exp(FloatVector.fromArray(F, w, c).sub(max));
      e.intoArray(w, c);
      acc = acc.add(e);
    }
    acc.intoArray(lanes, 0);
    for (int k = l >> 1; k >= 1; k >>= 1) for (int i = 0; i < k; i++) lanes[i] += lanes[i + k]; // lane i += lane i ^ k
    return lanes[0];
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
