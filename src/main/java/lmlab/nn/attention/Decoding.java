package lmlab.nn.attention;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.tensor.Tensor;

/**
 * The incremental (KV-cache) attention step of one layer, on plain arrays: for each row and each
 * of its new tokens in order, rotate its query and key at the token's absolute position (the
 * row's own), append its key and value to the row's cache, and attend over the cached keys the
 * mask lets it see. No autograd.
 *
 * <p>Per query head the scores over every held key are d_h AXPYs over the cache's transposed keys
 * (vectorised across keys, no horizontal sums), the normaliser runs on that row, and the output is
 * a sum over keys of d_h-wide value rows, both accumulated in registers. The cache holds only keys the mask may still show
 * (all of them visible for causal, sliding and block_local; every δ-th for dilated).
 */
public final class Decoding {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

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
   */
  public static void step(AttentionConfig cfg, ScoreParams score, int batch, int steps, float[] qa, float[] ka,
      float[] va, LayerKvCache cache, float[] out) {
    int nq = cfg.numHeads();
    int nkv = cfg.numKvHeads();
    int group = cfg.groupSize();
    int dh = cfg.headDim();
    if (qa.length < batch * steps * nq * dh || ka.length < batch * steps * nkv * dh
        || va.length < batch * steps * nkv * dh || out.length < batch * steps * nq * dh) {
      throw new IllegalArgumentException("Decoding.step: arrays too short for B = " + batch + ", T = " + steps
          + ", n_q = " + nq + ", n_kv = " + nkv + ", d_h = " + dh);
    }
    cache.ensureBatch(batch);
    AttentionMask mask = cfg.mask();
    // causal, sliding and block_local caches hold only visible keys; dilated and custom need a check
    boolean check = !(mask instanceof AttentionMask.Causal || mask instanceof AttentionMask.Sliding
        || mask instanceof AttentionMask.BlockLocal);
    Rope rope = cfg.rope();
    ScoreFunction f = cfg.score();
    float[] mat = score == null || score.matrix() == null ? null : score.matrix().toArray();
    float[] vec = score == null || score.vector() == null ? null : score.vector().toArray();
    float scale = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.MULTIPLICATIVE ? (float) (1 / Math.sqrt(dh)) : 1f;
    float[] qt = cache.scratch(0, dh);
    float[] eq = cache.scratch(1, dh);
    float[] kcol = cache.scratch(2, dh);
    int qRow = nq * dh;
    int kvRow = nkv * dh;
    float[] w = cache.scratch(3, 64);
    boolean[] visible = new boolean[w.length];
    // rows are independent and each may be at its own position: row by row, its tokens in order
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < steps; i++) {
        int t = cache.position(b);
        int qBase = (b * steps + i) * qRow;
        int kvBase = (b * steps + i) * kvRow;
        if (rope != null) {
          for (int h = 0; h < nq; h++) rope.rotateInPlace(qa, qBase + h * dh, t);
          for (int h = 0; h < nkv; h++) rope.rotateInPlace(ka, kvBase + h * dh, t);
        }
        cache.appendRow(b, ka, kvBase, va, kvBase);
        int held = cache.tokensHeld(b);
        int slots = cache.slots();
        int first = t + 1 - held; //                       the oldest held position, at slot s0
        int s0 = cache.slotOf(first);
        int n1 = Math.min(held, slots - s0); //          slots [s0, s0 + n1), then [0, held - n1) when a ring wraps
        int n2 = held - n1;
        if (w.length < held) w = cache.scratch(3, Math.max(held, 2 * w.length));
        if (check && visible.length < held) visible = new boolean[w.length];
        int n = held; // n_t, the keys t sees
        if (check) {
          n = 0;
          for (int c = 0; c < held; c++) {
            visible[c] = mask.allowed(t, first + c);
            if (visible[c]) n++;
          }
          if (n == 0) throw new IllegalArgumentException("mask " + mask.spec() + ": query " + t + " may see no key");
        }
        float[] kc = cache.keys();
        float[] vc = cache.values();
        for (int h = 0; h < nq; h++) {
          int base = cache.base(b, h / group);
          int qo = qBase + h * dh;
          // scores s[c] for every held slot c
          switch (f) {
            case SCALED_DOT, DOT -> scores(qa, qo, scale, kc, base, s0, n1, n2, slots, dh, w);
            case MULTIPLICATIVE -> { // (q^T W_s)_c = Σ_a q_a W_s[a, c]
              java.util.Arrays.fill(qt, 0f);
              for (int a = 0; a < dh; a++) {
                float x = qa[qo + a];
                for (int c = 0; c < dh; c++) qt[c] += x * mat[a * dh + c];
              }
              scores(qt, 0, scale, kc, base, s0, n1, n2, slots, dh, w);
            }
            case CONCAT -> { // w_k · k_c + w_q · q
              scores(vec, 0, 1f, kc, base, s0, n1, n2, slots, dh, w);
              float qPart = dot(vec, dh, qa, qo, dh);
              for (int c = 0; c < held; c++) w[c] += qPart;
            }
            case ADDITIVE -> { // w_s · tanh(W_k k_c + W_q q), W_s = [W_k | W_q] (d_a, 2 d_h)
              for (int r = 0; r < dh; r++) eq[r] = dot(mat, r * 2 * dh + dh, qa, qo, dh);
              for (int c = 0; c < held; c++) {
                int slot = c < n1 ? s0 + c : c - n1;
                for (int e = 0; e < dh; e++) kcol[e] = kc[base + e * slots + slot];
                double s = 0;
                for (int r = 0; r < dh; r++) s += vec[r] * Math.tanh(dot(mat, r * 2 * dh, kcol, 0, dh) + eq[r]);
                w[c] = (float) s;
              }
            }
          }
          if (check) {
            for (int c = 0; c < held; c++) if (!visible[c]) w[c] = Float.NEGATIVE_INFINITY;
          }
          if (cfg.normaliser() == Normaliser.SOFTMAX) {
            softmax(w, held);
          } else {
            float inv = 1f / n; // relu(s) / n_t
            for (int c = 0; c < held; c++) w[c] = w[c] > 0 ? w[c] * inv : 0f;
          }
          weightedValues(w, 0, n1, vc, base + s0 * dh, dh, out, qo, false);
          if (n2 > 0) weightedValues(w, n1, n2, vc, base, dh, out, qo, true);
        }
      }
    }
  }

  /**
   * w[c] = scale · Σ_e q[e] · K_t[e][c] for c < held, K_t the transposed keys (row stride slots):
   * blocks of keys accumulate in registers across e, two blocks at a time.
   */
  /** Scores of the held keys in age order: slots [s0, s0 + n1) then [0, n2) (a ring that wraps). */
  private static void scores(float[] q, int qo, float scale, float[] kt, int base, int s0, int n1, int n2, int slots,
      int dh, float[] w) {
    scoresOf(q, qo, scale, kt, base + s0, slots, dh, n1, w, 0);
    if (n2 > 0) scoresOf(q, qo, scale, kt, base, slots, dh, n2, w, n1);
  }

  private static void scoresOf(float[] q, int qo, float scale, float[] kt, int base, int slots, int dh, int held,
      float[] w, int wo) {
    int l = F.length();
    int c = 0;
    for (; c + 2 * l <= held; c += 2 * l) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      for (int e = 0, row = base + c; e < dh; e++, row += slots) {
        FloatVector x = FloatVector.broadcast(F, q[qo + e]);
        a0 = FloatVector.fromArray(F, kt, row).fma(x, a0);
        a1 = FloatVector.fromArray(F, kt, row + l).fma(x, a1);
      }
      a0.mul(scale).intoArray(w, wo + c);
      a1.mul(scale).intoArray(w, wo + c + l);
    }
    for (; c + l <= held; c += l) {
      FloatVector a0 = FloatVector.zero(F);
      for (int e = 0, row = base + c; e < dh; e++, row += slots) {
        a0 = FloatVector.fromArray(F, kt, row).fma(FloatVector.broadcast(F, q[qo + e]), a0);
      }
      a0.mul(scale).intoArray(w, wo + c);
    }
    for (; c < held; c++) {
      float acc = 0f;
      for (int e = 0, row = base + c; e < dh; e++, row += slots) acc += q[qo + e] * kt[row];
      w[wo + c] = acc * scale;
    }
  }

  /**
   * out[oo, oo + dh) = Σ_c w[wo + c] · V[c] over c < held (V rows of dh), accumulated in registers;
   * stored, or added to out with add (the second segment of a wrapped ring).
   */
  private static void weightedValues(float[] w, int wo, int held, float[] v, int base, int dh, float[] out, int oo,
      boolean add) {
    int l = F.length();
    int e = 0;
    for (; e + 2 * l <= dh; e += 2 * l) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      for (int c = 0, row = base + e; c < held; c++, row += dh) {
        float wc = w[wo + c];
        if (wc == 0f) continue;
        FloatVector x = FloatVector.broadcast(F, wc);
        a0 = FloatVector.fromArray(F, v, row).fma(x, a0);
        a1 = FloatVector.fromArray(F, v, row + l).fma(x, a1);
      }
      if (add) {
        a0 = a0.add(FloatVector.fromArray(F, out, oo + e));
        a1 = a1.add(FloatVector.fromArray(F, out, oo + e + l));
      }
      a0.intoArray(out, oo + e);
      a1.intoArray(out, oo + e + l);
    }
    for (; e + l <= dh; e += l) {
      FloatVector a0 = FloatVector.zero(F);
      for (int c = 0, row = base + e; c < held; c++, row += dh) {
        if (w[wo + c] != 0f) a0 = FloatVector.fromArray(F, v, row).fma(FloatVector.broadcast(F, w[wo + c]), a0);
      }
      if (add) a0 = a0.add(FloatVector.fromArray(F, out, oo + e));
      a0.intoArray(out, oo + e);
    }
    for (; e < dh; e++) {
      float acc = 0f;
      for (int c = 0, row = base + e; c < held; c++, row += dh) acc += w[wo + c] * v[row];
      out[oo + e] = add ? out[oo + e] + acc : acc;
    }
  }

  /** In place over w[0, n): exp(w - max) / Σ; -inf entries become 0. */
  private static void softmax(float[] w, int n) {
    int bound = F.loopBound(n);
    int c = 0;
    float max = Float.NEGATIVE_INFINITY;
    if (bound > 0) {
      FloatVector mv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
      for (; c < bound; c += F.length()) mv = mv.max(FloatVector.fromArray(F, w, c));
      max = mv.reduceLanes(VectorOperators.MAX);
    }
    for (; c < n; c++) max = Math.max(max, w[c]);
    float sum = 0;
    c = 0;
    if (bound > 0) {
      FloatVector acc = FloatVector.zero(F);
      for (; c < bound; c += F.length()) {
        FloatVector e = Lanes.exp(FloatVector.fromArray(F, w, c).sub(max));
        e.intoArray(w, c);
        acc = acc.add(e);
      }
      sum = Lanes.sum(acc);
    }
    for (; c < n; c++) {
      float e = w[c] == Float.NEGATIVE_INFINITY ? 0f : Lanes.exp(w[c] - max);
      w[c] = e;
      sum += e;
    }
    float inv = 1f / sum;
    for (c = 0; c < n; c++) w[c] = w[c] == 0f ? 0f : w[c] * inv;
  }

  private static float dot(float[] a, int ao, float[] b, int bo, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
    return s;
  }
}
