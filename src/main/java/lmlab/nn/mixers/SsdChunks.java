package lmlab.nn.mixers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Gemm;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.Arena;
import lmlab.tensor.Tensor;

/**
 * Mamba-2's SSD in chunks of L tokens with one decay per head (Dao and Gu 2024, section 6 and
 * Listing 1; mamba_ssm {@code ssd_combined}: chunk cumsum, chunk state, state passing, chunk
 * scan), forward and hand-written backward side by side. Per batch row b and head h, group g,
 * inside a chunk (t, s = 0..L-1) with a_t = Δ_t A and c_t = Σ_{u <= t} a_u:
 *
 * <pre>
 *   G[t, s]  = C_t · B_s                                   G = C Bᵀ            (L × L)
 *   M[t, s]  = G[t, s] exp(c_t - c_s) Δ_s   for s <= t, else 0
 *   y_t      = exp(c_t) h_prev C_t + Σ_s M[t, s] x_s + D x_t     Y = (E C) h_prevᵀ + M X + D X
 *   h_next   = exp(c_L) h_prev + Σ_s w_s x_s B_sᵀ,   w_s = exp(c_L - c_s) Δ_s
 * </pre>
 *
 * Every exponent is <= 0, so nothing overflows however strong the decay. The products are GEMMs
 * on the chunk's rows; the decay is a scalar per head, so the only pairwise exponentials are the
 * L × L of exp(c_t - c_s) (where the per-channel {@link GatedLinearScan} needs L × L × N).
 * Work is split over (batch row, head); each keeps its chunk buffers for all its chunks, and the
 * forward saves h_prev of every chunk for the backward.
 */
final class SsdChunks {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private SsdChunks() {}

  /** Same arguments and result as {@link Ssd#apply} with chunk >= 1. */
  static Ssd.Result apply(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor h0, int chunk) {
    int[] xs = x.shape();
    int b = xs[0], s = xs[1], h = xs[2], p = xs[3], g = bm.shape()[2], n = bm.shape()[3];
    Problem pr = new Problem(b, s, h, p, g, n, Math.min(chunk, s));
    Tensor xc = x.contiguous(), dtc = dt.contiguous(), ac = a.contiguous(), bc = bm.contiguous(), cc = cm.contiguous();
    Tensor dc = d.contiguous(), hc = h0 == null ? null : h0.contiguous();
    int nOut = b * s * h * p, nState = b * h * p * n;
    Tensor packed = Arena.zeros(nOut + nState);
    float[] saved = Arena.scratch(b * h * pr.chunks * p * n); // h_prev of every chunk, for backward
    Parallel.forEachDynamic(b * h, bh -> pr.forward(bh, xc, dtc, ac, bc, cc, dc, hc, packed.storage(), saved));
    Tensor[] inputs = hc == null ? new Tensor[] {xc, dtc, ac, bc, cc, dc} : new Tensor[] {xc, dtc, ac, bc, cc, dc, hc};
    Autograd.record("ssd_chunks", packed, grad -> {
      Tensor gp = grad.contiguous();
      Tensor dx = Arena.zeros(xc.shape()), ddt = Arena.zeros(dtc.shape());
      Tensor dh0 = Arena.zeros(b, h, p, n);
      boolean shared = g != h; // heads of a group write their own dB, dC, summed below
      float[] dbh = shared ? Arena.zeroed(b * s * h * n) : null, dch = shared ? Arena.zeroed(b * s * h * n) : null;
      Tensor dbm = Arena.zeros(bc.shape()), dcm = Arena.zeros(cc.shape());
      float[] perHead = new float[2 * b * h]; // dA and dD of each (batch row, head)
      Parallel.forEachDynamic(b * h, bh -> pr.backward(bh, xc, dtc, ac, bc, cc, dc, gp, saved,
          dx.storage(), ddt.storage(), shared ? dbh : dbm.storage(), shared ? dch : dcm.storage(), dh0.storage(), perHead));
      if (shared) pr.sumGroups(dbh, dch, dbm.storage(), dcm.storage());
      float[] da = new float[h], dd = new float[h];
      for (int bi = 0; bi < b; bi++) {
        for (int hi = 0; hi < h; hi++) {
          da[hi] += perHead[2 * (bi * h + hi)];
          dd[hi] += perHead[2 * (bi * h + hi) + 1];
        }
      }
      Tensor daT = Tensor.vector(da), ddT = Tensor.vector(dd);
      return hc == null ? new Tensor[] {dx, ddt, daT, dbm, dcm, ddT} : new Tensor[] {dx, ddt, daT, dbm, dcm, ddT, dh0};
    }, inputs);
    return new Ssd.Result(packed.narrow(0, 0, nOut).view(b, s, h, p), packed.narrow(0, nOut, nState).view(b, h, p, n));
  }

