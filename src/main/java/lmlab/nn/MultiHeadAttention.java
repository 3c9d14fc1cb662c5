package lmlab.nn;

import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Causal multi-head self-attention (layers.md, "Attention"): {@code q_proj}, {@code k_proj},
 * {@code v_proj} (n_q·d_h, d) and {@code o_proj} (d, n_q·d_h), scaled dot-product scores
 * {@code q·k / sqrt(d_h)}, the causal mask (j <= t) applied as -inf before the softmax, and
 * {@code o_proj(merge_heads(A @ V))}.
 *
 * <p>Heads are split as {@code split_heads(x)[b, h, s, j] = x[b, s, h·d_h + j]}: a view
 * (B, S, H, d_h) transposed to (B, H, S, d_h), never copied, so the two batched matmuls of a
 * forward pass run straight on the projections' storage (the engine maps the transposed views to
 * GEMM layouts). {@link #mergeHeads} is the exact inverse.
 *
 * <p>Dropout (when {@code dropout > 0} and in training mode) acts on the attention weights and
 * on the output of {@code o_proj}. The weights returned on request are the softmax probabilities
 * before dropout, (B, H, S, S), with masked entries exactly 0.
 *
 * <p>Grouped-query attention, RoPE, other masks, score functions and ReLU attention are
 * configuration to be added (issue 5): the projections already take the key/value width
 * separately, and {@link #scores} / {@link #normalise} are the places those options act.
 */
public final class MultiHeadAttention extends Layer {
  /** The attended values and, on request, the attention weights (B, H, S, S), else null. */
  public record Output(Tensor out, Tensor weights) {}

  private final Linear qProj;
  private final Linear kProj;
  private final Linear vProj;
  private final Linear oProj;
  private final int hidden;
  private final int numHeads;
  private final int headDim;
  private final float dropout;
  private final Rng dropoutRng;

  /**
   * @param hidden d, the width of the input and of the output
   * @param numHeads n_q (> 0)
   * @param headDim d_h (> 0); {@code hidden / numHeads} is the usual choice, see
   *     {@link #MultiHeadAttention(int, int, boolean, Rng)}
   * @param qkvBias biases on q_proj, k_proj, v_proj ({@code attention_bias})
   * @param oBias a bias on o_proj ({@code o_proj_bias})
   * @param dropout probability in [0, 1) for the attention weights and the output
   * @param rng initialises the projections (PyTorch's default Linear init) and draws the dropout
   *     masks; may be shared with other modules
   */
  public MultiHeadAttention(int hidden, int numHeads, int headDim, boolean qkvBias, boolean oBias, float dropout,
      Rng rng) {
    this(hidden, numHeads, headDim, qkvBias, oBias, dropout, rng, rng);
  }

  /** As above, with separate generators for the initial weights and for the dropout masks. */
  public MultiHeadAttention(int hidden, int numHeads, int headDim, boolean qkvBias, boolean oBias, float dropout,
      Rng initRng, Rng dropoutRng) {
    if (hidden < 1 || numHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("MultiHeadAttention: hidden size (" + hidden + "), number of heads ("
          + numHeads + ") and head dim (" + headDim + ") must be >= 1");
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("MultiHeadAttention: dropout must be in [0, 1), got " + dropout);
    }
    this.hidden = hidden;
    this.numHeads = numHeads;
    this.headDim = headDim;
    this.dropout = dropout;
    if (dropout > 0 && dropoutRng == null) {
      throw new IllegalArgumentException("MultiHeadAttention: dropout " + dropout + " needs an Rng for its masks");
    }
    this.dropoutRng = dropoutRng;
    int inner = Math.multiplyExact(numHeads, headDim);
    this.qProj = child("q_proj", new Linear(hidden, inner, qkvBias, initRng));
    this.kProj = child("k_proj", new Linear(hidden, inner, qkvBias, initRng));
    this.vProj = child("v_proj", new Linear(hidden, inner, qkvBias, initRng));
    this.oProj = child("o_proj", new Linear(inner, hidden, oBias, initRng));
  }

  /** d_h = hidden / numHeads (which must divide), all four biases as given, no dropout. */
  public MultiHeadAttention(int hidden, int numHeads, boolean bias, Rng rng) {
    this(hidden, numHeads, headDimOf(hidden, numHeads), bias, bias, 0f, rng);
  }

  private static int headDimOf(int hidden, int numHeads) {
    if (numHeads < 1 || hidden % numHeads != 0) {
      throw new IllegalArgumentException("MultiHeadAttention: hidden size " + hidden
          + " is not divisible by the number of heads " + numHeads + " (give head_dim explicitly)");
    }
    return hidden / numHeads;
  }

  /** out (B, S, d) for x (B, S, d). */
  @Override
  public Tensor forward(Tensor x) {
    return forward(x, false).out();
  }

  /** out (B, S, d) and, when returnWeights, the attention weights (B, H, S, S). */
  public Output forward(Tensor x, boolean returnWeights) {
    if (x.dim() != 3 || x.size(2) != hidden) {
      throw new IllegalArgumentException("MultiHeadAttention: input must be (B, S, " + hidden + "), got shape "
          + Shape.str(x.shape()));
    }
    Tensor q = splitHeads(qProj.forward(x), numHeads); // (B, H, S, d_h) views
    Tensor k = splitHeads(kProj.forward(x), numHeads);
    Tensor v = splitHeads(vProj.forward(x), numHeads);
    Tensor weights = normalise(scores(q, k));
    Tensor attended = weights.dropout(dropout, dropoutRng, isTraining()).matmul(v); // (B, H, S, d_h)
    Tensor out = oProj.forward(mergeHeads(attended)).dropout(dropout, dropoutRng, isTraining());
    return new Output(out, returnWeights ? weights : null);
  }

  /**
   * Scaled dot-product scores (B, H, S, S) with the causal mask applied: s[t, j] = q_t·k_j /
   * sqrt(d_h) for j <= t, -inf above the diagonal. The scale is applied to q (S·d_h products
   * rather than S·S).
   */
  private Tensor scores(Tensor q, Tensor k) {
    int s = q.size(2);
    Tensor scaled = q.mul((float) (1 / Math.sqrt(headDim)));
    return scaled.matmul(k.transpose(-2, -1)).maskedFill(causalMask(s), Float.NEGATIVE_INFINITY);
  }

  /** Softmax over the allowed keys; masked entries come out exactly 0. */
  private static Tensor normalise(Tensor scores) {
    return scores.softmax(-1);
  }

  /** (S, S): 1 where key j may not be seen by query t (j > t), else 0. */
  public static Tensor causalMask(int s) {
    float[] m = new float[s * s];
    for (int t = 0; t < s; t++) {
      for (int j = t + 1; j < s; j++) m[t * s + j] = 1f;
    }
    return Tensor.of(m, s, s);
  }

  /** (B, S, H·d_h) → (B, H, S, d_h) with out[b, h, s, j] = x[b, s, h·d_h + j]; a view of x. */
  public static Tensor splitHeads(Tensor x, int numHeads) {
    if (x.dim() != 3 || numHeads < 1 || x.size(2) % numHeads != 0) {
      throw new IllegalArgumentException("splitHeads: need (B, S, H·d_h) with H = " + numHeads
          + " dividing the last dimension, got shape " + Shape.str(x.shape()));
    }
    int b = x.size(0);
    int s = x.size(1);
    return x.reshape(b, s, numHeads, x.size(2) / numHeads).transpose(1, 2);
  }

  /** (B, H, S, d_h) → (B, S, H·d_h), the exact inverse of {@link #splitHeads}. */
  public static Tensor mergeHeads(Tensor x) {
    if (x.dim() != 4) {
      throw new IllegalArgumentException("mergeHeads: need (B, H, S, d_h), got shape " + Shape.str(x.shape()));
    }
    return x.transpose(1, 2).reshape(x.size(0), x.size(2), x.size(1) * x.size(3));
  }

  public Linear qProj() {
    return qProj;
  }

  public Linear kProj() {
    return kProj;
  }

  public Linear vProj() {
    return vProj;
  }

  public Linear oProj() {
    return oProj;
  }

  public int hiddenSize() {
    return hidden;
  }

  public int numHeads() {
    return numHeads;
  }

  public int headDim() {
    return headDim;
  }

  public float dropout() {
    return dropout;
  }
}
