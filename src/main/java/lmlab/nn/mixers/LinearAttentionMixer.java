package lmlab.nn.mixers;

import lmlab.autograd.Autograd;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Mixer;
import lmlab.nn.RMSNorm;
import lmlab.nn.StepState;
import lmlab.nn.Workspace;
import lmlab.tensor.ActivationKernels;
import lmlab.tensor.ProductProbe;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * What GLA and ReGLA share (fla {@code GatedLinearAttention}, mixers.md): projections q, k
 * (d_k, d), v and the output gate g (d_v, d), a gated linear recurrence per head, the head
 * RMSNorm with the swish gate, {@code y_t = RMSNorm(o_t) ⊙ w ⊙ silu(g_t)}, and o_proj (d, d_v).
 * A subclass supplies the feature maps and the forget gate, and its state.
 *
 * <p>Two paths, one set of layers: {@link #forward(Tensor, MixerState, int)} (autograd; the
 * chunked form, or the recurrence on autograd ops) for training, and {@link #step} (arrays, no
 * autograd) for decoding, which runs the same projections and norms through their own
 * {@code step} and the recurrent form ({@link GatedLinearScan#step}) on the state in place.
 */
public abstract class LinearAttentionMixer extends Mixer {
  /** Sizes of a GLA or ReGLA layer; the checks name fla's config keys. */
  public record Config(int hiddenSize, int numHeads, double expandK, double expandV, double normEps) {
    public Config {
      if (hiddenSize < 1) throw new IllegalArgumentException("hidden_size must be >= 1, got " + hiddenSize);
      if (numHeads < 1) throw new IllegalArgumentException("num_heads must be >= 1, got " + numHeads);
      int dk = (int) Math.floor(hiddenSize * expandK), dv = (int) Math.floor(hiddenSize * expandV);
      if (dk < 1 || dv < 1) {
        throw new IllegalArgumentException("expand_k and expand_v must give widths >= 1 (hidden_size " + hiddenSize
            + ": d_k = " + dk + ", d_v = " + dv + ")");
      }
      if (dk % numHeads != 0 || dv % numHeads != 0) {
        throw new IllegalArgumentException("num_heads " + numHeads + " must divide the key width d_k = " + dk
            + " (hidden_size · expand_k) and the value width d_v = " + dv + " (hidden_size · expand_v)");
      }
      if (!(normEps > 0)) throw new IllegalArgumentException("norm_eps must be > 0, got " + normEps);
    }

    public int keyDim() {
      return (int) Math.floor(hiddenSize * expandK);
    }

    public int valueDim() {
      return (int) Math.floor(hiddenSize * expandV);
    }

    public int headKeyDim() {
      return keyDim() / numHeads;
    }

    public int headValueDim() {
      return valueDim() / numHeads;
    }
  }

  /** The layer output (B, S, d), o before the head norm (B, S, H, d_hv), and the state after the last token. */
  public record Output(Tensor out, Tensor o, MixerState state) implements Mixer.Result {
    /** A linear-time mixer has no attention weights to show. */
    @Override
    public Tensor weights() {
      return null;
    }
  }

  /** Chunk length of the training form unless a call names another (short chunks suit a CPU: the pairwise part grows with L). */
  public static final int DEFAULT_CHUNK = 16;

  protected final Config config;
  protected final Linear qProj;
  protected final Linear kProj;
  protected final Linear vProj;
  protected final Linear gProj;
  protected final Linear oProj;
  protected final RMSNorm gNorm;

  protected LinearAttentionMixer(Config c, Rng rng) {
    this.config = c;
    int d = c.hiddenSize(), dk = c.keyDim(), dv = c.valueDim();
    qProj = child("q_proj", linear(rng, d, dk, false));
    kProj = child("k_proj", linear(rng, d, dk, false));
    vProj = child("v_proj", linear(rng, d, dv, false));
    gProj = child("g_proj", linear(rng, d, dv, false));
    registerGate(rng);
    oProj = child("o_proj", linear(rng, dv, d, false));
    gNorm = child("g_norm_swish_gate", new RMSNorm(c.headValueDim(), c.normEps()));
  }

  /** fla's initialisation: weights N(0, 0.02²), biases 0. */
  protected static Linear linear(Rng rng, int in, int out, boolean bias) {
    return new Linear(Init.normal(rng, 0.02, out, in), bias ? Tensor.zeros(out) : null);
  }

  /** Registers the forget gate's parameters (between g_proj and o_proj). */
  protected abstract void registerGate(Rng rng);

  /** The zero state for a batch of rows. */
  public abstract MixerState zeroState(int rows);

  /**
   * The scan's inputs: feature-mapped queries and keys, log decays, the scale, and what the
   * state carries besides S after the last token (ReGLA's key maximum; null for GLA).
   */
  protected record ScanInputs(Tensor q, Tensor k, Tensor logDecay, float scale, Tensor carry) {}

  /**
   * From the layer input x and the heads' q, k (B, S, H, d_hk): the scan's inputs. state (null:
   * zero) is the state before x.
   */
  protected abstract ScanInputs scanInputs(Tensor x, Tensor q, Tensor k, MixerState state);

  /** The state after the call from the scan's final S and the carry of scanInputs. */
  protected abstract MixerState stateAfter(Tensor s, Tensor carry);

  /** The recurrent state S of a state, (B, H, d_hk, d_hv), or null for zeros. */
  protected abstract Tensor recurrentState(MixerState state);

  public Config config() {
    return config;
  }

  @Override
  public int hiddenSize() {
    return config.hiddenSize();
  }

  /** fla's name of the layer in a block ({@code model.layers.{i}.attn}). */
  @Override
  public String childName() {
    return "attn";
  }

  /** The layer from the zero state, chunked training form (no attention weights: null). */
  @Override
  public Output forward(Tensor x, boolean returnWeights) {
    return forward(x, null, DEFAULT_CHUNK);
  }

  /** The layer from the zero state, chunked training form. */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, null, DEFAULT_CHUNK).out();
  }

  /**
   * The layer over x (B, S, d) from state (null: zero), with chunks of {@code chunk} tokens, or
   * token by token on autograd ops when chunk is 0.
   */
  public Output forward(Tensor x, MixerState state, int chunk) {
    int[] s = x.shape();
    int d = config.hiddenSize(), h = config.numHeads(), dhk = config.headKeyDim(), dhv = config.headValueDim();
    if (s.length != 3 || s[2] != d) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": input must be (B, S, " + d + "), got " + Shape.str(s));
    }
    if (state != null && state.rows() != s[0]) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": state holds " + state.rows() + " rows, input has " + s[0]);
    }
    int b = s[0], n = s[1];
    Tensor q = qProj.forward(x).reshape(b, n, h, dhk);
    Tensor k = kProj.forward(x).reshape(b, n, h, dhk);
    Tensor v = vProj.forward(x).reshape(b, n, h, dhv);
    ScanInputs in = scanInputs(x, q, k, state);
    Tensor s0 = state == null ? null : recurrentState(state);
    GatedLinearScan.Result r = chunk > 0
        ? GatedLinearScan.chunked(in.q(), in.k(), v, in.logDecay(), s0, in.scale(), chunk)
        : GatedLinearScan.recurrent(in.q(), in.k(), v, in.logDecay(), s0, in.scale());
    Tensor o = r.out(); // (B, S, H, d_hv)
    Tensor gate = gProj.forward(x).reshape(b, n, h, dhv).silu();
    Tensor y = gNorm.forward(o).mul(gate); // RMSNorm(o_t) ⊙ w ⊙ silu(g_t), per head
    Tensor out = oProj.forward(y.reshape(b, n, h * dhv));
    return new Output(out, o, stateAfter(r.state(), in.carry()));
  }

  /**
   * New tokens x (B, T, d) from state, without autograd: the chunked forward over the T tokens
   * (what a prompt of tensors takes; {@link #step} is the decoding path on arrays).
   */
  public Output step(MixerState state, Tensor x) {
    try (var g = Autograd.noGrad()) {
      return forward(x, state, DEFAULT_CHUNK);
    }
  }

  /** The zero state of rows rows with a position per row: S (and ReGLA's M), constant in size. */
  @Override
  public MixerStepState newState(int rows) {
    if (rows < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": rows must be >= 1, got " + rows);
    for (Linear l : new Linear[] {qProj, kProj, vProj, gProj, oProj}) l.checkSteps();
    return new MixerStepState(getClass().getSimpleName(), zeroState(rows));
  }

  /**
   * The recurrent form on tokens new tokens of every row, in place on the state: the projections
   * on their own kernels (one vector: matrix-vector; several: one matrix product), the subclass's
   * features and decays ({@link #stepInputs}), per head {@code S_t = diag(α_t) S_{t-1} + k_t v_tᵀ},
   * {@code o_t = scale · S_tᵀ q_t}, then {@code y = RMSNorm(o) ⊙ w ⊙ silu(g)} and o_proj into y.
   */
  @Override
  public void step(StepState state, float[] x, float[] y, int tokens, boolean accumulate, Workspace ws) {
    if (!(state instanceof MixerStepState st) || st.value().getClass() != zeroState(1).getClass()) {
      throw new IllegalArgumentException(getClass().getSimpleName() + ": step needs the state of its own newState, got "
          + (state == null ? "null" : state.getClass().getSimpleName()));
    }
    int rows = st.rows(), n = rows * tokens;
    int dk = config.keyDim(), dv = config.valueDim(), h = config.numHeads();
    int dhk = config.headKeyDim(), dhv = config.headValueDim();
    float[] q = ws.floats(this, 0, n * dk);
    float[] k = ws.floats(this, 1, n * dk);
    float[] v = ws.floats(this, 2, n * dv);
    float[] g = ws.floats(this, 3, n * dv);
    float[] a = ws.floats(this, 4, n * dk);
    float[] o = ws.floats(this, 5, n * dv);
    qProj.step(x, q, n, false, ws);
    kProj.step(x, k, n, false, ws);
    vProj.step(x, v, n, false, ws);
    gProj.step(x, g, n, false, ws);
    float scale = stepInputs(st, x, q, k, a, rows, tokens, ws);
    float[] s = st.array(0);
    for (int r = 0; r < rows; r++) {
      for (int t = 0; t < tokens; t++) { // tokens in order: the state carries from one to the next
        int i = r * tokens + t;
        for (int hh = 0; hh < h; hh++) {
          GatedLinearScan.step(s, (r * h + hh) * dhk * dhv, q, i * dk + hh * dhk, k, i * dk + hh * dhk, v,
              i * dv + hh * dhv, a, i * dk + hh * dhk, scale, o, i * dv + hh * dhv, dhk, dhv);
        }
      }
    }
    // the analyser's count: per state element α·S, k·v and their sum (3), the read-out q·S (2)
    if (ProductProbe.active()) ProductProbe.reportElementwise("gated linear scan (recurrent form)", 5L * n * h * dhk * dhv);
    gNorm.step(o, o, n * h, false, ws); // RMSNorm(o_t) ⊙ w per head (in place: each vector is read before written)
    ActivationKernels.siluGate(g, o, n * dv); // ⊙ silu(g_t)
    oProj.step(o, y, n, accumulate, ws);
    st.advance(tokens);
  }

  /**
   * The decoding step's scan inputs, for rows × tokens vectors (row-major, tokens in order): maps
   * the projections q, k (n, d_k) in place to the scan's queries and keys, writes the decays α
   * (not their logs) into a (n, d_k), updates any state besides S, and returns the scale. Buffers
   * slots 6 and 7 of ws are the subclass's.
   */
  protected abstract float stepInputs(MixerStepState state, float[] x, float[] q, float[] k, float[] a, int rows,
      int tokens, Workspace ws);
}
