package lmlab.nn.mixers;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.autograd.Autograd;
import lmlab.kernels.Lanes;
import lmlab.kernels.Parallel;
import lmlab.tensor.Arena;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Causal depthwise convolution over time, mamba_ssm's {@code causal_conv1d} (PyTorch Conv1d with
 * groups = channels, left padding K - 1), continuing from a conv state, forward and backward
 * side by side in one kernel:
 *
 * <pre>
 *   ξ_t[c]      = bias[c] + Σ_{j=0..K-1} weight[c, 0, j] · x_{t-K+1+j}[c]
 *   dx_τ[c]     = Σ_j weight[c, 0, j] · dξ_{τ+K-1-j}[c]          (over the t = τ+K-1-j inside [0, S))
 *   dweight[c, 0, j] = Σ_{b, t} dξ_t[c] · x_{t-K+1+j}[c]       dbias[c] = Σ_{b, t} dξ_t[c]
 * </pre>
 *
 * where x_τ for τ < 0 comes from the state (B, C, K): the last K inputs, oldest first, zeros
 * before the first token (its oldest column is not read again); dx_τ for τ < 0 is the state's
 * gradient. Channels are contiguous in x and ξ, so every loop runs along them in vectors, and the
 * threads split the channels (each owns its columns of dweight and dbias).
 */
public final class CausalConv1d {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** Channels per thread at least. */
  private static final int GRAIN = 64;

  private CausalConv1d() {}

  /** ξ (B, S, C) and the conv state after the last token (B, C, K). */
  public record Result(Tensor out, Tensor state) {}

  /**
   * @param x (B, S, C)   @param weight (C, 1, K)   @param bias (C,) or null
   * @param state (B, C, K) or null for zeros
   */
  public static Result apply(Tensor x, Tensor weight, Tensor bias, Tensor state) {
    return apply(x, weight, bias, state, false);
  }

  /**
   * The convolution followed by silu in the same pass, mamba_ssm's {@code causal_conv1d_fn(...,
   * activation="silu")}: out = silu(ξ) = ξ σ(ξ), and backward dξ = dout ⊙ σ(ξ) (1 + ξ (1 - σ(ξ))).
   */
  public static Result applySilu(Tensor x, Tensor weight, Tensor bias, Tensor state) {
    return apply(x, weight, bias, state, true);
  }

