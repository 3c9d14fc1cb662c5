package lmlab.nn.mixers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
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
 * Every exponent is <= 0, so nothing overflows however strong the decay. The decay is a scalar
 * per head, so the only pairwise exponentials are the L × L of exp(c_t - c_s) (where the
 * per-channel {@link GatedLinearScan} needs L × L × N).
 *
 * <p>Work is split over (batch row, group): G depends on the group only, so it is computed once
 * for the group's heads, and the group's dB and dC are summed over its heads in place. Training
 * on many short sequences (the arithmetic lab: S = 6, one chunk) makes every product tiny (a few
 * rows by P or N), so they run as vector loops along the contiguous P or N axis (row updates and
 * dot products) rather than through a GEMM call each; and a state known to be zero (no start
 * state, no gradient reaching the final state) skips the products with it, which would otherwise
 * be most of the work at one chunk per sequence. The forward saves h_prev of every chunk for the
 * backward.
 */
final class SsdChunks {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private SsdChunks() {}

  /** Same arguments and result as {@link Ssd#apply} with chunk >= 1. */
  static Ssd.Result apply(Tensor x, Tensor dt, Tensor a, Tensor bm, Tensor cm, Tensor d, Tensor h0, int chunk) {
    int[] xs = x.shape();
    int b = xs[0], s = xs[1], h = xs[2], p = xs[3], g = bm.shape()[2], n = bm.shape()[3];
    Problem pr = new Problem(b, s, h, p, g, n, Math.min(chunk, s), h0 == null);
    Tensor xc = x.contiguous(), dtc = dt.contiguous(), ac = a.contiguous(), bc = bm.contiguous(), cc = cm.contiguous();
    Tensor dc = d.contiguous(), hc = h0 == null ? null : h0.contiguous();
    int nOut = b * s * h * p, nState = b * h * p * n;
    Tensor packed = Arena.zeros(nOut + nState);
    float[] saved = Arena.scratch(b * h * pr.chunks * p * n); // h_prev of every chunk, for backward
    Parallel.forEachDynamic(b * g, bg -> pr.forward(bg, xc, dtc, ac, bc, cc, dc, hc, packed.storage(), saved));
    Tensor[] inputs = hc == null ? new Tensor[] {xc, dtc, ac, bc, cc, dc} : new Tensor[] {xc, dtc, ac, bc, cc, dc, hc};
    Autograd.record("ssd_chunks", packed, grad -> {
      Tensor gp = grad.contiguous();
      Tensor dx = Arena.zeros(xc.shape()), ddt = Arena.zeros(dtc.shape());
      Tensor dh0 = hc == null ? null : Arena.zeros(b, h, p, n);
      Tensor dbm = Arena.zeros(bc.shape()), dcm = Arena.zeros(cc.shape());
      float[] perHead = new float[2 * b * h]; // dA and dD of each (batch row, head)
      Parallel.forEachDynamic(b * g, bg -> pr.backward(bg, xc, dtc, ac, bc, cc, dc, gp, saved,
          dx.storage(), ddt.storage(), dbm.storage(), dcm.storage(), dh0 == null ? null : dh0.storage(), perHead));
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

  /** Sizes of one call (zeroStart: no start state); the per-(batch row, group) forward and backward. */
  private record Problem(int b, int steps, int h, int p, int g, int n, int chunk, int chunks, boolean zeroStart) {
    Problem(int b, int steps, int h, int p, int g, int n, int chunk, boolean zeroStart) {
      this(b, steps, h, p, g, n, chunk, (steps + chunk - 1) / chunk, zeroStart);
    }

    /** One (batch row, group)'s buffers, sized for a whole chunk and reused by every chunk and head. */
    private final class Buffers {
      final float[] bb = new float[chunk * n]; // B (L × N), the group's
      final float[] cb = new float[chunk * n]; // C (L × N), the group's
      final float[] gc = new float[chunk * chunk]; // G = C Bᵀ (s <= t), the group's
      final float[] xb = new float[chunk * p]; // X (L × P), one head's from here on
      final float[] ce = new float[chunk * n]; // E C: row t times exp(c_t)
      final float[] bw = new float[chunk * n]; // W B: row s times w_s
      final float[] dt = new float[chunk]; // Δ
      final float[] cum = new float[chunk]; // c
      final float[] e = new float[chunk]; // exp(c_t)
      final float[] w = new float[chunk]; // w_s = exp(c_L - c_s) Δ_s
      final float[] kk = new float[chunk * chunk]; // exp(c_t - c_s), s <= t
      final float[] gm = new float[chunk * chunk]; // G ⊙ K
      final float[] m = new float[chunk * chunk]; // M
      int len;

      /** Reads B and C of chunk c of (bi, gi) and computes G = C Bᵀ (s <= t); B and C are (B, S, G, N), contiguous. */
      void loadGroup(int bi, int gi, int c, float[] bmv, float[] cmv) {
        int t0 = c * chunk;
        len = Math.min(chunk, steps - t0);
        for (int t = 0; t < len; t++) {
          int row = bi * steps + t0 + t;
          System.arraycopy(bmv, (row * g + gi) * n, bb, t * n, n);
          System.arraycopy(cmv, (row * g + gi) * n, cb, t * n, n);
        }
        for (int t = 0; t < len; t++) {
          for (int s = 0; s <= t; s++) gc[t * len + s] = dot(cb, t * n, bb, s * n, n);
        }
      }

      /**
       * Reads x and Δ of chunk c of head hi (after {@link #loadGroup}) and computes c, E C, W B
       * and M. Offsets: x (B, S, H, P), Δ (B, S, H), contiguous.
       */
      void loadHead(int bi, int hi, int c, float[] x, float[] dtv, float aH) {
        int t0 = c * chunk;
        float acc = 0;
        for (int t = 0; t < len; t++) {
          int row = (bi * steps + t0 + t);
          System.arraycopy(x, (row * h + hi) * p, xb, t * p, p);
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
        // K[t, s] = exp(c_t - c_s) for s <= t; G ⊙ K and M = G ⊙ K Δ_s
        for (int t = 0; t < len; t++) {
          int r = t * len;
          FloatVector ct = FloatVector.broadcast(F, cum[t]);
          int s = 0;
          for (int up = F.loopBound(t + 1); s < up; s += F.length()) {
            FloatVector k = Lanes.exp(ct.sub(FloatVector.fromArray(F, cum, s)));
            k.intoArray(kk, r + s);
            FloatVector gk = FloatVector.fromArray(F, gc, r + s).mul(k);
            gk.intoArray(gm, r + s);
            gk.mul(FloatVector.fromArray(F, dt, s)).intoArray(m, r + s);
          }
          for (; s <= t; s++) {
            float k = Lanes.exp(cum[t] - cum[s]);
            kk[r + s] = k;
            gm[r + s] = gc[r + s] * k;
            m[r + s] = gm[r + s] * dt[s];
          }
        }
      }
    }

    private static void scaleRow(float[] src, int so, float f, float[] dst, int d0, int len) {
      int i = 0;
      FloatVector fv = FloatVector.broadcast(F, f);
      for (int up = F.loopBound(len); i < up; i += F.length()) {
        FloatVector.fromArray(F, src, so + i).mul(fv).intoArray(dst, d0 + i);
      }
      for (; i < len; i++) dst[d0 + i] = f * src[so + i];
    }

    /** Whether h_prev of chunk c is known to be zero (no start state, first chunk): its products are skipped. */
    private boolean zeroBefore(int c) {
      return zeroStart && c == 0;
    }

    void forward(int bg, Tensor x, Tensor dtT, Tensor aT, Tensor bmT, Tensor cmT, Tensor dT, Tensor h0, float[] out,
        float[] saved) {
      int bi = bg / g, gi = bg % g, per = h / g, hp = h * p, size = p * n;
      Buffers u = new Buffers();
      float[][] st = new float[per][size]; // the state h (P × N) of each head of the group
      float[] xv = x.storage(), dtv = dtT.storage();
      for (int j = 0; j < per && h0 != null; j++) {
        System.arraycopy(h0.storage(), h0.offset() + (bi * h + gi * per + j) * size, st[j], 0, size);
      }
      for (int c = 0; c < chunks; c++) {
        u.loadGroup(bi, gi, c, bmT.storage(), cmT.storage());
        int len = u.len;
        for (int j = 0; j < per; j++) {
          int hi = gi * per + j, bh = bi * h + hi;
          float aH = aT.storage()[aT.offset() + hi], dH = dT.storage()[dT.offset() + hi];
          u.loadHead(bi, hi, c, xv, dtv, aH);
          float[] sj = st[j];
          int o = ((bi * steps + c * chunk) * h + hi) * p; // y_t of the chunk's first token, rows H·P apart
          // Y = (E C) h_prevᵀ + M X + D X
          if (!zeroBefore(c)) {
            System.arraycopy(sj, 0, saved, (bh * chunks + c) * size, size);
            for (int t = 0; t < len; t++) {
              for (int q = 0; q < p; q++) out[o + t * hp + q] = dot(u.ce, t * n, sj, q * n, n);
            }
          }
          for (int t = 0; t < len; t++) {
            int ot = o + t * hp;
            combine(u.m, t * len, 1, t + 1, u.xb, 0, p, out, ot, p);
            axpy(dH, u.xb, t * p, out, ot, p);
          }
          // h_next = exp(c_L) h_prev + Xᵀ (W B)
          if (!zeroBefore(c)) scale(sj, u.e[len - 1], size);
          for (int q = 0; q < p; q++) combine(u.xb, q, p, len, u.bw, 0, n, sj, q * n, n);
        }
      }
      for (int j = 0; j < per; j++) System.arraycopy(st[j], 0, out, b * steps * hp + (bi * h + gi * per + j) * size, size);
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
     *
     * A dS that is zero (no gradient reached the final state) or an h_prev known to be zero skips
     * the terms it multiplies; so does dS_prev of the first chunk without a start state.
     */
    void backward(int bg, Tensor x, Tensor dtT, Tensor aT, Tensor bmT, Tensor cmT, Tensor dT, Tensor gp, float[] saved,
        float[] dx, float[] ddt, float[] dbOut, float[] dcOut, float[] dh0, float[] perHead) {
      int bi = bg / g, gi = bg % g, per = h / g, hp = h * p, size = p * n;
      Buffers u = new Buffers();
      float[] gr = gp.storage();
      float[][] dS = new float[per][size];
      boolean[] dSZero = new boolean[per];
      for (int j = 0; j < per; j++) {
        System.arraycopy(gr, gp.offset() + b * steps * hp + (bi * h + gi * per + j) * size, dS[j], 0, size);
        dSZero[j] = allZero(dS[j]);
      }
      float[] dm = new float[chunk * chunk], dg = new float[chunk * chunk];
      float[] xdS = new float[chunk * n], dyh = new float[chunk * n];
      float[] dbb = new float[chunk * n], dcb = new float[chunk * n]; // the group's dB and dC rows of the chunk
      float[] dc = new float[chunk], ddtc = new float[chunk];
      double[] dA = new double[per], dD = new double[per];
      float[] xv = x.storage(), dtv = dtT.storage();
      for (int c = chunks - 1; c >= 0; c--) {
        u.loadGroup(bi, gi, c, bmT.storage(), cmT.storage());
        int len = u.len, t0 = c * chunk;
        boolean hZero = zeroBefore(c);
        java.util.Arrays.fill(dbb, 0, len * n, 0f);
        java.util.Arrays.fill(dcb, 0, len * n, 0f);
        for (int j = 0; j < per; j++) {
          int hi = gi * per + j, bh = bi * h + hi;
          float aH = aT.storage()[aT.offset() + hi], dH = dT.storage()[dT.offset() + hi];
          u.loadHead(bi, hi, c, xv, dtv, aH);
          float[] dSj = dS[j];
          int sp = (bh * chunks + c) * size; // h_prev in saved
          int o = ((bi * steps + t0) * h + hi) * p; // the chunk's first row of y, dY and dX
          int go = gp.offset() + o;
          java.util.Arrays.fill(dc, 0, len, 0f);
          java.util.Arrays.fill(ddtc, 0, len, 0f);
          // dM = dY Xᵀ (s <= t); dX = Mᵀ dY + (W B) dSᵀ + D dY
          for (int t = 0; t < len; t++) {
            int gt = go + t * hp;
            for (int s = 0; s <= t; s++) dm[t * len + s] = dot(gr, gt, u.xb, s * p, p);
            combine(u.m, t * len + t, len, len - t, gr, gt, hp, dx, o + t * hp, p); // row t of Mᵀ dY
            axpy(dH, gr, gt, dx, o + t * hp, p);
            dD[j] += dot(gr, gt, u.xb, t * p, p);
          }
          if (!dSZero[j]) {
            for (int s = 0; s < len; s++) {
              for (int q = 0; q < p; q++) dx[o + s * hp + q] += dot(u.bw, s * n, dSj, q * n, n);
            }
            // the state's part: X dS gives dB = W (X dS) and, through w_s, dΔ_s and dc
            java.util.Arrays.fill(xdS, 0, len * n, 0f);
            for (int s = 0; s < len; s++) combine(u.xb, s * p, 1, p, dSj, 0, n, xdS, s * n, n);
            float cL = u.cum[len - 1];
            for (int s = 0; s < len; s++) {
              float dw = dot(xdS, s * n, u.bb, s * n, n), q = u.w[s] * dw;
              ddtc[s] += Lanes.exp(cL - u.cum[s]) * dw;
              dc[len - 1] += q;
              dc[s] -= q;
              axpy(u.w[s], xdS, s * n, dbb, s * n, n);
            }
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
          }
          // dC = dG B + E (dY h_prev), dc_t += exp(c_t) C_t · (dY h_prev)_t; dB += dGᵀ C
          if (!hZero) {
            java.util.Arrays.fill(dyh, 0, len * n, 0f);
            for (int t = 0; t < len; t++) {
              combine(gr, go + t * hp, 1, p, saved, sp, n, dyh, t * n, n);
              dc[t] += u.e[t] * dot(dyh, t * n, u.cb, t * n, n);
              axpy(u.e[t], dyh, t * n, dcb, t * n, n);
            }
          }
          for (int t = 0; t < len; t++) {
            combine(dg, t * len, 1, t + 1, u.bb, 0, n, dcb, t * n, n); // row t of dG B
            combine(dg, t * len + t, len, len - t, u.cb, t * n, n, dbb, t * n, n); // row t of dGᵀ C
          }
          // exp(c_L) multiplies h_prev in h_next
          float eL = u.e[len - 1];
          if (!hZero && !dSZero[j]) dc[len - 1] += eL * dot(dSj, 0, saved, sp, size);
          // c_t = Σ_{u <= t} Δ_u A
          float carry = 0;
          for (int s = len - 1; s >= 0; s--) {
            carry += dc[s];
            ddtc[s] += aH * carry;
            dA[j] += (double) u.dt[s] * carry;
          }
          for (int t = 0; t < len; t++) ddt[(bi * steps + t0 + t) * h + hi] = ddtc[t];
          // dS_prev = exp(c_L) dS + dYᵀ (E C), unless nothing needs it
          if (!hZero) {
            if (!dSZero[j]) scale(dSj, eL, size); // (a zero dS stays zero)
            for (int q = 0; q < p; q++) combine(gr, go + q, hp, len, u.ce, 0, n, dSj, q * n, n);
            dSZero[j] = false;
          }
        }
        for (int t = 0; t < len; t++) { // the group's rows: (B, S, G, N)
          int row = bi * steps + t0 + t;
          System.arraycopy(dbb, t * n, dbOut, (row * g + gi) * n, n);
          System.arraycopy(dcb, t * n, dcOut, (row * g + gi) * n, n);
        }
      }
      for (int j = 0; j < per; j++) {
        int bh = bi * h + gi * per + j;
        if (dh0 != null) System.arraycopy(dS[j], 0, dh0, bh * size, size);
        perHead[2 * bh] = (float) dA[j];
        perHead[2 * bh + 1] = (float) dD[j];
      }
    }
  }

  private static boolean allZero(float[] v) {
    int i = 0;
    FloatVector or = FloatVector.zero(F);
    for (int up = F.loopBound(v.length); i < up; i += F.length()) or = or.add(FloatVector.fromArray(F, v, i).abs());
    if (or.reduceLanes(jdk.incubator.vector.VectorOperators.MAX) != 0f) return false;
    for (; i < v.length; i++) if (v[i] != 0f) return false;
    return true;
  }

  /** v[0..len) *= f. */
  private static void scale(float[] v, float f, int len) {
    int i = 0;
    FloatVector fv = FloatVector.broadcast(F, f);
    for (int up = F.loopBound(len); i < up; i += F.length()) FloatVector.fromArray(F, v, i).mul(fv).intoArray(v, i);
    for (; i < len; i++) v[i] *= f;
  }

  /**
   * y[yo + i] += Σ_{k < count} a[ao + k·as] · x[xo + k·xs + i] for i < len: one row of a small
   * product, the row of y held in registers while the rows of x stream by.
   */
  private static void combine(float[] a, int ao, int as, int count, float[] x, int xo, int xs, float[] y, int yo, int len) {
    int i = 0;
    for (int up = F.loopBound(len); i < up; i += F.length()) {
      FloatVector acc = FloatVector.fromArray(F, y, yo + i);
      for (int k = 0; k < count; k++) {
        acc = FloatVector.fromArray(F, x, xo + k * xs + i).fma(FloatVector.broadcast(F, a[ao + k * as]), acc);
      }
      acc.intoArray(y, yo + i);
    }
    for (; i < len; i++) {
      float acc = y[yo + i];
      for (int k = 0; k < count; k++) acc += a[ao + k * as] * x[xo + k * xs + i];
      y[yo + i] = acc;
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
