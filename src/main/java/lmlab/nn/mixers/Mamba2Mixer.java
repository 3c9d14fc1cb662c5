package lmlab.nn.mixers;

import java.util.List;
import lmlab.autograd.Autograd;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Mixer;
import lmlab.nn.Module;
import lmlab.nn.StepState;
import lmlab.nn.Workspace;
import lmlab.tensor.ActivationKernels;
import lmlab.tensor.ProductProbe;
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
 *
 * <p>Training runs {@link #forward(Tensor, State, int)} (autograd, SSD chunks); decoding runs
 * {@link #step}: the same projections through their own kernels and the recurrent form on the
 * state's arrays in place (conv window and SSM state).
 */
public final class Mamba2Mixer extends Mixer {
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
  public record Output(Tensor out, Tensor y, State state) implements Mixer.Result {
    /** No attention weights. */
    @Override
    public Tensor weights() {
      return null;
    }
  }

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
  }

  public Config config() {
    return config;
  }

  /** The zero state for a batch of rows. */
  public State zeroState(int rows) {
    return new State(Tensor.zeros(rows, config.convDim(), config.convKernel()),
        Tensor.zeros(rows, config.numHeads(), config.headDim(), config.stateSize()));
  }

  @Override
  public int hiddenSize() {
    return config.hiddenSize();
  }

  /** Hugging Face's name of the layer in a block ({@code backbone.layers.{i}.mixer}). */
  @Override
  public String childName() {
    return "mixer";
  }

  /** The layer from the zero state, chunked training form (no attention weights: null). */
  @Override
  public Output forward(Tensor u, boolean returnWeights) {
    return forward(u, null, DEFAULT_CHUNK);
  }

  /** The layer from the zero state, chunked training form. */
  @Override
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
    CausalConv1d.Result conv = CausalConv1d.applySilu(xbc, conv1d.weight, conv1d.bias, state == null ? null : state.conv());
    Tensor act = conv.out(); // silu(causal_conv1d(xBC)), one kernel
    Tensor x = act.narrow(-1, 0, di).reshape(b, n, h, c.headDim());
    Tensor bm = act.narrow(-1, di, gn).reshape(b, n, c.nGroups(), c.stateSize());
    Tensor cm = act.narrow(-1, di + gn, gn).reshape(b, n, c.nGroups(), c.stateSize());
    Tensor delta = dt.add(dtBias).softplus(); // Δ = softplus(δ + dt_bias)
    if (c.clampsTimeStep()) delta = delta.clamp((float) c.timeStepMin(), (float) c.timeStepMax());
    Tensor a = aLog.exp().neg(); // A = -exp(A_log)
    Ssd.Result r = Ssd.apply(x, delta, a, bm, cm, d, state == null ? null : state.ssm(), chunk);
    Tensor y = r.y().reshape(b, n, di);
    // RMSNorm(y ⊙ silu(z)) per group of d_inner / G channels, times norm.weight
    Tensor normed = GatedRmsNorm.apply(y, z, norm.weight, c.nGroups(), (float) c.layerNormEpsilon());
    return new Output(outProj.forward(normed), y, new State(conv.state(), r.state()));
  }

  /** Decoding: new tokens u (B, T, d) from state, without autograd; the same forward. */
  public Output step(State state, Tensor u) {
    try (var g = Autograd.noGrad()) {
      return forward(u, state, DEFAULT_CHUNK);
    }
  }

  /** The zero conv window and SSM state of rows rows with a position per row: constant in size. */
  @Override
  public MixerStepState newState(int rows) {
    if (rows < 1) throw new IllegalArgumentException("Mamba2Mixer: rows must be >= 1, got " + rows);
    inProj.checkSteps();
    outProj.checkSteps();
    return new MixerStepState("Mamba2Mixer", zeroState(rows));
  }

  /**
   * The recurrent form on tokens new tokens of every row, in place on the state: in_proj on its
   * own kernels, then per row and token the conv window shifted left by one with xBC_t appended,
   * {@code ξ[c] = bias[c] + Σ_j weight[c, 0, j] · window[c, j]}, [x | B | C] = silu(ξ),
   * Δ = softplus(δ + dt_bias) (clamped when time_step_limit is finite), per head
   * {@code h = exp(Δ A) h + Δ x Bᵀ}, {@code y = h C + D x}; then the gated per-group RMSNorm
   * and out_proj into y.
   */
  @Override
  public void step(StepState state, float[] u, float[] out, int tokens, boolean accumulate, Workspace ws) {
    if (!(state instanceof MixerStepState st) || !(st.value() instanceof State)) {
      throw new IllegalArgumentException("Mamba2Mixer: step needs the state of its own newState, got "
          + (state == null ? "null" : state.getClass().getSimpleName()));
    }
    Config c = config;
    int rows = st.rows(), n = rows * tokens;
    int di = c.innerDim(), cd = c.convDim(), k = c.convKernel(), h = c.numHeads(), p = c.headDim(), ns = c.stateSize();
    int gn = c.nGroups() * ns, width = c.inProjDim(), perGroup = h / c.nGroups(), groupWidth = di / c.nGroups();
    float[] zx = ws.floats(this, 0, n * width);
    float[] y = ws.floats(this, 1, n * di);
    float[] act = ws.floats(this, 2, cd);
    inProj.step(u, zx, n, false, ws);
    float[] window = st.array(0), ssm = st.array(1);
    Tensor wc = conv1d.weight.contiguous();
    float[] w = wc.storage();
    int wo = wc.offset();
    Tensor bc = conv1d.bias == null ? null : conv1d.bias.contiguous();
    float[] dtb = dtBias.contiguous().storage(), al = aLog.contiguous().storage(), dd = d.contiguous().storage();
    int dtbo = dtBias.contiguous().offset(), alo = aLog.contiguous().offset(), ddo = d.contiguous().offset();
    Tensor nw = norm.weight.contiguous();
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < tokens; t++) {
        int i = r * tokens + t, base = i * width;
        for (int ch = 0; ch < cd; ch++) { // the causal depthwise conv on the window
          int w0 = (r * cd + ch) * k;
          System.arraycopy(window, w0 + 1, window, w0, k - 1);
          window[w0 + k - 1] = zx[base + di + ch];
          float acc = bc == null ? 0f : bc.storage()[bc.offset() + ch];
          for (int j = 0; j < k; j++) acc += w[wo + ch * k + j] * window[w0 + j];
          act[ch] = acc;
        }
        ActivationKernels.silu(act, 0, cd); // [x | B | C]
        for (int hh = 0; hh < h; hh++) {
          float[] dt = {zx[base + di + cd + hh] + dtb[dtbo + hh]};
          ActivationKernels.softplus(dt, 1); // Δ = softplus(δ + dt_bias)
          float delta = dt[0];
          if (c.clampsTimeStep()) delta = (float) Math.min(Math.max(delta, c.timeStepMin()), c.timeStepMax());
          float decay = (float) Math.exp(delta * -Math.exp(al[alo + hh])); // exp(Δ A), A = -exp(A_log)
          int bo = di + (hh / perGroup) * ns, co = di + gn + (hh / perGroup) * ns;
          for (int pp = 0; pp < p; pp++) {
            float xp = act[hh * p + pp], dx = delta * xp;
            int row = ((r * h + hh) * p + pp) * ns;
            float acc = 0;
            for (int m = 0; m < ns; m++) {
              float hv = decay * ssm[row + m] + dx * act[bo + m]; // h = exp(ΔA) h + Δ x Bᵀ
              ssm[row + m] = hv;
              acc += hv * act[co + m]; // y = h C
            }
            y[i * di + hh * p + pp] = acc + dd[ddo + hh] * xp; // + D x
          }
        }
        for (int ch = 0; ch < di; ch++) { // y ⊙ silu(z)
          float z = zx[base + ch];
          y[i * di + ch] *= z / (1 + (float) Math.exp(-z));
        }
        for (int g = 0; g < c.nGroups(); g++) { // RMSNorm per group of d_inner / G channels, times norm.weight
          int o = i * di + g * groupWidth;
          double ss = 0;
          for (int ch = 0; ch < groupWidth; ch++) ss += (double) y[o + ch] * y[o + ch];
          float inv = (float) (1 / Math.sqrt(ss / groupWidth + c.layerNormEpsilon()));
          for (int ch = 0; ch < groupWidth; ch++) y[o + ch] *= inv * nw.storage()[nw.offset() + g * groupWidth + ch];
        }
      }
    }
    if (ProductProbe.active()) { // the analyser's count: conv K multiplies and K adds per channel; SSM 3 + 2 per state element
      ProductProbe.reportElementwise("causal conv1d", 2L * n * k * cd);
      ProductProbe.reportElementwise("SSM state update (recurrent form)", 5L * n * di * ns);
    }
    outProj.step(y, out, n, accumulate, ws);
    st.advance(tokens);
  }
}
