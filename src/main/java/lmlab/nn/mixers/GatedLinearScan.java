package lmlab.nn.mixers;

import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Gemm;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.nn.RecurrentOps;
import lmlab.tensor.Arena;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The gated linear recurrence under GLA, ReGLA and Mamba-2's SSD (mixers.md), per batch row and
 * head, with a state S of (d_k, d_v) and a per-key-channel decay:
 *
 * <pre>
 *   S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T        g_t = log α_t <= 0, S_0 = h0 (or 0)
 *   o_t = scale · S_t^T q_t
 * </pre>
 *
 * This is fla's {@code naive_recurrent_gla}. SSD is the same recurrence with S = h^T, q = C,
 * k = B, v = Δ·x and g = Δ·A on every key channel (Dao and Gu 2024, section 6).
 *
 * <p>{@link #recurrent} runs it token by token on ordinary tensor ops (autograd records every
 * step); {@link #chunked} computes the same outputs and final state from chunks of L tokens with
 * a hand-written backward (Yang et al. 2023, section 4; fla's {@code chunk_gla}). Within a chunk,
 * b_t = Σ_{u <= t} g_u (from the chunk's first token), S_prev the state before the chunk:
 *
 * <pre>
 *   P[t, s] = Σ_i q_t[i] k_s[i] exp(b_t[i] - b_s[i])   for s <= t (0 above the diagonal)
 *   o_t     = scale · [ (q_t ⊙ exp(b_t))^T S_prev + Σ_s P[t, s] v_s ]
 *   S_next  = diag(exp(b_L)) S_prev + Σ_s (k_s ⊙ exp(b_L - b_s)) v_s^T
 * </pre>
 *
 * P never multiplies exp(b_t) by exp(-b_s), which overflows once a chunk's decay passes e^-88
 * (mixers.md). Within the chunk, queries are cut into sub-blocks of {@link #SUB} tokens (fla's
 * secondary chunking): a sub-block starting at token i0 sees earlier keys through the reference
 * point r = i0 - 1, {@code P[t, s] = (q_t ⊙ exp(b_t - b_r)) · (k_s ⊙ exp(b_r - b_s))} with both
 * exponents <= 0, one GEMM per sub-block; only the pairs inside a sub-block take the pairwise
 * exponent. The products with S_prev, with V and the state update are GEMMs too.
 */
public final class GatedLinearScan {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** Query sub-block length within a chunk. */
  static final int SUB = 16;

  private GatedLinearScan() {}

  /** The outputs o (B, S, H, d_v) and the state after the last token, (B, H, d_k, d_v). */
  public record Result(Tensor out, Tensor state) {}

  /**
   * The recurrence as ordinary autograd ops, one token at a time: the reference for the chunked
   * kernel and the "recurrent form with autograd" of the training bench.
   *
   * @param q queries (B, S, H, d_k); k keys and g log decays of the same shape; v values (B, S, H, d_v)
   * @param h0 the state before the first token (B, H, d_k, d_v), or null for zeros
   */
  public static Result recurrent(Tensor q, Tensor k, Tensor v, Tensor g, Tensor h0, float scale) {
    int[] d = check(q, k, v, g, h0);
    int b = d[0], steps = d[1], h = d[2], dk = d[3], dv = d[4];
    List<Tensor> qs = RecurrentOps.unbindTime(q.mul(scale).reshape(b, steps, h * dk));
    List<Tensor> ks = RecurrentOps.unbindTime(k.reshape(b, steps, h * dk));
    List<Tensor> vs = RecurrentOps.unbindTime(v.reshape(b, steps, h * dv));
    List<Tensor> as = RecurrentOps.unbindTime(g.reshape(b, steps, h * dk).exp());
    Tensor state = h0 != null ? h0 : Tensor.zeros(b, h, dk, dv);
    List<Tensor> outs = new ArrayList<>(steps);
    for (int t = 0; t < steps; t++) {
      Tensor kt = ks.get(t).reshape(b, h, dk, 1);
      Tensor vt = vs.get(t).reshape(b, h, 1, dv);
      state = state.mul(as.get(t).reshape(b, h, dk, 1)).add(kt.mul(vt)); // S_t = diag(α_t) S_{t-1} + k_t v_tᵀ
      outs.add(qs.get(t).reshape(b, h, 1, dk).matmul(state).reshape(b, h, dv)); // o_t = scale · S_tᵀ q_t
    }
    return new Result(Tensor.stack(outs, 1), state);
  }

  /**
   * One token of the recurrent form for one head on arrays, in place on the state (decoding):
   * {@code S[i, j] = α[i] · S[i, j] + k[i] · v[j]}, then {@code o[j] = scale · Σ_i q[i] · S[i, j]}.
   * S is (d_k, d_v) row-major from so; q, k, α (d_k) and v, o (d_v) from their offsets.
   */
  public static void step(float[] s, int so, float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] a, int ao,
      float scale, float[] o, int oo, int dk, int dv) {
    java.util.Arrays.fill(o, oo, oo + dv, 0f);
    for (int i = 0; i < dk; i++) {
      float ai = a[ao + i], ki = k[ko + i], qi = scale * q[qo + i];
      int row = so + i * dv;
      int j = 0;
      FloatVector av = FloatVector.broadcast(F, ai), kv = FloatVector.broadcast(F, ki), qv = FloatVector.broadcast(F, qi);
      for (int up = F.loopBound(dv); j < up; j += F.length()) {
        FloatVector sv = FloatVector.fromArray(F, s, row + j).mul(av).add(FloatVector.fromArray(F, v, vo + j).mul(kv));
        sv.intoArray(s, row + j);
        FloatVector.fromArray(F, o, oo + j).add(sv.mul(qv)).intoArray(o, oo + j);
      }
      for (; j < dv; j++) {
        float sv = ai * s[row + j] + ki * v[vo + j];
        s[row + j] = sv;
        o[oo + j] += qi * sv;
      }
    }
  }

  /**
   * The chunked form with chunks of {@code chunk} tokens (the last one shorter); same arguments
   * and results as {@link #recurrent}. Differentiable in every input.
   */
  public static Result chunked(Tensor q, Tensor k, Tensor v, Tensor g, Tensor h0, float scale, int chunk) {
    int[] d = check(q, k, v, g, h0);
    if (chunk < 1) throw new IllegalArgumentException("GatedLinearScan: chunk length must be >= 1, got " + chunk);
    int b = d[0], steps = d[1], h = d[2], dk = d[3], dv = d[4];
    Problem p = new Problem(b, steps, h, dk, dv, Math.min(chunk, steps), scale);
    Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous(), gc = g.contiguous();
    Tensor hc = h0 == null ? null : h0.contiguous();
    int nOut = b * steps * h * dv;
    int nState = b * h * dk * dv;
    Tensor packed = Arena.zeros(nOut + nState);
    float[] saved = Arena.scratch(b * h * p.chunks * dk * dv); // S_prev of every chunk, for backward
    Parallel.forEachDynamic(b * h, bh -> p.forward(bh, qc, kc, vc, gc, hc, packed, saved));
    Tensor[] inputs = hc == null ? new Tensor[] {qc, kc, vc, gc} : new Tensor[] {qc, kc, vc, gc, hc};
    Autograd.record("gated_linear_scan", packed, grad -> {
      Tensor gp = grad.contiguous();
      Tensor dq = Arena.zeros(qc.shape()), dkk = Arena.zeros(kc.shape()), dvv = Arena.zeros(vc.shape());
      Tensor dg = Arena.zeros(gc.shape()), dh0 = Arena.zeros(b, h, dk, dv);
      Parallel.forEachDynamic(b * h, bh -> p.backward(bh, qc, kc, vc, gc, gp, saved, dq, dkk, dvv, dg, dh0));
      return hc == null ? new Tensor[] {dq, dkk, dvv, dg} : new Tensor[] {dq, dkk, dvv, dg, dh0};
    }, inputs);
    Tensor out = packed.narrow(0, 0, nOut).view(b, steps, h, dv);
    Tensor state = packed.narrow(0, nOut, nState).view(b, h, dk, dv);
    return new Result(out, state);
  }

  private static int[] check(Tensor q, Tensor k, Tensor v, Tensor g, Tensor h0) {
    int[] s = q.shape();
    if (s.length != 4) throw new IllegalArgumentException("GatedLinearScan: q must be (B, S, H, d_k), got " + Shape.str(s));
    if (!Shape.same(k.shape(), s) || !Shape.same(g.shape(), s)) {
      throw new IllegalArgumentException("GatedLinearScan: k and the log decays must have q's shape " + Shape.str(s)
          + ", got " + Shape.str(k.shape()) + " and " + Shape.str(g.shape()));
    }
    int[] vsh = v.shape();
    if (vsh.length != 4 || vsh[0] != s[0] || vsh[1] != s[1] || vsh[2] != s[2]) {
      throw new IllegalArgumentException("GatedLinearScan: v must be (" + s[0] + ", " + s[1] + ", " + s[2]
          + ", d_v), got " + Shape.str(vsh));
    }
    if (s[1] < 1) throw new IllegalArgumentException("GatedLinearScan: the sequence is empty (S = 0)");
    if (h0 != null && !Shape.same(h0.shape(), new int[] {s[0], s[2], s[3], vsh[3]})) {
      throw new IllegalArgumentException("GatedLinearScan: the initial state must be (" + s[0] + ", " + s[2] + ", "
          + s[3] + ", " + vsh[3] + "), got " + Shape.str(h0.shape()));
    }
    return new int[] {s[0], s[1], s[2], s[3], vsh[3]};
  }

  /** Sizes of one call, and the per-(batch row, head) forward and backward. */
  private record Problem(int b, int steps, int h, int dk, int dv, int chunk, float scale, int chunks) {
    Problem(int b, int steps, int h, int dk, int dv, int chunk, float scale) {
      this(b, steps, h, dk, dv, chunk, scale, (steps + chunk - 1) / chunk);
    }

    /**
     * The scratch of one (batch row, head), made once and reused by every chunk: a chunk's decays,
     * scaled queries, keys and P, for up to {@code chunk} tokens (the last chunk may be shorter;
     * its arrays use its own length as row stride).
     */
    private final class Chunk {
      int len;
      final float[] bT; // (d_k, L) cumulative log decay b, transposed so pairs run along s
      final float[] kT; // (d_k, L) keys, transposed
      final float[] qs; // (L, d_k) scale · q
      final float[] qt; // (L, d_k) Q̃ = scale · q ⊙ exp(b)
      final float[] kh; // (L, d_k) K̂ = k ⊙ exp(b_L - b)
      final float[] pm; // (L, L) P (scale included), zero above the diagonal
      final float[] decayL; // (d_k) exp(b_L)
      final float[] qr; // (SUB, d_k) a query sub-block referenced to r = i0 - 1
      final float[] kr; // (L, d_k) the keys before it, referenced to r

      Chunk() {
        bT = new float[dk * chunk];
        kT = new float[dk * chunk];
        qs = new float[chunk * dk];
        qt = new float[chunk * dk];
        kh = new float[chunk * dk];
        pm = new float[chunk * chunk];
        decayL = new float[dk];
        qr = new float[SUB * dk];
        kr = new float[chunk * dk];
      }

      /**
       * Fills every array for the len tokens [t0, t0 + len) of one head; rel is the index of (token
       * t0, head h, channel 0) in q, k and g, each read at its own storage offset.
       */
      void load(Tensor qT, Tensor kT0, Tensor gT, int rel, int len) {
        this.len = len;
        int rs = h * dk;
        float[] q = qT.storage(), k = kT0.storage(), g = gT.storage();
        int qb = qT.offset() + rel, kb = kT0.offset() + rel, gb = gT.offset() + rel;
        for (int i = 0; i < dk; i++) {
          float acc = 0;
          for (int s = 0; s < len; s++) {
            acc += g[gb + s * rs + i]; // b_s = Σ_{u <= s} g_u
            bT[i * len + s] = acc;
            kT[i * len + s] = k[kb + s * rs + i];
          }
          decayL[i] = Lanes.exp(acc);
        }
        java.util.Arrays.fill(pm, 0, len * len, 0f);
        for (int t = 0; t < len; t++) {
          int i0 = t - t % SUB;
          for (int i = 0; i < dk; i++) {
            float bt = bT[i * len + t];
            float qv = scale * q[qb + t * rs + i];
            qs[t * dk + i] = qv;
            qt[t * dk + i] = qv * Lanes.exp(bt);
            kh[t * dk + i] = kT[i * len + t] * Lanes.exp(bT[i * len + len - 1] - bt);
            pairRow(pm, t * len, qv, bt, i, i0, t + 1);
          }
        }
        for (int i0 = SUB; i0 < len; i0 += SUB) {
          int rows = Math.min(SUB, len - i0);
          referenced(i0, rows, qr, kr);
          // P[i0.., 0..i0) = Q̃_r K̃_rᵀ
          Gemm.sgemm(false, true, rows, i0, dk, qr, 0, dk, kr, 0, dk, pm, i0 * len, len, false);
        }
      }

      /**
       * For the sub-block of queries [i0, i0 + rows) and the keys before it, reference r = i0 - 1:
       * qr = qs_t ⊙ exp(b_t - b_r) (rows × d_k), kr = k_s ⊙ exp(b_r - b_s) (i0 × d_k).
       */
      void referenced(int i0, int rows, float[] qr, float[] kr) {
        for (int i = 0; i < dk; i++) {
          float br = bT[i * len + i0 - 1];
          for (int t = 0; t < rows; t++) qr[t * dk + i] = qs[(i0 + t) * dk + i] * Lanes.exp(bT[i * len + i0 + t] - br);
          for (int s = 0; s < i0; s++) kr[s * dk + i] = kT[i * len + s] * Lanes.exp(br - bT[i * len + s]);
        }
      }

      /**
       * P[t, s] += qv · k_s[i] · exp(b_t[i] - b_s[i]) for from <= s < n: whole vectors, the last
       * one masked to s < n (a sub-block row is shorter than two vectors, so a scalar tail would
       * take most of the exps).
       */
      private void pairRow(float[] p, int row, float qv, float bt, int i, int from, int n) {
        int off = i * len;
        FloatVector qb = FloatVector.broadcast(F, qv);
        for (int s = from; s < n; s += F.length()) {
          VectorMask<Float> m = F.indexInRange(s, n);
          FloatVector e = Lanes.exp(FloatVector.fromArray(F, bT, off + s, m).neg().add(bt));
          FloatVector.fromArray(F, kT, off + s, m).mul(e).fma(qb, FloatVector.fromArray(F, p, row + s, m))
              .intoArray(p, row + s, m);
        }
      }
    }

    void forward(int bh, Tensor qT, Tensor kTn, Tensor vT, Tensor gT, Tensor h0, Tensor packed, float[] saved) {
      int bi = bh / h, hi = bh % h;
      float[] v = vT.storage();
      float[] out = packed.storage();
      int stateSize = dk * dv;
      float[] st = new float[stateSize];
      if (h0 != null) System.arraycopy(h0.storage(), h0.offset() + bh * stateSize, st, 0, stateSize);
      int ks = h * dk, vs = h * dv;
      Chunk ch = new Chunk();
      for (int c = 0; c < chunks; c++) {
        int t0 = c * chunk;
        int len = Math.min(chunk, steps - t0);
        System.arraycopy(st, 0, saved, (bh * chunks + c) * stateSize, stateSize);
        ch.load(qT, kTn, gT, (bi * steps + t0) * ks + hi * dk, len);
        int vBase = vT.offset() + (bi * steps + t0) * vs + hi * dv;
        int oBase = (bi * steps + t0) * vs + hi * dv;
        // o = Q̃ S_prev + P V   (both with the scale already in Q̃ and P)
        Gemm.sgemm(false, false, len, dv, dk, ch.qt, 0, dk, st, 0, dv, out, oBase, vs, false);
        Gemm.sgemm(false, false, len, dv, len, ch.pm, 0, len, v, vBase, vs, out, oBase, vs, true);
        // S_next = diag(exp(b_L)) S_prev + K̂ᵀ V
        for (int i = 0; i < dk; i++) {
          float a = ch.decayL[i];
          for (int j = 0; j < dv; j++) st[i * dv + j] *= a;
        }
        Gemm.sgemm(true, false, dk, dv, len, ch.kh, 0, dk, v, vBase, vs, st, 0, dv, true);
      }
      int sOff = b * steps * h * dv + bh * stateSize;
      System.arraycopy(st, 0, out, sOff, stateSize);
    }

    /**
     * Chunks in reverse with dS the gradient of the state after the chunk (dh_n for the last):
     *
     * <pre>
     *   dP    = dO Vᵀ (s <= t)                dV = Pᵀ dO + K̂ dS
     *   dQ̃    = dO S_prevᵀ                    dK̂ = V dSᵀ
     *   dqs_t = dQ̃_t ⊙ exp(b_t) + Σ_s dP[t, s] k_s ⊙ exp(b_t - b_s)        (qs = scale · q)
     *   dk_s  = dK̂_s ⊙ exp(b_L - b_s) + Σ_t dP[t, s] qs_t ⊙ exp(b_t - b_s)
     *   db_t  = qs_t ⊙ dqs_t - k_t ⊙ dk_t,  and at t = L also
     *           + Σ_s K̂_s ⊙ dK̂_s + exp(b_L) ⊙ rowsum(dS ⊙ S_prev)
     *   dg_u  = Σ_{t >= u in the chunk} db_t
     *   dS_prev = Q̃ᵀ dO + diag(exp(b_L)) dS
     * </pre>
     */
    void backward(int bh, Tensor qT, Tensor kTn, Tensor vT, Tensor gT, Tensor gp, float[] saved,
        Tensor dqT, Tensor dkT, Tensor dvT, Tensor dgT, Tensor dh0T) {
      int bi = bh / h, hi = bh % h;
      float[] v = vT.storage();
      float[] gr = gp.storage();
      float[] dq = dqT.storage(), dk = dkT.storage(), dvv = dvT.storage(), dg = dgT.storage();
      int stateSize = this.dk * dv;
      int ks = h * this.dk, vs = h * dv;
      float[] dS = new float[stateSize];
      System.arraycopy(gr, gp.offset() + b * steps * h * dv + bh * stateSize, dS, 0, stateSize);
      int n = this.dk;
      // the work arrays of every chunk, made once (a chunk of len tokens uses len as row stride)
      Chunk ch = new Chunk();
      float[] dP = new float[chunk * chunk];
      float[] dQt = new float[chunk * n];
      float[] dKh = new float[chunk * n];
      float[] dqs = new float[chunk * n];
      float[] dkPT = new float[n * chunk];
      float[] dqr = new float[SUB * n];
      float[] dkr = new float[chunk * n];
      float[] db = new float[n];
      float[] carry = new float[n]; // Σ_{t >= u} db_t, walking u down
      float[] dbL = new float[n];
      for (int c = chunks - 1; c >= 0; c--) {
        int t0 = c * chunk;
        int len = Math.min(chunk, steps - t0);
        int sp = (bh * chunks + c) * stateSize; // S_prev in saved
        ch.load(qT, kTn, gT, (bi * steps + t0) * ks + hi * n, len);
        int vBase = vT.offset() + (bi * steps + t0) * vs + hi * dv;
        int oBase = gp.offset() + (bi * steps + t0) * vs + hi * dv;
        int gBase = (bi * steps + t0) * ks + hi * n; // offsets into the fresh gradient tensors
        int dvBase = (bi * steps + t0) * vs + hi * dv;
        // dP = dO Vᵀ, then only s <= t is kept
        Gemm.sgemm(false, true, len, len, dv, gr, oBase, vs, v, vBase, vs, dP, 0, len, false);
        // dV = Pᵀ dO + K̂ dS
        Gemm.sgemm(true, false, len, dv, len, ch.pm, 0, len, gr, oBase, vs, dvv, dvBase, vs, false);
        Gemm.sgemm(false, false, len, dv, n, ch.kh, 0, n, dS, 0, dv, dvv, dvBase, vs, true);
        // dQ̃ = dO S_prevᵀ, dK̂ = V dSᵀ
        Gemm.sgemm(false, true, len, n, dv, gr, oBase, vs, saved, sp, dv, dQt, 0, n, false);
        Gemm.sgemm(false, true, len, n, dv, v, vBase, vs, dS, 0, dv, dKh, 0, n, false);
        // pairwise parts of dqs and dk (dk transposed: (d_k, L))
        java.util.Arrays.fill(dkPT, 0, n * len, 0f);
        for (int t = 0; t < len; t++) {
          for (int i = 0; i < n; i++) {
            dqs[t * n + i] = pairGrad(ch, n, dP, t, i, t - t % SUB, dkPT);
          }
        }
        // the sub-blocks' GEMM parts: dQ̃_r = dP[r-rows, :i0] K̃_r, dK̃_r = dP[r-rows, :i0]ᵀ Q̃_r
        for (int i0 = SUB; i0 < len; i0 += SUB) {
          int rows = Math.min(SUB, len - i0);
          float[] qr = ch.qr, kr = ch.kr;
          ch.referenced(i0, rows, qr, kr);
          Gemm.sgemm(false, false, rows, n, i0, dP, i0 * len, len, kr, 0, n, dqr, 0, n, false);
          Gemm.sgemm(true, false, i0, n, rows, dP, i0 * len, len, qr, 0, n, dkr, 0, n, false);
          for (int i = 0; i < n; i++) {
            float br = ch.bT[i * len + i0 - 1];
            for (int t = 0; t < rows; t++) dqs[(i0 + t) * n + i] += dqr[t * n + i] * Lanes.exp(ch.bT[i * len + i0 + t] - br);
            for (int s = 0; s < i0; s++) dkPT[i * len + s] += dkr[s * n + i] * Lanes.exp(br - ch.bT[i * len + s]);
          }
        }
        java.util.Arrays.fill(carry, 0f);
        // the extra terms of db at t = L
        for (int i = 0; i < n; i++) {
          double acc = 0;
          for (int s = 0; s < len; s++) acc += (double) ch.kh[s * n + i] * dKh[s * n + i];
          double rs = 0;
          for (int j = 0; j < dv; j++) rs += (double) dS[i * dv + j] * saved[sp + i * dv + j];
          dbL[i] = (float) (acc + ch.decayL[i] * rs);
        }
        for (int t = len - 1; t >= 0; t--) {
          int row = gBase + t * ks;
          for (int i = 0; i < n; i++) {
            float bt = ch.bT[i * len + t];
            float dqsv = dqs[t * n + i] + dQt[t * n + i] * Lanes.exp(bt);
            float dkv = dKh[t * n + i] * Lanes.exp(ch.bT[i * len + len - 1] - bt) + dkPT[i * len + t];
            dq[row + i] = scale * dqsv;
            dk[row + i] = dkv;
            db[i] = ch.qs[t * n + i] * dqsv - ch.kT[i * len + t] * dkv + (t == len - 1 ? dbL[i] : 0f);
            carry[i] += db[i];
            dg[row + i] = carry[i];
          }
        }
        // dS_prev = Q̃ᵀ dO + diag(exp(b_L)) dS
        for (int i = 0; i < n; i++) {
          float a = ch.decayL[i];
          for (int j = 0; j < dv; j++) dS[i * dv + j] *= a;
        }
        Gemm.sgemm(true, false, n, dv, len, ch.qt, 0, n, gr, oBase, vs, dS, 0, dv, true);
      }
      System.arraycopy(dS, 0, dh0T.storage(), bh * stateSize, stateSize);
    }

    /**
     * For query t and key channel i: returns Σ_{from <= s <= t} dP[t, s] k_s[i] e_s and adds
     * dP[t, s] qs_t[i] e_s into dkPT[i, s], e_s = exp(b_t[i] - b_s[i]).
     */
    private static float pairGrad(Chunk ch, int dk, float[] dP, int t, int i, int from, float[] dkPT) {
      int len = ch.len;
      int off = i * len;
      int row = t * len;
      float bt = ch.bT[off + t];
      float qv = ch.qs[t * dk + i];
      FloatVector qb = FloatVector.broadcast(F, qv);
      FloatVector acc = FloatVector.zero(F);
      int n = t + 1;
      for (int s = from; s < n; s += F.length()) { // the last vector masked to s <= t
        VectorMask<Float> m = F.indexInRange(s, n);
        FloatVector e = Lanes.exp(FloatVector.fromArray(F, ch.bT, off + s, m).neg().add(bt));
        FloatVector w = FloatVector.zero(F).blend(FloatVector.fromArray(F, dP, row + s, m).mul(e), m);
        acc = FloatVector.fromArray(F, ch.kT, off + s, m).fma(w, acc);
        qb.fma(w, FloatVector.fromArray(F, dkPT, off + s, m)).intoArray(dkPT, off + s, m);
      }
      float sum = Lanes.sum(acc);
      return sum;
    }
  }
}
