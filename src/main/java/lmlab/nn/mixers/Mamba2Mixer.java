package lmlab.nn.mixers;

import java.util.List;
import lmlab.autograd.Autograd;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The Mamba-2 mixer (Dao and Gu 2024, arXiv 2405.21060; mamba_ssm {@code Mamba2} with Hugging
 * Face {@code Mamba2ForCausalLM} tensor names), per token:
 *
 * <pre>
 *   [z | xBC | δ] = in_proj(u)                       widths d_inner, conv_dim, H
 *   [x | B | C]   = silu(causal_conv1d(xBC))         widths d_inner, G·N, G·N
 *   Δ = softplus(δ + dt_bias), A = -exp(A_log)
 *   h_t = exp(Δ_t A) h_{t-1} + Δ_t x_t B_tᵀ,  y_t = h_t C_t + D x_t      (per head, {@link Ssd})
 *   out = out_proj(RMSNorm_per_group(y ⊙ silu(z)) ⊙ norm.weight)
 * </pre>
 *
 * The gated norm works per group of d_inner / G channels, as mamba_ssm's (mixers.md).
 */
public final class Mamba2Mixer extends Module {
  /** Sizes of a Mamba-2 layer; the checks name Hugging Face Mamba2Config's keys. */
  public record Config(int hiddenSize, int stateSize, int expand, int headDim, int numHeads, int nGroups,
      int convKernel, boolean useBias, boolean useConvBias, double layerNormEpsilon,
      double timeStepMin, double timeStepMax) {
    public Config {
      positive("hidden_size", hiddenSize);
      positive("state_size", stateSize);
      positive("expand", expand);
      positive("head_dim", headDim);
      positive("num_heads", numHeads);
      positive("n_groups", nGroups);
      positive("conv_kernel", convKernel);
      if ((long) numHeads * headDim != (long) expand * hiddenSize) {
        throw new IllegalArgumentException("num_heads · head_dim must equal expand · hidden_size: " + numHeads + " · "
            + headDim + " = " + (long) numHeads * headDim + ", " + expand + " · " + hiddenSize + " = "
            + (long) expand * hiddenSize);
      }
      if (numHeads % nGroups != 0) {
        throw new IllegalArgumentException("n_groups " + nGroups + " must divide num_heads " + numHeads);
      }
      if (!(layerNormEpsilon > 0)) throw new IllegalArgumentException("layer_norm_epsilon must be > 0, got " + layerNormEpsilon);
      if (!(timeStepMin >= 0) || !(timeStepMax > timeStepMin)) {
        throw new IllegalArgumentException("time_step_limit must be [min, max] with 0 <= min < max, got ["
            + timeStepMin + ", " + timeStepMax + "]");
      }
    }

    private static void positive(String key, int v) {
      if (v < 1) throw new IllegalArgumentException(key + " must be >= 1, got " + v);
    }

    public int innerDim() {
      return expand * hiddenSize;
    }

    public int convDim() {
      return innerDim() + 2 * nGroups * stateSize;
    }

    public int inProjDim() {
      return 2 * innerDim() + 2 * nGroups * stateSize + numHeads;
    }

    /** Whether Δ is clamped: Hugging Face clamps unless the limit is the default [0, ∞]. */
    public boolean clampsTimeStep() {
      return timeStepMin != 0 || timeStepMax != Double.POSITIVE_INFINITY;
    }
  }

  /** The layer output (B, S, d), y before the gated norm (B, S, d_inner), and the state after the last token. */
  public record Output(Tensor out, Tensor y, State state) {}

  /** The state: the conv window (B, conv_dim, K) and the SSM state (B, H, P, N). */
  public record State(Tensor conv, Tensor ssm) implements MixerState {
    @Override
    public List<Tensor> tensors() {
      return List.of(conv, ssm);
    }

    @Override
    public MixerState with(List<Tensor> tensors) {
      return new State(tensors.get(0), tensors.get(1));
    }
  }

  /** conv1d: weight (conv_dim, 1, K) and bias (conv_dim,), PyTorch Conv1d's default init U(±1/√K). */
  static final class Conv extends Module {
    final Tensor weight;
    final Tensor bias;

    Conv(int channels, int k, boolean bias, Rng rng) {
      float bound = (float) (1 / Math.sqrt(k));
      weight = parameter("weight", Init.uniform(rng, bound, channels, 1, k));
      this.bias = bias ? parameter("bias", Init.uniform(rng, bound, channels)) : null;
    }
  }

  /** The gated RMSNorm's weight (d_inner,). */
  static final class GatedNorm extends Module {
    final Tensor weight;

    GatedNorm(int d) {
      weight = parameter("weight", Tensor.ones(d));
    }
  }

  public static final int DEFAULT_CHUNK = 16;

  private final Config config;
  private final Linear inProj;
  private final Conv conv1d;
  private final Tensor dtBias;
  private final Tensor aLog;
  private final Tensor d;
  private final GatedNorm norm;
  private final Linear outProj;
  private final Tensor groupOnes;

