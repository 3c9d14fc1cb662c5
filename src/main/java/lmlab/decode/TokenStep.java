package lmlab.decode;

import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import lmlab.kernels.Lanes;
import lmlab.models.Transformer;
import lmlab.nn.Activation;
import lmlab.nn.DyT;
import lmlab.nn.FeedForward;
import lmlab.nn.LayerNorm;
import lmlab.nn.Linear;
import lmlab.nn.Mlp;
import lmlab.nn.MultiHeadAttention;
import lmlab.nn.Norm;
import lmlab.nn.Positions;
import lmlab.nn.RMSNorm;
import lmlab.nn.SwiGlu;
import lmlab.nn.TransformerBlock;
import lmlab.nn.attention.Decoding;
import lmlab.nn.attention.LayerKvCache;
import lmlab.tensor.Tensor;

/**
 * One decoding step of a {@link Transformer} for a single sequence and a single token — the
 * shape of greedy generation — on plain arrays: the model's own parameters read in place, buffers
 * allocated once, matrix-vector products ({@link MatVec}) in place of the general GEMM, and no
 * autograd. The attention over the cache is the layer's own incremental step ({@link Decoding}),
 * so the keys and values live in the same {@link LayerKvCache}s as on the general path, and the
 * logits equal {@link Transformer#forwardIncremental} (and so the full forward pass).
 *
 * <p>Per block: {@code x += o_proj(attn(norm_1(x)))}, {@code x += mlp(norm_2(x))}; then the final
 * norm and the head (the token embedding when tied). Built per cache, since it keeps references to
 * the parameters' storage.
 */
final class TokenStep {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private final Transformer model;
  private final int d;
  private final int vocab;
  private final Vec embed;
  private final Positions positions;
  private final boolean learned;
  private final int maxPositions;
  private final List<Block> blocks = new ArrayList<>();
  private final NormOp finalNorm;
  private final Group head;

  // buffers, reused every step
  private final float[] x;
  private final float[] n;
  private final float[] logits;

  /** A parameter's storage and offset (parameters are contiguous). */
  private record Vec(float[] a, int off) {
    static Vec of(Tensor t) {
      if (t == null) return null;
      Tensor c = t.contiguous();
      if (c != t) throw new IllegalStateException("TokenStep: parameter of shape " + java.util.Arrays.toString(t.shape())
          + " is not contiguous");
      return new Vec(c.storage(), c.offset());
    }
  }

  @FunctionalInterface
  private interface NormOp {
    void apply(float[] in, float[] out);
  }

  private record Proj(Vec w, Vec b, int out, int in) {
    static Proj of(Linear l) {
      return new Proj(Vec.of(l.weight()), Vec.of(l.bias()), l.outFeatures(), l.inFeatures());
    }

    /** The product W x (+ b) stored into dst, or added to it with accumulate. */
    MatVec.Product into(float[] dst, boolean accumulate) {
      return new MatVec.Product(w.a, w.off, out, in, b == null ? null : b.a, b == null ? 0 : b.off, dst, accumulate);
    }

    MatVec.Product into(float[] dst) {
      return into(dst, false);
    }
  }

  /**
   * Products of one input run together (one wake-up of the pool), built once: a step allocates
   * nothing. next is the group after this one in a step (the last one's is the first, for the next
   * token) that the pool shares too, whose weights the helper reads ahead.
   */
  private static final class Group {
    final MatVec.Product[] products;
    final int rows;
    final long weights;
    Group next;

    private Group(MatVec.Product[] products, int rows, long weights) {
      this.products = products;
      this.rows = rows;
      this.weights = weights;
    }

    static Group of(MatVec.Product... ps) {
      int rows = 0;
      long weights = 0;
      for (MatVec.Product p : ps) {
        rows += p.out();
        weights += (long) p.out() * p.in();
      }
      return new Group(ps, rows, weights);
    }

    void apply(float[] x) {
      MatVec.multiply(products, rows, weights, x, next == null ? null : next.products, next == null ? 0 : next.rows);
    }

    /** Sets each group's next: the following one in order (cyclically) large enough to be shared. */
    static void link(List<Group> order) {
      for (int i = 0; i < order.size(); i++) {
        for (int k = 1; k <= order.size(); k++) {
          Group g = order.get((i + k) % order.size());
          if (g.weights >= MatVec.PARALLEL_MIN) {
            order.get(i).next = g;
            break;
          }
        }
      }
    }
  }

  private record Block(NormOp norm1, MultiHeadAttention attn, Group qkv, Group o, NormOp norm2, Group gateUp,
      Group down, Activation act, boolean gated, float[] qb, float[] kb, float[] vb, float[] merged, float[] hidden,
      float[] gate) {}

