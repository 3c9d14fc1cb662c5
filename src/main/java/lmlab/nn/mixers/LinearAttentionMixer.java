package lmlab.nn.mixers;

import lmlab.autograd.Autograd;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.RMSNorm;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * What GLA and ReGLA share (fla {@code GatedLinearAttention}, mixers.md): projections q, k
 * (d_k, d), v and the output gate g (d_v, d), a gated linear recurrence per head, the head
 * RMSNorm with the swish gate, {@code y_t = RMSNorm(o_t) ⊙ w ⊙ silu(g_t)}, and o_proj (d, d_v).
 * A subclass supplies the feature maps and the forget gate, and its state.
 */
public abstract class LinearAttentionMixer extends Module {
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
  public record Output(Tensor out, Tensor o, MixerState state) {}

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

  /** The layer from the zero state, chunked training form. */
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
   * Decoding: new tokens x (B, T, d) from state, without autograd; the same forward (chunked
   * over the T tokens), so decoding cannot drift from training.
   */
  public Output step(MixerState state, Tensor x) {
    try (var g = Autograd.noGrad()) {
      return forward(x, state, DEFAULT_CHUNK);
    }
  }
}
