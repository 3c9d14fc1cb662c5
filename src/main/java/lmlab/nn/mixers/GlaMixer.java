package lmlab.nn.mixers;

import java.util.List;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.Workspace;
import lmlab.tensor.ActivationKernels;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * Gated linear attention (Yang et al. 2023, arXiv 2312.06635; fla {@code GatedLinearAttention}):
 * per head {@code S_t = diag(α_t) S_{t-1} + k_t v_tᵀ}, {@code o_t = S_tᵀ q_t / sqrt(d_hk)}, with
 * the low-rank forget gate {@code log α = logsigmoid(W_gk1 (W_gk0 x) + b_gk1) / 16}.
 */
public final class GlaMixer extends LinearAttentionMixer {
  /** fla's gate_low_rank_dim and gate_logit_normalizer, which GLAForCausalLM keeps. */
  public static final int GATE_RANK = 16;
  public static final float GATE_NORMALIZER = 16f;

  private LowRankGate gkProj;

  /** The state: S (B, H, d_hk, d_hv). */
  public record State(Tensor s) implements MixerState {
    @Override
    public List<Tensor> tensors() {
      return List.of(s);
    }

    @Override
    public MixerState with(List<Tensor> tensors) {
      return new State(tensors.get(0));
    }
  }

  /** gk_proj: Linear(d, 16) without bias, then Linear(16, d_k) with bias (fla's nn.Sequential). */
  static final class LowRankGate extends Module {
    final Linear down;
    final Linear up;

    LowRankGate(int d, int dk, Rng rng) {
      down = child("0", linear(rng, d, GATE_RANK, false));
      up = child("1", linear(rng, GATE_RANK, dk, true));
    }
  }

  public GlaMixer(Config c, Rng rng) {
    super(c, rng);
  }

  @Override
  protected void registerGate(Rng rng) {
    gkProj = child("gk_proj", new LowRankGate(config.hiddenSize(), config.keyDim(), rng));
  }

  @Override
  public MixerState zeroState(int rows) {
    return new State(Tensor.zeros(rows, config.numHeads(), config.headKeyDim(), config.headValueDim()));
  }

  @Override
  protected ScanInputs scanInputs(Tensor x, Tensor q, Tensor k, MixerState state) {
    int[] s = q.shape();
    // log α = logsigmoid(W_gk1 (W_gk0 x) + b_gk1) / 16
    Tensor logDecay = gkProj.up.forward(gkProj.down.forward(x)).logSigmoid().div(GATE_NORMALIZER).reshape(s);
    return new ScanInputs(q, k, logDecay, (float) (1 / Math.sqrt(config.headKeyDim())), null);
  }

  /** q and k as they are; α = exp(logsigmoid(W_gk1 (W_gk0 x) + b_gk1) / 16); scale 1/sqrt(d_hk). */
  @Override
  protected float stepInputs(MixerStepState state, float[] x, float[] q, float[] k, float[] a, int rows, int tokens,
      Workspace ws) {
    int n = rows * tokens, dk = config.keyDim();
    float[] low = ws.floats(this, 6, n * GATE_RANK);
    gkProj.down.step(x, low, n, false, ws);
    gkProj.up.step(low, a, n, false, ws);
    ActivationKernels.logSigmoid(a, n * dk);
    for (int i = 0; i < n * dk; i++) a[i] = (float) Math.exp(a[i] / GATE_NORMALIZER);
    return (float) (1 / Math.sqrt(config.headKeyDim()));
  }

  @Override
  protected MixerState stateAfter(Tensor s, Tensor carry) {
    return new State(s);
  }

  @Override
  protected Tensor recurrentState(MixerState state) {
    return ((State) state).s();
  }
}