  private TokenStep(Transformer model, List<Block> blocks, NormOp finalNorm, float[] x, float[] n) {
    this.model = model;
    var c = model.transformerConfig();
    this.d = c.hiddenSize();
    this.vocab = c.vocabSize();
    this.embed = Vec.of(model.embedTokens().weight());
    this.positions = model.positions();
    this.learned = c.position() == lmlab.models.TransformerConfig.Position.LEARNED;
    this.maxPositions = c.maxPositionEmbeddings();
    this.blocks.addAll(blocks);
    this.finalNorm = finalNorm;
    Linear lm = model.lmHead();
    Vec headW = lm != null ? Vec.of(lm.weight()) : embed; // tied: logits = h · Eᵀ, E (V, d) as a Linear weight
    Vec headB = lm != null ? Vec.of(lm.bias()) : null;
    this.x = x;
    this.n = n;
    this.logits = new float[vocab];
    this.head = Group.of(new Proj(headW, headB, vocab, d).into(logits));
    List<Group> order = new ArrayList<>(); // the order a step runs them in
    for (Block b : blocks) order.addAll(List.of(b.qkv, b.o, b.gateUp, b.down));
    order.add(head);
    Group.link(order);
  }

  /** The step for model, or null when one of its parts has no array form here (the general path then applies). */
  static TokenStep of(Transformer model) {
    int d = model.transformerConfig().hiddenSize();
    float[] x = new float[d]; // the residual stream, which o_proj and down_proj add to
    float[] n = new float[d];
    List<Block> blocks = new ArrayList<>();
    for (TransformerBlock b : model.layers()) {
      NormOp n1 = norm(b.inputLayernorm());
      NormOp n2 = norm(b.postAttentionLayernorm());
      MultiHeadAttention a = b.selfAttn();
      FeedForward ff = b.mlp();
      if (n1 == null || n2 == null) return null;
      Proj gate;
      Proj up;
      Proj down;
      Activation act;
      if (ff instanceof SwiGlu s) {
        gate = Proj.of(s.gateProj());
        up = Proj.of(s.upProj());
        down = Proj.of(s.downProj());
        act = Activation.SILU;
      } else if (ff instanceof Mlp m) {
        gate = null;
        up = Proj.of(m.upProj());
        down = Proj.of(m.downProj());
        act = m.activation();
      } else {
        return null;
      }
      int qw = a.numHeads() * a.headDim();
      int kvw = a.numKvHeads() * a.headDim();
      float[] qb = new float[qw];
      float[] kb = new float[kvw];
      float[] vb = new float[kvw];
      float[] hidden = new float[ff.hiddenDim()];
      float[] gateBuf = gate == null ? null : new float[ff.hiddenDim()];
      Group qkv = Group.of(Proj.of(a.qProj()).into(qb), Proj.of(a.kProj()).into(kb), Proj.of(a.vProj()).into(vb));
      Group gateUp = gate == null ? Group.of(up.into(hidden)) : Group.of(gate.into(gateBuf), up.into(hidden));
      float[] merged = new float[qw];
      blocks.add(new Block(n1, a, qkv, Group.of(Proj.of(a.oProj()).into(x, true)), n2, gateUp,
          Group.of(down.into(x, true)), act, gate != null, qb, kb, vb, merged, hidden, gateBuf));
    }
    NormOp fin = norm(model.finalNorm());
    return fin == null ? null : new TokenStep(model, blocks, fin, x, n);
  }

  /**
   * The logits (V) of token at the caches' next position, which every layer cache advances past.
   * The returned array is this step's buffer: valid until the next call.
   */
  float[] logits(int token, List<LayerKvCache> caches) {
    if (token < 0 || token >= vocab) {
      throw new IllegalArgumentException("Transformer: token id " + token + " is outside the vocabulary [0, " + vocab
          + ") (vocab_size " + vocab + ")");
    }
    int p = caches.get(0).seen();
    if (learned && p >= maxPositions) {
      throw new IllegalArgumentException("Transformer: positions up to " + p + " exceed max_position_embeddings "
          + maxPositions + " (the learned position table)");
    }
    System.arraycopy(embed.a, embed.off + token * d, x, 0, d);
    if (positions != null) {
      Tensor row = positions.table(p, 1).contiguous(); // P[p]
      float[] pa = row.storage();
      int po = row.offset();
      for (int i = 0; i < d; i++) x[i] += pa[po + i];
    }
    for (int l = 0; l < blocks.size(); l++) {
      Block b = blocks.get(l);
      b.norm1.apply(x, n);
      b.qkv.apply(n); //                                                  q, k, v = W_{q,k,v} norm_1(x) (+ b)
      // q and k are rotated in place (RoPE); merged = merge_heads(A @ V) of this token
      Decoding.step(b.attn.config(), b.attn.scoreParams(), 1, 1, b.qb, b.kb, b.vb, caches.get(l), b.merged);
      b.o.apply(b.merged); //                                             x += o_proj(attn(norm_1(x)))
      b.norm2.apply(x, n);
      b.gateUp.apply(n); //                                               up(n) (and gate(n))
      if (b.gated) { //                                                   SwiGLU: silu(gate(n)) · up(n)
        swish(b.gate, b.hidden, b.hidden);
      } else {
        activate(b.act, b.hidden);
      }
      b.down.apply(b.hidden); //                                          x += mlp(norm_2(x))
    }
    finalNorm.apply(x, n);
    head.apply(n);
    return logits;
  }

