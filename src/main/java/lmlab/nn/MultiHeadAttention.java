package lmlab.nn;

import lmlab.nn.weights.ProductGroup;
import lmlab.nn.attention.AttentionConfig;
import lmlab.nn.attention.AttentionMask;
import lmlab.nn.attention.BandAttention;
import lmlab.nn.attention.Decoding;
import lmlab.nn.attention.KvFormat;
import lmlab.nn.attention.LayerKvCache;
import lmlab.nn.attention.Normaliser;
import lmlab.nn.attention.RowWindow;
import lmlab.nn.attention.ScoreFunction;
import lmlab.nn.attention.ScoreParams;
import lmlab.tensor.MemoryProbe;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * Self-attention as configured by an {@link AttentionConfig} (layers.md, "Attention"):
 * {@code q_proj} (n_q·d_h, d), {@code k_proj}, {@code v_proj} (n_kv·d_h, d), {@code o_proj}
 * (d, n_q·d_h); optional RoPE on queries and keys; grouped-query attention (query head h reads
 * key/value head floor(h / (n_q / n_kv))); a score function; softmax or ReLU attention; a mask;
 * {@code o_proj(merge_heads(A @ V))}.
 *
 * <p>Two paths compute the same thing:
 * <ul>
 *   <li>the fused kernel {@code lmlab.nn.attention.BandAttention} for dot-product scores
 *       (scaled_dot, dot, multiplicative) under a structured mask (causal, sliding, dilated,
 *       block_local), attention dropout included: it reads the projections in place, visits only
 *       the visible keys of each query (O(S · visible keys) time and memory, forward and
 *       backward) and never repeats a key/value head;
 *   <li>the dense path (custom masks, concat and additive scores):
 *       (B, n_kv, n_q/n_kv, S, S) scores from broadcast views — the K/V heads are still not
 *       copied — masked with -inf and normalised.
 * </ul>
 *
 * <p>Heads are split as {@code split_heads(x)[b, h, s, j] = x[b, s, h·d_h + j]}. Dropout (when
 * {@code dropout > 0} and in training mode) acts on the attention weights and on the output of
 * {@code o_proj}. The weights returned on request are (B, n_q, S, S), before dropout, masked
 * entries exactly 0; on the fused path they are computed for inspection and carry no gradient.
 *
 * <p>Decoding: {@link #newState} (a {@link LayerKvCache}) and {@link #step} (no autograd).
 */
public final class MultiHeadAttention extends Mixer {
  /** The attended values and, on request, the attention weights (B, n_q, S, S), else null. */
  public record Output(Tensor out, Tensor weights) implements Mixer.Result {}

  private final AttentionConfig cfg;
  private final Linear qProj;
  private final Linear kProj;
  private final Linear vProj;
  private final Linear oProj;
  private final ScoreParams score;
  private final Rng dropoutRng;
  /** How the caches this layer makes store keys and values ({@link #useCacheFormat}); float32 unless asked. */
  private KvFormat cacheFormat = KvFormat.F32;

  /** A layer as configured; rng initialises the weights (null = zeros) and draws dropout masks. */
  public MultiHeadAttention(AttentionConfig cfg, Rng rng) {
    this(cfg, rng, rng);
  }

  /** As above, with separate generators for the initial weights and for the dropout masks. */
  public MultiHeadAttention(AttentionConfig cfg, Rng initRng, Rng dropoutRng) {
    if (cfg == null) throw new IllegalArgumentException("MultiHeadAttention: config is null");
    if (cfg.dropout() > 0 && dropoutRng == null) {
      throw new IllegalArgumentException("MultiHeadAttention: dropout " + cfg.dropout() + " needs an Rng for its masks");
    }
    this.cfg = cfg;
    this.dropoutRng = dropoutRng;
    int qWidth = Math.multiplyExact(cfg.numHeads(), cfg.headDim());
    int kvWidth = Math.multiplyExact(cfg.numKvHeads(), cfg.headDim());
    int d = cfg.hiddenSize();
    this.qProj = child("q_proj", new Linear(d, qWidth, cfg.qkvBias(), initRng));
    this.kProj = child("k_proj", new Linear(d, kvWidth, cfg.qkvBias(), initRng));
    this.vProj = child("v_proj", new Linear(d, kvWidth, cfg.qkvBias(), initRng));
    this.oProj = child("o_proj", new Linear(qWidth, d, cfg.oBias(), initRng));
    ScoreFunction f = cfg.score();
    this.score = f == ScoreFunction.SCALED_DOT || f == ScoreFunction.DOT ? null
        : child("score", new ScoreParams(f, cfg.headDim(), initRng));
  }

  /**
   * Causal multi-head softmax attention with n_kv = n_q.
   *
   * @param hidden d, the width of the input and of the output
   * @param numHeads n_q (> 0)
   * @param headDim d_h (> 0)
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
    this(legacy(hidden, numHeads, headDim, qkvBias, oBias, dropout), initRng, dropoutRng);
  }

  private static AttentionConfig legacy(int hidden, int numHeads, int headDim, boolean qkvBias, boolean oBias,
      float dropout) {
    if (hidden < 1 || numHeads < 1 || headDim < 1) {
      throw new IllegalArgumentException("MultiHeadAttention: hidden size (" + hidden + "), number of heads ("
          + numHeads + ") and head dim (" + headDim + ") must be >= 1");
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("MultiHeadAttention: dropout must be in [0, 1), got " + dropout);
    }
    return new AttentionConfig(hidden, numHeads, numHeads, headDim, qkvBias, oBias, null, ScoreFunction.SCALED_DOT,
        Normaliser.SOFTMAX, AttentionMask.causal(), 0, dropout);
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

  /** out (B, S, d) and, when returnWeights, the attention weights (B, n_q, S, S). */
  @Override
  public Output forward(Tensor x, boolean returnWeights) {
    return forward(x, returnWeights, fused());
  }

  /**
   * As {@link #forward(Tensor, boolean)} but always on the dense path (S × S scores): the
   * reference the fused kernel is tested against.
   */
  public Output forwardDense(Tensor x, boolean returnWeights) {
    return forward(x, returnWeights, false);
  }

  private Output forward(Tensor x, boolean returnWeights, boolean fused) {
    checkInput(x);
    AttentionMeter meter = AttentionMeter.current();
    long start = meter == null ? 0 : System.nanoTime();
    Tensor q = qProj.forward(x); // (B, S, n_q·d_h)
    Tensor k = kProj.forward(x); // (B, S, n_kv·d_h)
    Tensor v = vProj.forward(x);
    if (cfg.rope() != null) {
      q = cfg.rope().applyToHeads(q, cfg.numHeads(), 0);
      k = cfg.rope().applyToHeads(k, cfg.numKvHeads(), 0);
    }
    MemoryProbe.Meter memory = meter == null ? null : MemoryProbe.meter();
    long before = memory == null ? 0 : memory.bytes();
    int keptBefore = memory == null ? 0 : memory.kept().size();
    Output a = fused ? banded(q, k, v, returnWeights) : dense(q, k, v, returnWeights);
    long core = memory == null ? 0 : memory.bytes() - before;
    Tensor out = oProj.forward(a.out()).dropout(cfg.dropout(), dropoutRng, isTraining());
    if (meter != null) {
      long kv = (k.numel() + (long) v.numel()) * Float.BYTES;
      var kept = memory == null ? java.util.List.<MemoryProbe.Kept>of()
          : java.util.List.copyOf(memory.kept().subList(keptBefore, memory.kept().size()));
      meter.add(new AttentionMeter.Layer(kv, core, System.nanoTime() - start, kept));
    }
    return new Output(out, a.weights());
  }

  private void checkInput(Tensor x) {
    if (x.dim() != 3 || x.size(2) != cfg.hiddenSize()) {
      throw new IllegalArgumentException("MultiHeadAttention: input must be (B, S, " + cfg.hiddenSize()
          + "), got shape " + Shape.str(x.shape()));
    }
  }

  /** Whether the fused banded kernel serves this configuration. */
  boolean fused() {
    return cfg.score().isDotProduct() && cfg.mask().structured();
  }

  /**
   * merge_heads(A @ V) (B, S, n_q·d_h) from q (B, S, n_q·d_h), k and v (B, S, n_kv·d_h) on the
   * fused banded kernel.
   */
  private Output banded(Tensor q, Tensor k, Tensor v, boolean returnWeights) {
    int b = q.size(0);
    int s = q.size(1);
    int nq = cfg.numHeads();
    int dh = cfg.headDim();
    Tensor qs = q;
    if (cfg.score() == ScoreFunction.MULTIPLICATIVE) { // q^T W_s k = (q W_s)·k
      qs = q.reshape(b, s, nq, dh).matmul(score.matrix()).reshape(b, s, nq * dh);
    }
    float scale = cfg.score() == ScoreFunction.DOT ? 1f : (float) (1 / Math.sqrt(dh));
    Tensor weights = returnWeights ? Tensor.zeros(b, nq, s, s) : null;
    boolean drop = cfg.dropout() > 0 && isTraining();
    Tensor out = BandAttention.attend(qs, k, v, nq, cfg.numKvHeads(), dh, scale, cfg.mask(), cfg.normaliser(),
        drop ? cfg.dropout() : 0f, drop ? dropoutRng.nextLong() : 0L, weights == null ? null : weights.storage());
    return new Output(out, weights);
  }

  /** The dense path: (B, n_kv, g, S, S) scores over broadcast views, -inf masking, normaliser. */
  private Output dense(Tensor q, Tensor k, Tensor v, boolean returnWeights) {
    int b = q.size(0);
    int s = q.size(1);
    int nq = cfg.numHeads();
    int nkv = cfg.numKvHeads();
    int g = cfg.groupSize();
    int dh = cfg.headDim();
    Tensor q5 = q.reshape(b, s, nkv, g, dh).permute(0, 2, 3, 1, 4); //  (B, n_kv, g, S, d_h)
    Tensor k5 = k.reshape(b, s, nkv, dh).permute(0, 2, 1, 3).unsqueeze(2); // (B, n_kv, 1, S, d_h): shared by the group
    Tensor v5 = v.reshape(b, s, nkv, dh).permute(0, 2, 1, 3).unsqueeze(2);
    Tensor scores = switch (cfg.score()) {
      case SCALED_DOT -> q5.mul((float) (1 / Math.sqrt(dh))).matmul(k5.transpose(-2, -1));
      case DOT -> q5.matmul(k5.transpose(-2, -1));
      // q^T W_s k / sqrt(d_h) = (q W_s)·k / sqrt(d_h)
      case MULTIPLICATIVE -> q5.matmul(score.matrix()).mul((float) (1 / Math.sqrt(dh))).matmul(k5.transpose(-2, -1));
      // w_s · [k_j ; q_t] = w_k · k_j + w_q · q_t
      case CONCAT -> {
        Tensor wk = score.vector().narrow(0, 0, dh).unsqueeze(1); // (d_h, 1)
        Tensor wq = score.vector().narrow(0, dh, dh).unsqueeze(1);
        yield q5.matmul(wq).add(k5.matmul(wk).transpose(-2, -1)); // (.., S, 1) + (.., 1, S)
      }
      // w_s · tanh(W_k k_j + W_q q_t), W_s = [W_k | W_q]
      case ADDITIVE -> {
        Tensor wk = score.matrix().narrow(1, 0, dh); // (d_a, d_h)
        Tensor wq = score.matrix().narrow(1, dh, dh);
        Tensor ek = k5.matmul(wk.transpose(0, 1)).unsqueeze(-3); // (B, n_kv, 1, 1, S, d_a)
        Tensor eq = q5.matmul(wq.transpose(0, 1)).unsqueeze(-2); // (B, n_kv, g, S, 1, d_a)
        yield eq.add(ek).tanh().matmul(score.vector().unsqueeze(1)).squeeze(-1);
      }
    };
    AttentionMask mask = cfg.mask();
    Tensor weights = scores.maskedFill(blocked(mask, s), Float.NEGATIVE_INFINITY);
    if (cfg.normaliser() == Normaliser.SOFTMAX) {
      weights = weights.softmax(-1);
    } else {
      weights = weights.relu().mul(inverseCounts(mask, s)); // relu(s) / n_t; relu(-inf) = 0
    }
    Tensor dropped = weights.dropout(cfg.dropout(), dropoutRng, isTraining());
    Tensor attended = dropped.matmul(v5); // (B, n_kv, g, S, d_h)
    Tensor merged = attended.permute(0, 3, 1, 2, 4).reshape(b, s, nq * dh);
    return new Output(merged, returnWeights ? weights.reshape(b, nq, s, s) : null);
  }

  /** (S, S): 1 where key j may not be seen by query t, else 0. */
  static Tensor blocked(AttentionMask mask, int s) {
    float[] m = new float[s * s];
    for (int t = 0; t < s; t++) {
      boolean any = false;
      for (int j = 0; j < s; j++) {
        boolean ok = mask.allowed(t, j);
        any |= ok;
        m[t * s + j] = ok ? 0f : 1f;
      }
      if (!any) {
        throw new IllegalArgumentException("mask " + mask.spec() + ": query " + t
            + " may see no key; every row needs at least one allowed key");
      }
    }
    return Tensor.of(m, s, s);
  }

  /** (S, 1) of 1 / n_t. */
  private static Tensor inverseCounts(AttentionMask mask, int s) {
    float[] c = new float[s];
    for (int t = 0; t < s; t++) c[t] = 1f / mask.count(t);
    return Tensor.of(c, s, 1);
  }

  /** (S, S): 1 where key j may not be seen by query t (j > t), else 0. */
  public static Tensor causalMask(int s) {
    return blocked(AttentionMask.causal(), s);
  }

  // ---------------------------------------------------------------- incremental decoding

  /** An empty KV cache for this layer (its mask decides how many keys it keeps); rows fixed by the first step. */
  public LayerKvCache newCache() {
    return new LayerKvCache(cfg.mask(), cfg.numKvHeads(), cfg.headDim(), cacheFormat);
  }

  /**
   * Makes every attention layer of root (itself included) keep its KV caches in format from now
   * on (caches made before keep theirs); returns how many layers it set. A decoding setting, as
   * {@code --kv-cache}: training and the full-sequence forward never read a cache.
   */
  public static int useCacheFormat(Module root, KvFormat format) {
    if (format == null) throw new IllegalArgumentException("KV cache format is null");
    int n = 0;
    for (Module m : root.namedModules().values()) {
      if (m instanceof MultiHeadAttention a) {
        a.cacheFormat = format;
        n++;
      }
    }
    return n;
  }

  /** An empty KV cache for rows sequences at position 0 (a ring of the window's size for windowed masks). */
  @Override
  public LayerKvCache newState(int rows) {
    qProj.checkSteps();
    kProj.checkSteps();
    vProj.checkSteps();
    oProj.checkSteps();
    return new LayerKvCache(cfg.mask(), cfg.numKvHeads(), cfg.headDim(), cacheFormat, rows);
  }

  /**
   * o_proj(merge_heads(A @ V)) for the new tokens of every row: q, k, v of the new tokens (one
   * group of matrix-vector products for a single token of a single row, matrix-matrix products
   * otherwise), then the cache step ({@link Decoding#step}: RoPE at each row's positions, append,
   * attend over what the mask lets each query see), then o_proj.
   */
  @Override
  public void step(StepState state, float[] x, float[] y, int tokens, boolean accumulate, Workspace ws) {
    step(state, x, y, tokens, accumulate, ws, null, null);
  }

  /** Workspace slots PART_ROWS + part: the normalised rows of part ≥ 1 of {@link #stepNormed}. */
  private static final int PART_ROWS = 5;

  /** {@link #step} on norm(x): the norm is made inside the q/k/v products' parts (Mixer#stepNormed). */
  @Override
  public void stepNormed(StepState state, Norm norm, float[] x, float[] h, float[] y, int tokens, boolean accumulate,
      Workspace ws) {
    step(state, x, y, tokens, accumulate, ws, norm, h);
  }

  /** The step on a window's rows or on the whole cache; on norm(x), made into h, when norm is given. */
  private void step(StepState state, float[] x, float[] y, int tokens, boolean accumulate, Workspace ws, Norm norm,
      float[] h) {
    if (state instanceof RowWindow w) {
      if (tokens != 1) throw new IllegalArgumentException("MultiHeadAttention: a RowWindow steps one token, got " + tokens);
      cacheOf(w.cache());
      step(null, w, state.rows(), 1, x, y, accumulate, ws, norm, h);
    } else {
      step(cacheOf(state), null, state.rows(), tokens, x, y, accumulate, ws, norm, h);
    }
  }

  private LayerKvCache cacheOf(StepState state) {
    if (!(state instanceof LayerKvCache cache) || cache.mask() != cfg.mask() || cache.numKvHeads() != cfg.numKvHeads()
        || cache.headDim() != cfg.headDim()) {
      throw new IllegalArgumentException("MultiHeadAttention: the state " + state + " was not made by this layer");
    }
    return cache;
  }

  /**
   * The step on the whole cache, or (cache null) on a window's rows; with a norm, on norm(x), made
   * into h (and per part of the q/k/v products, into the workspace's buffers).
   */
  private void step(LayerKvCache cache, RowWindow window, int rows, int tokens, float[] x, float[] y, boolean accumulate,
      Workspace ws, Norm norm, float[] h) {
    int n = rows * tokens;
    int qw = cfg.numHeads() * cfg.headDim();
    int kvw = cfg.numKvHeads() * cfg.headDim();
    float[] q = ws.floats(this, 0, n * qw);
    float[] k = ws.floats(this, 1, n * kvw);
    float[] v = ws.floats(this, 2, n * kvw);
    float[] merged = ws.floats(this, 3, n * qw);
    ProductGroup qkv = ws.group(this, 4, q);
    if (qkv == null || qkv.output(1) != k || qkv.output(2) != v) {
      qkv = ws.keep(this, 4, ProductGroup.of(qProj.product(q, false), kProj.product(k, false), vProj.product(v, false)));
    }
    if (n > 1) { // the layers' own step for n rows is their product's matmul; the analyser counts it here
      qProj.probe(n);
      kProj.probe(n);
      vProj.probe(n);
    }
    if (norm == null) qkv.run(x, n); //                          q, k, v = W_{q,k,v} x (+ b), one hand-off
    else qkv.run(x, n, null, (from, into, r) -> norm.step(from, into, r, false, ws), // of norm(x)
        part -> part == 0 ? h : ws.floats(this, PART_ROWS + part, n * cfg.hiddenSize()));
    if (window != null) window.step(cfg, score, q, k, v, merged); // the window's rows only
    else Decoding.step(cfg, score, rows, tokens, q, k, v, cache, merged); // merge_heads(A @ V); q, k rotated in place
    oProj.step(merged, y, n, accumulate, ws); //                 o_proj(..)
  }

  /**
   * Attention output (B, T, d) for T new tokens xNew (B, T, d) at absolute positions
   * cache.seen() .. cache.seen() + T - 1: {@link #step} on tensors (the cache's rows are fixed by
   * its first call). Inference only: nothing is recorded for autograd and dropout is off.
   */
  public Tensor forwardIncremental(Tensor xNew, LayerKvCache cache) {
    checkInput(xNew);
    if (cache == null) throw new IllegalArgumentException("forwardIncremental: cache is null (use newCache())");
    cacheOf(cache);
    int b = xNew.size(0);
    int t = xNew.size(1);
    float[] y = new float[b * t * cfg.hiddenSize()];
    step(cache, null, b, t, xNew.contiguous().toArray(), y, false, new Workspace(), null, null);
    return Tensor.of(y, b, t, cfg.hiddenSize());
  }

  // ---------------------------------------------------------------- accessors

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

  @Override
  public String childName() {
    return "self_attn";
  }

  public AttentionConfig config() {
    return cfg;
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

  /** The score function's parameters, or null for scaled_dot and dot. */
  public ScoreParams scoreParams() {
    return score;
  }

  @Override
  public int hiddenSize() {
    return cfg.hiddenSize();
  }

  public int numHeads() {
    return cfg.numHeads();
  }

  public int numKvHeads() {
    return cfg.numKvHeads();
  }

  public int headDim() {
    return cfg.headDim();
  }

  public float dropout() {
    return cfg.dropout();
  }
}