  /** Sizes of one call; the per-(batch row, head) forward and backward. */
  private record Problem(int b, int steps, int h, int p, int g, int n, int chunk, int chunks) {
    Problem(int b, int steps, int h, int p, int g, int n, int chunk) {
      this(b, steps, h, p, g, n, chunk, (steps + chunk - 1) / chunk);
    }

    /** One (batch row, head)'s buffers, sized for a whole chunk and reused by every chunk. */
    private final class Buffers {
      final float[] xb = new float[chunk * p]; // X (L × P)
      final float[] bb = new float[chunk * n]; // B (L × N)
      final float[] cb = new float[chunk * n]; // C (L × N)
      final float[] ce = new float[chunk * n]; // E C: row t times exp(c_t)
      final float[] bw = new float[chunk * n]; // W B: row s times w_s
      final float[] dt = new float[chunk]; // Δ
      final float[] cum = new float[chunk]; // c
      final float[] e = new float[chunk]; // exp(c_t)
      final float[] w = new float[chunk]; // w_s = exp(c_L - c_s) Δ_s
      final float[] kk = new float[chunk * chunk]; // exp(c_t - c_s), s <= t
      final float[] gm = new float[chunk * chunk]; // G, then G ⊙ K
      final float[] m = new float[chunk * chunk]; // M
      final float[] st = new float[p * n]; // the state h (P × N)
      int len;

      /**
       * Reads chunk c of (bi, hi) and computes E C, W B and M. Offsets: x (B, S, H, P), Δ (B, S, H),
       * B and C (B, S, G, N), all contiguous.
       */
      void load(int bi, int hi, int c, float[] x, float[] dtv, float aH, float[] bmv, float[] cmv) {
        int t0 = c * chunk;
        len = Math.min(chunk, steps - t0);
        int gi = hi / (h / g);
        float acc = 0;
        for (int t = 0; t < len; t++) {
          int row = (bi * steps + t0 + t);
          System.arraycopy(x, (row * h + hi) * p, xb, t * p, p);
          System.arraycopy(bmv, (row * g + gi) * n, bb, t * n, n);
          System.arraycopy(cmv, (row * g + gi) * n, cb, t * n, n);
          dt[t] = dtv[row * h + hi];
          acc += dt[t] * aH; // c_t = Σ_{u <= t} Δ_u A
          cum[t] = acc;
          e[t] = Lanes.exp(acc);
        }
        float cL = cum[len - 1];
        for (int t = 0; t < len; t++) {
          w[t] = Lanes.exp(cL - cum[t]) * dt[t];
          scaleRow(cb, t * n, e[t], ce, t * n, n);
          scaleRow(bb, t * n, w[t], bw, t * n, n);
        }
        // G = C Bᵀ; K[t, s] = exp(c_t - c_s) for s <= t; G ⊙ K and M = G ⊙ K Δ_s
        Gemm.sgemm(false, true, len, len, n, cb, 0, n, bb, 0, n, gm, 0, len, false);
        for (int t = 0; t < len; t++) {
          int r = t * len;
          FloatVector ct = FloatVector.broadcast(F, cum[t]);
          int s = 0;
          for (int up = F.loopBound(t + 1); s < up; s += F.length()) {
            FloatVector k = Lanes.exp(ct.sub(FloatVector.fromArray(F, cum, s)));
            k.intoArray(kk, r + s);
            FloatVector gk = FloatVector.fromArray(F, gm, r + s).mul(k);
            gk.intoArray(gm, r + s);
            gk.mul(FloatVector.fromArray(F, dt, s)).intoArray(m, r + s);
          }
          for (; s <= t; s++) {
            float k = Lanes.exp(cum[t] - cum[s]);
            kk[r + s] = k;
            gm[r + s] *= k;
            m[r + s] = gm[r + s] * dt[s];
          }
          for (; s < len; s++) {
            kk[r + s] = 0f;
            gm[r + s] = 0f;
            m[r + s] = 0f;
          }
        }
      }
    }

    private static void scaleRow(float[] src, int so, float f, float[] dst, int d0, int len) {
      for (int i = 0; i < len; i++) dst[d0 + i] = f * src[so + i];
    }