  /**
   * mamba_ssm's initialisation: in_proj and conv1d PyTorch's defaults, out_proj the same divided
   * by sqrt(numLayers), dt_bias = softplus⁻¹(Δ0) with Δ0 = exp(U(log 0.001, log 0.1)) >= 1e-4,
   * A_log = log U(1, 16), D = 1.
   */
  public Mamba2Mixer(Config c, int numLayers, Rng rng) {
    this.config = c;
    int dm = c.hiddenSize(), di = c.innerDim(), h = c.numHeads();
    inProj = child("in_proj", new Linear(dm, c.inProjDim(), c.useBias(), rng));
    if (c.useBias()) inProj.bias().fill_(0f);
    conv1d = child("conv1d", new Conv(c.convDim(), c.convKernel(), c.useConvBias(), rng));
    float[] dt = new float[h], al = new float[h];
    for (int i = 0; i < h; i++) {
      double u = rng == null ? 0.5 : rng.nextFloat();
      double dt0 = Math.max(1e-4, Math.exp(Math.log(0.001) + u * (Math.log(0.1) - Math.log(0.001))));
      dt[i] = (float) (dt0 + Math.log(-Math.expm1(-dt0))); // softplus⁻¹(Δ0)
      al[i] = (float) Math.log(1 + 15 * (rng == null ? 0.5 : rng.nextFloat()));
    }
    dtBias = parameter("dt_bias", Tensor.vector(dt));
    aLog = parameter("A_log", Tensor.vector(al));
    d = parameter("D", Tensor.ones(h));
    norm = child("norm", new GatedNorm(di));
    outProj = child("out_proj", new Linear(di, dm, c.useBias(), rng));
    outProj.weight().copy_(outProj.weight().detach().div((float) Math.sqrt(Math.max(1, numLayers))));
    if (c.useBias()) outProj.bias().fill_(0f);
    groupOnes = Tensor.ones(di / c.nGroups());
  }

  public Config config() {
    return config;
  }

  /** The zero state for a batch of rows. */
  public State zeroState(int rows) {
    return new State(Tensor.zeros(rows, config.convDim(), config.convKernel()),
        Tensor.zeros(rows, config.numHeads(), config.headDim(), config.stateSize()));
  }

  /** The layer from the zero state, chunked training form. */
  public Tensor forward(Tensor u) {
    return forward(u, null, DEFAULT_CHUNK).out();
  }

  /**
   * The layer over u (B, S, d) from state (null: zero), with SSD chunks of {@code chunk} tokens,
   * or token by token on autograd ops when chunk is 0.
   */
  public Output forward(Tensor u, State state, int chunk) {
    int[] s = u.shape();
    Config c = config;
    if (s.length != 3 || s[2] != c.hiddenSize()) {
      throw new IllegalArgumentException("Mamba2Mixer: input must be (B, S, " + c.hiddenSize() + "), got " + Shape.str(s));
    }
    if (state != null && state.rows() != s[0]) {
      throw new IllegalArgumentException("Mamba2Mixer: state holds " + state.rows() + " rows, input has " + s[0]);
    }
    int b = s[0], n = s[1], di = c.innerDim(), gn = c.nGroups() * c.stateSize(), h = c.numHeads();
    Tensor zxbcdt = inProj.forward(u);
    Tensor z = zxbcdt.narrow(-1, 0, di);
    Tensor xbc = zxbcdt.narrow(-1, di, c.convDim());
    Tensor dt = zxbcdt.narrow(-1, di + c.convDim(), h);
    CausalConv1d.Result conv = CausalConv1d.apply(xbc, conv1d.weight, conv1d.bias, state == null ? null : state.conv());
    Tensor act = conv.out().silu();
    Tensor x = act.narrow(-1, 0, di).reshape(b, n, h, c.headDim());
    Tensor bm = act.narrow(-1, di, gn).reshape(b, n, c.nGroups(), c.stateSize());
    Tensor cm = act.narrow(-1, di + gn, gn).reshape(b, n, c.nGroups(), c.stateSize());
    Tensor delta = dt.add(dtBias).softplus(); // Δ = softplus(δ + dt_bias)
    if (c.clampsTimeStep()) delta = delta.clamp((float) c.timeStepMin(), (float) c.timeStepMax());
    Tensor a = aLog.exp().neg(); // A = -exp(A_log)
    Ssd.Result r = Ssd.apply(x, delta, a, bm, cm, d, state == null ? null : state.ssm(), chunk);
    Tensor y = r.y().reshape(b, n, di);
    Tensor gated = y.mul(z.silu()); // y ⊙ silu(z), then RMSNorm per group of d_inner / G channels
    Tensor normed = gated.reshape(b, n, c.nGroups(), di / c.nGroups())
        .rmsNorm(groupOnes, (float) c.layerNormEpsilon()).reshape(b, n, di).mul(norm.weight);
    return new Output(outProj.forward(normed), y, new State(conv.state(), r.state()));
  }

  /** Decoding: new tokens u (B, T, d) from state, without autograd; the same forward. */
  public Output step(State state, Tensor u) {
    try (var g = Autograd.noGrad()) {
      return forward(u, state, DEFAULT_CHUNK);
    }
  }
}