  private static Result apply(Tensor x, Tensor weight, Tensor bias, Tensor state, boolean silu) {
    int[] s = x.shape();
    int[] ws = weight.shape();
    if (s.length != 3 || ws.length != 3 || ws[0] != s[2] || ws[1] != 1) {
      throw new IllegalArgumentException("causal conv1d: x must be (B, S, C) and weight (C, 1, K), got "
          + Shape.str(s) + " and " + Shape.str(ws));
    }
    int b = s[0], n = s[1], c = s[2], k = ws[2];
    if (state != null && !Shape.same(state.shape(), new int[] {b, c, k})) {
      throw new IllegalArgumentException("causal conv1d: state must be (" + b + ", " + c + ", " + k + "), got "
          + Shape.str(state.shape()));
    }
    if (bias != null && !Shape.same(bias.shape(), new int[] {c})) {
      throw new IllegalArgumentException("causal conv1d: bias must be (" + c + "), got " + Shape.str(bias.shape()));
    }
    Rows in = Rows.of(x, b, n, c, k, state);
    float[] wT = transposed(weight, c, k); // (K, C)
    float[] bv = bias == null ? null : bias.contiguous().toArray();
    Tensor xi = Arena.zeros(b, n, c);
    float[] out = xi.storage();
    float[] pre = silu ? Arena.scratch(b * n * c) : out; // ξ before silu, for backward
    Parallel.forRange(c, GRAIN, (c0, c1) -> {
      for (int bi = 0; bi < b; bi++) {
        for (int t = 0; t < n; t++) {
          int o = (bi * n + t) * c;
          if (bv == null) java.util.Arrays.fill(out, o + c0, o + c1, 0f);
          else System.arraycopy(bv, c0, out, o + c0, c1 - c0);
          for (int j = 0; j < k; j++) { // ξ_t += weight[:, j] ⊙ x_{t-K+1+j}
            int tau = t - k + 1 + j;
            axpy(wT, j * c, in.array(tau), in.offset(bi, tau), out, o, c0, c1);
          }
          if (silu) silu(out, o, pre, c0, c1);
        }
      }
    });
    Tensor wIn = weight, bIn = bias, sIn = state;
    Tensor[] inputs = {in.x, wIn, bIn, sIn};
    Autograd.record("causal_conv1d", xi, grad -> {
      Tensor g = grad.contiguous();
      float[] gAll = g.storage();
      int go = g.offset();
      Tensor dxT = Arena.zeros(b, n, c);
      float[] dx = dxT.storage();
      float[] dPrefix = new float[b * (k - 1) * c]; // the gradient of x_τ for τ < 0, (B, K-1, C)
      float[] dwT = new float[k * c];
      float[] db = new float[c];
      Parallel.forRange(c, GRAIN, (c0, c1) -> {
        float[] gs = silu ? new float[c] : null; // dξ of one row
        for (int bi = 0; bi < b; bi++) {
          for (int t = 0; t < n; t++) {
            int gr = go + (bi * n + t) * c;
            if (silu) {
              siluBackward(pre, gr - go, gAll, gr, gs, c0, c1);
              gr = 0;
            }
            float[] gv = silu ? gs : gAll;
            add(gv, gr, db, 0, c0, c1); // dbias += dξ_t
            for (int j = 0; j < k; j++) {
              int tau = t - k + 1 + j;
              // dweight[:, j] += dξ_t ⊙ x_τ;  dx_τ += weight[:, j] ⊙ dξ_t
              mulAdd(gv, gr, in.array(tau), in.offset(bi, tau), dwT, j * c, c0, c1);
              if (tau >= 0) axpy(wT, j * c, gv, gr, dx, (bi * n + tau) * c, c0, c1);
              else axpy(wT, j * c, gv, gr, dPrefix, (bi * (k - 1) + k - 1 + tau) * c, c0, c1);
            }
          }
        }
      });
      float[] dw = new float[c * k];
      for (int j = 0; j < k; j++) for (int ch = 0; ch < c; ch++) dw[ch * k + j] = dwT[j * c + ch];
      Tensor dState = null;
      if (sIn != null) { // column K + τ of the state is x_τ; column 0 is never read
        float[] ds = new float[b * c * k];
        for (int bi = 0; bi < b; bi++) {
          for (int p = 0; p < k - 1; p++) {
            for (int ch = 0; ch < c; ch++) ds[(bi * c + ch) * k + p + 1] = dPrefix[(bi * (k - 1) + p) * c + ch];
          }
        }
        dState = Tensor.of(ds, b, c, k);
      }
      return new Tensor[] {dxT, Tensor.of(dw, c, 1, k),
          bIn == null ? null : Tensor.vector(db), dState};
    }, inputs);
    return new Result(xi, lastInputs(x, state, b, n, c, k));
  }

  /** The last K inputs (B, C, K), oldest first: the state after the last token; differentiable views. */
  private static Tensor lastInputs(Tensor x, Tensor state, int b, int n, int c, int k) {
    Tensor last;
    if (n >= k) {
      last = x.narrow(1, n - k, k);
    } else {
      Tensor prefix = state == null ? Tensor.zeros(b, k - 1, c) : state.narrow(2, 1, k - 1).transpose(1, 2);
      last = Tensor.cat(List.of(prefix, x), 1).narrow(1, n - 1, k); // (B, K - 1 + S, C), then the last K
    }
    return last.transpose(1, 2).contiguous();
  }