    void forward(int bh, Tensor x, Tensor dtT, Tensor aT, Tensor bmT, Tensor cmT, Tensor dT, Tensor h0, float[] out,
        float[] saved) {
      int bi = bh / h, hi = bh % h, hp = h * p, size = p * n;
      Buffers u = new Buffers();
      float aH = aT.storage()[aT.offset() + hi], dH = dT.storage()[dT.offset() + hi];
      if (h0 != null) System.arraycopy(h0.storage(), h0.offset() + bh * size, u.st, 0, size);
      float[] xv = x.storage();
      for (int c = 0; c < chunks; c++) {
        u.load(bi, hi, c, xv, dtT.storage(), aH, bmT.storage(), cmT.storage());
        int len = u.len;
        System.arraycopy(u.st, 0, saved, (bh * chunks + c) * size, size);
        int o = ((bi * steps + c * chunk) * h + hi) * p; // y_t of the chunk's first token, rows H·P apart
        // Y = (E C) h_prevᵀ + M X + D X
        Gemm.sgemm(false, true, len, p, n, u.ce, 0, n, u.st, 0, n, out, o, hp, false);
        Gemm.sgemm(false, false, len, p, len, u.m, 0, len, u.xb, 0, p, out, o, hp, true);
        for (int t = 0; t < len; t++) axpy(dH, u.xb, t * p, out, o + t * hp, p);
        // h_next = exp(c_L) h_prev + Xᵀ (W B)
        float eL = u.e[len - 1];
        for (int i = 0; i < size; i++) u.st[i] *= eL;
        Gemm.sgemm(true, false, p, n, len, u.xb, 0, p, u.bw, 0, n, u.st, 0, n, true);
      }
      System.arraycopy(u.st, 0, out, b * steps * hp + bh * size, size);
    }

    /**
     * Chunks in reverse; dS is the gradient of the state after the chunk (dh_n for the last),
     * dY the chunk's rows of the output gradient:
     *
     * <pre>
     *   dM = dY Xᵀ (s <= t)               dX = Mᵀ dY + (W B) dSᵀ + D dY       dD = Σ dY ⊙ X
     *   dG = dM ⊙ K Δ_s                   dC = dG B + E (dY h_prev)           dB = dGᵀ C + W (X dS)
     *   dΔ_s = Σ_t dM ⊙ G ⊙ K [t, s] + exp(c_L - c_s) Σ_n B_s (X dS)_s
     *   dc_t = Σ_s dM ⊙ M [t, s] - Σ_s dM ⊙ M [s, t] + exp(c_t) C_t · (dY h_prev)_t - w_t B_t · (X dS)_t
     *          and at t = L also + Σ_s w_s B_s · (X dS)_s + exp(c_L) Σ dS ⊙ h_prev
     *   da_u = Σ_{t >= u} dc_t:   dΔ_u += A da_u,  dA += Σ_u Δ_u da_u
     *   dS_prev = exp(c_L) dS + dYᵀ (E C)
     * </pre>
     */
    void backward(int bh, Tensor x, Tensor dtT, Tensor aT, Tensor bmT, Tensor cmT, Tensor dT, Tensor gp, float[] saved,
        float[] dx, float[] ddt, float[] dbOut, float[] dcOut, float[] dh0, float[] perHead) {
      int bi = bh / h, hi = bh % h, hp = h * p, size = p * n;
      Buffers u = new Buffers();
      float aH = aT.storage()[aT.offset() + hi], dH = dT.storage()[dT.offset() + hi];
      float[] gr = gp.storage();
      float[] dS = new float[size];
      System.arraycopy(gr, gp.offset() + b * steps * hp + bh * size, dS, 0, size);
      float[] dm = new float[chunk * chunk], dg = new float[chunk * chunk];
      float[] xdS = new float[chunk * n], dyh = new float[chunk * n], dbb = new float[chunk * n], dcb = new float[chunk * n];
      float[] dc = new float[chunk], ddtc = new float[chunk];
      double dA = 0, dD = 0;
      float[] xv = x.storage();
      for (int c = chunks - 1; c >= 0; c--) {
        u.load(bi, hi, c, xv, dtT.storage(), aH, bmT.storage(), cmT.storage());
        int len = u.len, t0 = c * chunk;
        int sp = (bh * chunks + c) * size; // h_prev in saved
        int o = ((bi * steps + t0) * h + hi) * p; // the chunk's first row of y, dY and dX
        int go = gp.offset() + o;
        java.util.Arrays.fill(dc, 0f);
        java.util.Arrays.fill(ddtc, 0f);
        // dM = dY Xᵀ; dX = Mᵀ dY + (W B) dSᵀ + D dY
        Gemm.sgemm(false, true, len, len, p, gr, go, hp, u.xb, 0, p, dm, 0, len, false);
        Gemm.sgemm(true, false, len, p, len, u.m, 0, len, gr, go, hp, dx, o, hp, false);
        Gemm.sgemm(false, true, len, p, n, u.bw, 0, n, dS, 0, n, dx, o, hp, true);
        for (int t = 0; t < len; t++) {
          axpy(dH, gr, go + t * hp, dx, o + t * hp, p);
          dD += dot(gr, go + t * hp, u.xb, t * p, p);
        }
        // the state's part: X dS gives dB = W (X dS) and, through w_s, dΔ_s and dc
        Gemm.sgemm(false, false, len, n, p, u.xb, 0, p, dS, 0, n, xdS, 0, n, false);
        float cL = u.cum[len - 1];
        for (int s = 0; s < len; s++) {
          float dw = dot(xdS, s * n, u.bb, s * n, n), q = u.w[s] * dw;
          ddtc[s] += Lanes.exp(cL - u.cum[s]) * dw;
          dc[len - 1] += q;
          dc[s] -= q;
          scaleRow(xdS, s * n, u.w[s], dbb, s * n, n);
        }
        // dG = dM ⊙ K Δ_s; dΔ_s += Σ_t dM ⊙ G ⊙ K; dc from K = exp(c_t - c_s)
        for (int t = 0; t < len; t++) {
          int r = t * len;
          for (int s = 0; s <= t; s++) {
            float dmv = dm[r + s];
            dg[r + s] = dmv * u.kk[r + s] * u.dt[s];
            ddtc[s] += dmv * u.gm[r + s];
            float rv = dmv * u.m[r + s];
            dc[t] += rv;
            dc[s] -= rv;
          }
          for (int s = t + 1; s < len; s++) dg[r + s] = 0f;
        }
        // dC = dG B + E (dY h_prev), dc_t += exp(c_t) C_t · (dY h_prev)_t; dB += dGᵀ C
        Gemm.sgemm(false, false, len, n, p, gr, go, hp, saved, sp, n, dyh, 0, n, false);
        Gemm.sgemm(false, false, len, n, len, dg, 0, len, u.bb, 0, n, dcb, 0, n, false);
        for (int t = 0; t < len; t++) {
          dc[t] += u.e[t] * dot(dyh, t * n, u.cb, t * n, n);
          axpy(u.e[t], dyh, t * n, dcb, t * n, n);
        }
        Gemm.sgemm(true, false, len, n, len, dg, 0, len, u.cb, 0, n, dbb, 0, n, true);
        // exp(c_L) multiplies h_prev in h_next
        float eL = u.e[len - 1];
        dc[len - 1] += eL * dot(dS, 0, saved, sp, size);
        // c_t = Σ_{u <= t} Δ_u A
        float carry = 0;
        for (int s = len - 1; s >= 0; s--) {
          carry += dc[s];
          ddtc[s] += aH * carry;
          dA += (double) u.dt[s] * carry;
        }
        for (int t = 0; t < len; t++) {
          int row = bi * steps + t0 + t;
          ddt[row * h + hi] = ddtc[t];
          System.arraycopy(dbb, t * n, dbOut, (row * h + hi) * n, n); // per head: (B, S, H, N)
          System.arraycopy(dcb, t * n, dcOut, (row * h + hi) * n, n);
        }
        // dS_prev = exp(c_L) dS + dYᵀ (E C)
        for (int i = 0; i < size; i++) dS[i] *= eL;
        Gemm.sgemm(true, false, p, n, len, gr, go, hp, u.ce, 0, n, dS, 0, n, true);
      }
      System.arraycopy(dS, 0, dh0, bh * size, size);
      perHead[2 * bh] = (float) dA;
      perHead[2 * bh + 1] = (float) dD;
    }

