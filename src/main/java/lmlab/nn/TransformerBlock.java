package lmlab.nn;

import lmlab.nn.attention.LayerKvCache;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The pre-norm Transformer block (layers.md): {@code x = x + mix(norm_1(x)); x = x + mlp(norm_2(x))}
 * with norm_1 {@code input_layernorm}, the token {@link Mixer} (attention: {@code self_attn}), norm_2
 * {@code post_attention_layernorm} and the feed-forward layer {@code mlp}. Dropout (when > 0, in
 * training) acts after the MLP; the attention applies its own to its weights and after o_proj.
 */
public final class TransformerBlock extends Layer {
  /** The block output (B, S, d) and, on request, the attention weights (B, H, S, S), else null. */
  public record Output(Tensor out, Tensor attentionWeights) {}

  private final Norm inputLayernorm;
  private final Mixer mixer;
  private final Norm postAttentionLayernorm;
  private final FeedForward mlp;
  private final float dropout;
  private final Rng rng;

  /**
   * Assembles a block from its parts (registered in this order, the Hugging Face one).
   *
   * @param dropout probability in [0, 1) after the MLP
   * @param rng draws the dropout masks; may be null when dropout is 0
   */
  public TransformerBlock(Norm inputLayernorm, Mixer mixer, Norm postAttentionLayernorm,
      FeedForward mlp, double dropout, Rng rng) {
    int d = mixer.hiddenSize();
    if (inputLayernorm.dim() != d || postAttentionLayernorm.dim() != d || mlp.dim() != d) {
      throw new IllegalArgumentException("TransformerBlock: widths disagree: input_layernorm " + inputLayernorm.dim()
          + ", " + mixer.childName() + " " + d + ", post_attention_layernorm " + postAttentionLayernorm.dim() + ", mlp " + mlp.dim());
    }
    this.inputLayernorm = child("input_layernorm", inputLayernorm);
    this.mixer = child(mixer.childName(), mixer);
    this.postAttentionLayernorm = child("post_attention_layernorm", postAttentionLayernorm);
    this.mlp = child("mlp", mlp);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("TransformerBlock: dropout must be in [0, 1), got " + dropout);
    }
    if (dropout > 0 && rng == null) throw new IllegalArgumentException("TransformerBlock: dropout > 0 needs an Rng");
    this.dropout = (float) dropout;
    this.rng = rng;
  }

  @Override
  public Tensor forward(Tensor x) {
    return forward(x, false).out();
  }

  /** The block output (B, S, d) and, when returnWeights, the attention weights (B, H, S, S). */
  public Output forward(Tensor x, boolean returnWeights) {
    if (x.dim() != 3 || x.size(2) != mixer.hiddenSize()) {
      throw new IllegalArgumentException("TransformerBlock: input must be (B, S, " + mixer.hiddenSize()
          + "), got shape " + Shape.str(x.shape()));
    }
    Mixer.Result a = mixer.forward(inputLayernorm.forward(x), returnWeights);
    Tensor h = x.add(a.out()); //                                   x + attn(norm_1(x))
    Tensor m = mlp.forward(postAttentionLayernorm.forward(h)).dropout(dropout, rng, isTraining());
    Tensor out = h.add(m); //                                        h + mlp(norm_2(h))
    return new Output(out, a.weights());
  }

  /** An empty step state for rows sequences: the mixer's (the norms and the MLP keep nothing between tokens). */
  public StepState newState(int rows) {
    return mixer.newState(rows);
  }

  /**
   * The block on tokens new tokens of every row of state, in place on the residual stream x
   * (rows, tokens, d), without autograd or dropout:
   * {@code x += mix(norm_1(x)); x += mlp(norm_2(x))}.
   */
  public void step(StepState state, float[] x, int tokens, Workspace ws) {
    int n = state.rows() * tokens;
    float[] h = ws.floats(this, 0, n * mixer.hiddenSize());
    // each norm made inside the next products' parallel parts (Mixer#stepNormed, Mlp#stepNormed)
    mixer.stepNormed(state, inputLayernorm, x, h, x, tokens, true, ws); //  x += mix(norm_1(x))
    mlp.stepNormed(postAttentionLayernorm, x, h, x, n, true, ws); //        x += mlp(norm_2(x))
  }

  /**
   * The block on T new tokens x (B, T, d) at the cache's next positions: {@link #step} on tensors
   * (the cache's rows are fixed by its first call). Inference only.
   */
  public Tensor forwardIncremental(Tensor x, LayerKvCache cache) {
    if (x.dim() != 3 || x.size(2) != mixer.hiddenSize()) {
      throw new IllegalArgumentException("TransformerBlock: input must be (B, T, " + mixer.hiddenSize()
          + "), got shape " + Shape.str(x.shape()));
    }
    cache.ensureBatch(x.size(0));
    float[] out = x.contiguous().toArray();
    step(cache, out, x.size(1), new Workspace());
    return Tensor.of(out, x.shape());
  }

  public Norm inputLayernorm() {
    return inputLayernorm;
  }

  /** The token mixer. */
  public Mixer mixer() {
    return mixer;
  }

  /** The mixer when it is attention; an error naming the mixer otherwise. */
  public MultiHeadAttention selfAttn() {
    if (mixer instanceof MultiHeadAttention a) return a;
    throw new IllegalStateException("TransformerBlock: the mixer is " + mixer.getClass().getSimpleName()
        + ", not attention");
  }

  public Norm postAttentionLayernorm() {
    return postAttentionLayernorm;
  }

  public FeedForward mlp() {
    return mlp;
  }
}
