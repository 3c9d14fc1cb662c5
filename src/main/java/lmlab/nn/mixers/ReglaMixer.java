package lmlab.nn.mixers;

import java.util.List;
import lmlab.autograd.Autograd;
import lmlab.nn.Linear;
import lmlab.nn.Workspace;
import lmlab.tensor.ActivationKernels;
import lmlab.tensor.Arena;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * ReGLA (Lu et al. 2025, arXiv 2502.01578), GLA with the paper's three changes as mixers.md fixes
 * them: normalised exponential features {@code φ_q(q) = exp(q - max_i q_i)}, keys shifted by the
 * running maximum {@code M_t = max(M_{t-1}, max_i k_t[i])} (M_0 = 0), the variance-reduction
 * scale {@code c = 1 / (e · sqrt(d_hk (e² - 1)))}, and the refining gate
 * {@code F = (1 - r) ⊙ f² + r ⊙ (1 - (1 - f)²)}, f = σ(W_f x + b_f), r = σ(W_r x + b_r).
 *
 * <p>Per head: {@code S_t = F_t · exp(M_{t-1} - M_t) · S_{t-1} + exp(k_t - M_t) v_tᵀ},
 * {@code o_t = c · S_tᵀ φ_q(q_t)}: GLA's recurrence with q' = φ_q(q), k' = exp(k - M_t) and
 * log α' = log F - (M_t - M_{t-1}), so it runs on the same scan.
 */
public final class ReglaMixer extends LinearAttentionMixer {
  private Linear fProj;
  private Linear rProj;

  /** The state: S (B, H, d_hk, d_hv) and the running key maximum M (B, H). */
  public record State(Tensor s, Tensor keyMax) implements MixerState {
    @Override
    public List<Tensor> tensors() {
      return List.of(s, keyMax);
    }

    @Override
    public MixerState with(List<Tensor> tensors) {
      return new State(tensors.get(0), tensors.get(1));
    }
  }

  public ReglaMixer(Config c, Rng rng) {
    super(c, rng);
  }

  @Override
  protected void registerGate(Rng rng) {
    fProj = child("f_proj", linear(rng, config.hiddenSize(), config.keyDim(), true));
    rProj = child("r_proj", linear(rng, config.hiddenSize(), config.keyDim(), true));
  }

  @Override
  public MixerState zeroState(int rows) {
    int h = config.numHeads();
    return new State(Tensor.zeros(rows, h, config.headKeyDim(), config.headValueDim()), Tensor.zeros(rows, h));
  }

  /** c = 1 / (e · sqrt(d_hk (e² - 1))), the paper's variance-reduction scale. */
  public static float scale(int headKeyDim) {
    return (float) (1 / (Math.E * Math.sqrt(headKeyDim * (Math.E * Math.E - 1))));
  }

  @Override
  protected ScanInputs scanInputs(Tensor x, Tensor q, Tensor k, MixerState state) {
    int[] s = q.shape();
    int b = s[0], n = s[1], h = s[2];
    Tensor f = fProj.forward(x).sigmoid();
    Tensor r = rProj.forward(x).sigmoid();
    Tensor gate = f.square().add(r.mul(2f).mul(f).mul(f.rsub(1f))); // F = (1 - 2r) f² + 2 r f
    Tensor m0 = state == null ? Tensor.zeros(b, h) : ((State) state).keyMax();
    Tensor keyMax = runningMax(k.max(-1, false), m0); // M_t (B, S, H)
    Tensor before = n == 1 ? m0.unsqueeze(1) : Tensor.cat(List.of(m0.unsqueeze(1), keyMax.narrow(1, 0, n - 1)), 1);
    Tensor phiQ = q.sub(q.max(-1, true)).exp(); // φ_q = exp(q - max_i q_i)
    Tensor phiK = k.sub(keyMax.unsqueeze(-1)).exp(); // φ_k = exp(k - M_t)
    Tensor logDecay = gate.reshape(s).log().sub(keyMax.sub(before).unsqueeze(-1)); // log F - (M_t - M_{t-1})
    return new ScanInputs(phiQ, phiK, logDecay, scale(config.headKeyDim()), keyMax.select(1, n - 1));
  }