    /** dB and dC of a group: the sum over its heads, (B, S, H, N) -> (B, S, G, N). */
    void sumGroups(float[] dbh, float[] dch, float[] db, float[] dc) {
      int per = h / g;
      Parallel.forRange(b * steps, 64, (from, to) -> {
        for (int row = from; row < to; row++) {
          for (int hi = 0; hi < h; hi++) {
            int src = (row * h + hi) * n, dst = (row * g + hi / per) * n;
            for (int i = 0; i < n; i++) {
              db[dst + i] += dbh[src + i];
              dc[dst + i] += dch[src + i];
            }
          }
        }
      });
    }
  }

  /** y[yo..] += a · x[xo..] over len elements. */
  private static void axpy(float a, float[] x, int xo, float[] y, int yo, int len) {
    int i = 0;
    FloatVector av = FloatVector.broadcast(F, a);
    for (int up = F.loopBound(len); i < up; i += F.length()) {
      FloatVector.fromArray(F, x, xo + i).fma(av, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
    }
    for (; i < len; i++) y[yo + i] += a * x[xo + i];
  }

  private static float dot(float[] x, int xo, float[] y, int yo, int len) {
    int i = 0;
    FloatVector acc = FloatVector.zero(F);
    for (int up = F.loopBound(len); i < up; i += F.length()) {
      acc = FloatVector.fromArray(F, x, xo + i).fma(FloatVector.fromArray(F, y, yo + i), acc);
    }
    float sum = Lanes.sum(acc);
    for (; i < len; i++) sum += x[xo + i] * y[yo + i];
    return sum;
  }
}
