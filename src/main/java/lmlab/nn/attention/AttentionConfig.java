package lmlab.nn.attention;

/**
 * Everything one attention layer is configured by (layers.md, "Attention"; models.md keys in the
 * messages). Validated on construction: every bad value is an {@link IllegalArgumentException}
 * naming the config key and the value.
 *
 * @param hiddenSize d ({@code hidden_size}), the width of input and output
 * @param numHeads n_q ({@code num_attention_heads})
 * @param numKvHeads n_kv ({@code num_key_value_heads}), dividing n_q
 * @param headDim d_h ({@code head_dim})
 * @param qkvBias biases on q_proj, k_proj, v_proj
 * @param oBias a bias on o_proj
 * @param rope rotary embedding of queries and keys, or null for none
 * @param score the score function
 * @param normaliser softmax or ReLU attention
 * @param mask which keys each query sees
 * @param maxPositions S_max ({@code max_position_embeddings}), 0 when unknown; informational
 *     (block_local carries its own)
 * @param dropout on the attention weights and on the output, in [0, 1)
 */
public record AttentionConfig(int hiddenSize, int numHeads, int numKvHeads, int headDim, boolean qkvBias,
    boolean oBias, Rope rope, ScoreFunction score, Normaliser normaliser, AttentionMask mask, int maxPositions,
    float dropout) {

  public AttentionConfig {
    if (hiddenSize < 1) throw new IllegalArgumentException("hidden_size = " + hiddenSize + " must be >= 1");
    if (numHeads < 1) throw new IllegalArgumentException("num_attention_heads = " + numHeads + " must be >= 1");
    if (numKvHeads < 1) throw new IllegalArgumentException("num_key_value_heads = " + numKvHeads + " must be >= 1");
    if (numHeads % numKvHeads != 0) {
      throw new IllegalArgumentException("num_attention_heads = " + numHeads
          + " is not divisible by num_key_value_heads = " + numKvHeads
          + " (grouped-query attention shares each key/value head among n_q / n_kv query heads)");
    }
    if (headDim < 1) throw new IllegalArgumentException("head_dim = " + headDim + " must be >= 1");
    if (rope != null && headDim % 2 != 0) {
      throw new IllegalArgumentException("head_dim = " + headDim
          + " is odd; RoPE (position = rope) rotates pairs of channels and needs an even head_dim");
    }
    if (rope != null && rope.headDim() != headDim) {
      throw new IllegalArgumentException("RoPE was built for head_dim = " + rope.headDim() + ", but head_dim = " + headDim);
    }
    if (score == null) throw new IllegalArgumentException("score must be given (scaled_dot by default), got null");
    if (normaliser == null) throw new IllegalArgumentException("attention must be softmax or relu, got null");
    if (mask == null) throw new IllegalArgumentException("mask must be given (causal by default), got null");
    if (maxPositions < 0) {
      throw new IllegalArgumentException("max_position_embeddings = " + maxPositions + " must be >= 0");
    }
    if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("dropout = " + dropout + " must be in [0, 1)");
  }

  /**
   * Multi-head causal softmax attention with scaled dot scores, d_h = d / n_q, all four biases,
   * no RoPE, no dropout; adjust with the {@code with...} methods.
   */
  public static AttentionConfig of(int hiddenSize, int numHeads) {
    if (numHeads < 1 || hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException("hidden_size = " + hiddenSize + " is not divisible by num_attention_heads = "
          + numHeads + " (give head_dim explicitly)");
    }
    return new AttentionConfig(hiddenSize, numHeads, numHeads, hiddenSize / numHeads, true, true, null,
        ScoreFunction.SCALED_DOT, Normaliser.SOFTMAX, AttentionMask.causal(), 0, 0f);
  }

  /** n_q / n_kv, the query heads sharing one key/value head. */
  public int groupSize() {
    return numHeads / numKvHeads;
  }

  public AttentionConfig withKvHeads(int n) {
    return new AttentionConfig(hiddenSize, numHeads, n, headDim, qkvBias, oBias, rope, score, normaliser, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withHeadDim(int d) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, d, qkvBias, oBias, rope, score, normaliser, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withBias(boolean qkv, boolean o) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkv, o, rope, score, normaliser, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withRope(Rope r) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, r, score, normaliser, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withScore(ScoreFunction s) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, rope, s, normaliser, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withNormaliser(Normaliser n) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, rope, score, n, mask,
        maxPositions, dropout);
  }

  public AttentionConfig withMask(AttentionMask m) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, rope, score, normaliser, m,
        maxPositions, dropout);
  }

  public AttentionConfig withMaxPositions(int n) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, rope, score, normaliser, mask,
        n, dropout);
  }

  public AttentionConfig withDropout(float p) {
    return new AttentionConfig(hiddenSize, numHeads, numKvHeads, headDim, qkvBias, oBias, rope, score, normaliser, mask,
        maxPositions, p);
  }
}