  /** In place over [c0, c1) of the row at o: pre[o + i] = ξ, out[o + i] = ξ σ(ξ). */
  private static void silu(float[] out, int o, float[] pre, int c0, int c1) {
    int i = c0;
    for (int up = c0 + F.loopBound(c1 - c0); i < up; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, out, o + i);
      v.intoArray(pre, o + i);
      v.div(Lanes.exp(v.neg()).add(1f)).intoArray(out, o + i);
    }
    for (; i < c1; i++) {
      float v = out[o + i];
      pre[o + i] = v;
      out[o + i] = v / (1 + Lanes.exp(-v));
    }
  }

  /** gs[i] = g[go + i] σ(ξ) (1 + ξ (1 - σ(ξ))) over [c0, c1), ξ = pre[po + i]: silu's backward. */
  private static void siluBackward(float[] pre, int po, float[] g, int go, float[] gs, int c0, int c1) {
    int i = c0;
    for (int up = c0 + F.loopBound(c1 - c0); i < up; i += F.length()) {
      FloatVector v = FloatVector.fromArray(F, pre, po + i);
      FloatVector sg = v.broadcast(1f).div(Lanes.exp(v.neg()).add(1f));
      FloatVector slope = v.mul(sg).mul(sg.neg().add(1f));
      FloatVector.fromArray(F, g, go + i).mul(sg.add(slope)).intoArray(gs, i);
    }
    for (; i < c1; i++) {
      float v = pre[po + i], sg = 1 / (1 + Lanes.exp(-v));
      gs[i] = g[go + i] * (sg + v * sg * (1 - sg));
    }
  }

  /** weight (C, 1, K) as (K, C): a tap's weights along the channels. */
  private static float[] transposed(Tensor weight, int c, int k) {
    float[] w = weight.contiguous().toArray();
    float[] wT = new float[k * c];
    for (int ch = 0; ch < c; ch++) for (int j = 0; j < k; j++) wT[j * c + ch] = w[ch * k + j];
    return wT;
  }

  /**
   * The rows x_τ of every batch row, τ from -(K-1): x's own rows (any row strides, channels
   * contiguous) for τ >= 0, and the state's last K - 1 columns (zeros without a state),
   * transposed once to (B, K-1, C), for τ < 0.
   */
  private record Rows(Tensor x, float[] prefix, int n, int c, int k, int sb, int st) {
    static Rows of(Tensor x0, int b, int n, int c, int k, Tensor state) {
      Tensor x = x0.strides()[2] == 1 ? x0 : x0.contiguous();
      float[] prefix = new float[b * (k - 1) * c];
      if (state != null) {
        Tensor sc = state.contiguous();
        float[] sv = sc.storage();
        int so = sc.offset();
        for (int bi = 0; bi < b; bi++) {
          for (int p = 0; p < k - 1; p++) {
            for (int ch = 0; ch < c; ch++) prefix[(bi * (k - 1) + p) * c + ch] = sv[so + (bi * c + ch) * k + p + 1];
          }
        }
      }
      return new Rows(x, prefix, n, c, k, x.strides()[0], x.strides()[1]);
    }

    float[] array(int tau) {
      return tau >= 0 ? x.storage() : prefix;
    }

    int offset(int bi, int tau) {
      return tau >= 0 ? x.offset() + bi * sb + tau * st : (bi * (k - 1) + k - 1 + tau) * c;
    }
  }

  /** y[yo + i] += a[ao + i] · x[xo + i] for i in [c0, c1). */
  private static void axpy(float[] a, int ao, float[] x, int xo, float[] y, int yo, int c0, int c1) {
    int i = c0;
    for (int up = c0 + F.loopBound(c1 - c0); i < up; i += F.length()) {
      FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, x, xo + i), FloatVector.fromArray(F, y, yo + i))
          .intoArray(y, yo + i);
    }
    for (; i < c1; i++) y[yo + i] += a[ao + i] * x[xo + i];
  }

  /** acc[ao + i] += g[go + i] · x[xo + i] for i in [c0, c1). */
  private static void mulAdd(float[] g, int go, float[] x, int xo, float[] acc, int ao, int c0, int c1) {
    axpy(g, go, x, xo, acc, ao, c0, c1);
  }

  /** y[yo + i] += x[xo + i] for i in [c0, c1). */
  private static void add(float[] x, int xo, float[] y, int yo, int c0, int c1) {
    int i = c0;
    for (int up = c0 + F.loopBound(c1 - c0); i < up; i += F.length()) {
      FloatVector.fromArray(F, x, xo + i).add(FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
    }
    for (; i < c1; i++) y[yo + i] += x[xo + i];
  }
}