  Transformer model() {
    return model;
  }

  /** out = silu(g) · m = g / (1 + e^-g) · m, or silu(g) alone when m is null. */
  private static void swish(float[] g, float[] m, float[] out) {
    int i = 0;
    for (int iv = g.length - g.length % L; i < iv; i += L) {
      FloatVector gv = FloatVector.fromArray(S, g, i);
      FloatVector y = gv.div(Lanes.exp(gv.neg()).add(1f));
      (m == null ? y : y.mul(FloatVector.fromArray(S, m, i))).intoArray(out, i);
    }
    for (; i < g.length; i++) out[i] = g[i] / (1f + Lanes.exp(-g[i])) * (m == null ? 1f : m[i]);
  }

  /** act in place; the common ones inline, the rest through the tensor op. */
  private static void activate(Activation act, float[] h) {
    switch (act) {
      case GELU_TANH -> { // 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
        final float k = (float) Math.sqrt(2 / Math.PI);
        int i = 0;
        for (int iv = h.length - h.length % L; i < iv; i += L) {
          FloatVector v = FloatVector.fromArray(S, h, i);
          FloatVector inner = v.mul(v).mul(v).mul(0.044715f).add(v).mul(k);
          v.mul(0.5f).mul(Lanes.tanh(inner).add(1f)).intoArray(h, i);
        }
        for (; i < h.length; i++) {
          float v = h[i];
          h[i] = 0.5f * v * (1f + Lanes.tanh(k * (v + 0.044715f * v * v * v)));
        }
      }
      case RELU -> {
        for (int i = 0; i < h.length; i++) h[i] = Math.max(0f, h[i]);
      }
      case SILU -> swish(h, null, h);
      default -> {
        float[] y = act.apply(Tensor.of(h, h.length)).toArray();
        System.arraycopy(y, 0, h, 0, h.length);
      }
    }
  }

  /** The norm as an array operation, or null for a kind this class does not know. */
  private static NormOp norm(Norm norm) {
    if (norm instanceof LayerNorm ln) { // (x - mean) / sqrt(var + eps) · w + b, var biased
      Vec w = Vec.of(ln.weight());
      Vec b = Vec.of(ln.bias());
      double eps = ln.eps();
      return (in, out) -> {
        int d = in.length;
        double mean = 0;
        for (float v : in) mean += v;
        mean /= d;
        double var = 0;
        for (float v : in) var += (v - mean) * (v - mean);
        float inv = (float) (1 / Math.sqrt(var / d + eps));
        for (int i = 0; i < d; i++) {
          float y = (float) (in[i] - mean) * inv;
          if (w != null) y *= w.a[w.off + i];
          if (b != null) y += b.a[b.off + i];
          out[i] = y;
        }
      };
    }
    if (norm instanceof RMSNorm rn) { // x / sqrt(mean(x²) + eps) · w
      Vec w = Vec.of(rn.weight());
      double eps = rn.eps();
      return (in, out) -> {
        int d = in.length;
        double ss = 0;
        for (float v : in) ss += (double) v * v;
        float inv = (float) (1 / Math.sqrt(ss / d + eps));
        for (int i = 0; i < d; i++) out[i] = in[i] * inv * (w == null ? 1f : w.a[w.off + i]);
      };
    }
    if (norm instanceof DyT dy) { // w · tanh(alpha x) + b
      Vec w = Vec.of(dy.weight());
      Vec b = Vec.of(dy.bias());
      Vec alpha = Vec.of(dy.alpha());
      return (in, out) -> {
        float a = alpha.a[alpha.off];
        for (int i = 0; i < in.length; i++) {
          float y = Lanes.tanh(a * in[i]) * w.a[w.off + i];
          out[i] = b == null ? y : y + b.a[b.off + i];
        }
      };
    }
    return null;
  }
}