  /**
   * M_t = max(M_{t-1}, m_t) along dimension 1 of m (B, S, H), from M_0 = m0 (B, H). The gradient
   * of M_t goes to the element that set the maximum (the first one on a tie), or to m0.
   */
  static Tensor runningMax(Tensor m, Tensor m0) {
    Tensor mc = m.contiguous(), m0c = m0.contiguous();
    int[] s = mc.shape();
    int b = s[0], n = s[1], h = s[2];
    Tensor out = Arena.zeros(b, n, h);
    int[] from = new int[b * n * h]; // the time step whose m set M_t, -1 for m0
    float[] md = mc.storage(), m0d = m0c.storage(), od = out.storage();
    for (int bi = 0; bi < b; bi++) {
      for (int hi = 0; hi < h; hi++) {
        float cur = m0d[m0c.offset() + bi * h + hi];
        int arg = -1;
        for (int t = 0; t < n; t++) {
          int i = (bi * n + t) * h + hi;
          float v = md[mc.offset() + i];
          if (v > cur) {
            cur = v;
            arg = t;
          }
          od[i] = cur;
          from[i] = arg;
        }
      }
    }
    return Autograd.record("running_max", out, g -> {
      Tensor gc = g.contiguous();
      Tensor dm = Arena.zeros(b, n, h), dm0 = Arena.zeros(b, h);
      float[] gd = gc.storage(), dmd = dm.storage(), dm0d = dm0.storage();
      for (int bi = 0; bi < b; bi++) {
        for (int t = 0; t < n; t++) {
          for (int hi = 0; hi < h; hi++) {
            int i = (bi * n + t) * h + hi;
            float gv = gd[gc.offset() + i];
            if (from[i] < 0) dm0d[bi * h + hi] += gv;
            else dmd[(bi * n + from[i]) * h + hi] += gv;
          }
        }
      }
      return new Tensor[] {dm, dm0};
    }, mc, m0c);
  }

  /**
   * Per row, token by token: F = f² + 2 r f (1 - f) from f = σ(W_f x + b_f), r = σ(W_r x + b_r);
   * per head M_t = max(M_{t-1}, max_i k_t[i]) (the state's M, updated), q' = exp(q - max_i q_i),
   * k' = exp(k - M_t), α = F · exp(M_{t-1} - M_t); the scale c.
   */
  @Override
  protected float stepInputs(MixerStepState state, float[] x, float[] q, float[] k, float[] a, int rows, int tokens,
      Workspace ws) {
    int n = rows * tokens, dk = config.keyDim(), h = config.numHeads(), dhk = config.headKeyDim();
    float[] f = ws.floats(this, 6, n * dk);
    float[] r = ws.floats(this, 7, n * dk);
    fProj.step(x, f, n, false, ws);
    rProj.step(x, r, n, false, ws);
    ActivationKernels.sigmoid(f, 0, n * dk);
    ActivationKernels.sigmoid(r, 0, n * dk);
    float[] m = state.array(1); // M (rows, H)
    for (int row = 0; row < rows; row++) {
      for (int t = 0; t < tokens; t++) {
        int i = row * tokens + t;
        for (int hh = 0; hh < h; hh++) {
          int o = i * dk + hh * dhk;
          float before = m[row * h + hh], maxK = before, maxQ = Float.NEGATIVE_INFINITY;
          for (int c = 0; c < dhk; c++) {
            maxK = Math.max(maxK, k[o + c]);
            maxQ = Math.max(maxQ, q[o + c]);
          }
          float shrink = (float) Math.exp(before - maxK);
          for (int c = 0; c < dhk; c++) {
            float fc = f[o + c];
            a[o + c] = (fc * fc + 2 * r[o + c] * fc * (1 - fc)) * shrink; // F · exp(M_{t-1} - M_t)
            q[o + c] = (float) Math.exp(q[o + c] - maxQ);
            k[o + c] = (float) Math.exp(k[o + c] - maxK);
          }
          m[row * h + hh] = maxK;
        }
      }
    }
    return scale(dhk);
  }

  @Override
  protected MixerState stateAfter(Tensor s, Tensor carry) {
    return new State(s, carry);
  }

  @Override
  protected Tensor recurrentState(MixerState state) {
    return ((State) state).s();
  }
}
