package lmlab.models;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import lmlab.nn.Embedding;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.RMSNorm;
import lmlab.nn.SwiGlu;
import lmlab.nn.mixers.GlaMixer;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.MixerState;
import lmlab.nn.mixers.ReglaMixer;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The {@code gla} language model (fla {@code GLAForCausalLM}, Yang et al. 2023) and lmlab's
 * {@code regla}, the same model with ReGLA layers (mixers.md): embeddings, N pre-norm blocks
 * {@code x = x + attn(attn_norm(x)); x = x + mlp(mlp_norm(x))} with a SwiGLU mlp, the final
 * norm and the head (tied: {@code x Eᵀ}). Tensor names are fla's ({@code model.embeddings.weight},
 * {@code model.layers.{i}.attn.*}, ...). Every RMSNorm uses norm_eps.
 */
public final class GlaLm extends LanguageModel {
  /** The model's sizes: the layer config plus the LM's own keys. */
  public record Spec(boolean regla, int vocabSize, int numHiddenLayers, LinearAttentionMixer.Config layer,
      int intermediateSize, boolean tieWordEmbeddings) {
    public Spec {
      if (vocabSize < 1) throw new IllegalArgumentException("vocab_size must be >= 1, got " + vocabSize);
      if (numHiddenLayers < 1) throw new IllegalArgumentException("num_hidden_layers must be >= 1, got " + numHiddenLayers);
      if (intermediateSize < 1) throw new IllegalArgumentException("intermediate_size must be >= 1, got " + intermediateSize);
    }

    public String modelType() {
      return regla ? "regla" : "gla";
    }

    /** fla's GatedMLP width when intermediate_size is null: 256 · ceil(floor(d · ratio · 2/3) / 256). */
    public static int derivedIntermediateSize(int hiddenSize, double hiddenRatio) {
      int raw = (int) Math.floor(hiddenSize * hiddenRatio * 2 / 3);
      return 256 * ((raw + 255) / 256);
    }
  }

  /** One pre-norm block. */
  static final class Block extends Module {
    final RMSNorm attnNorm;
    final LinearAttentionMixer attn;
    final RMSNorm mlpNorm;
    final SwiGlu mlp;

    Block(Spec s, Rng rng) {
      LinearAttentionMixer.Config c = s.layer();
      attnNorm = child("attn_norm", new RMSNorm(c.hiddenSize(), c.normEps()));
      attn = child("attn", s.regla() ? new ReglaMixer(c, rng) : new GlaMixer(c, rng));
      mlpNorm = child("mlp_norm", new RMSNorm(c.hiddenSize(), c.normEps()));
      mlp = child("mlp", new SwiGlu(c.hiddenSize(), s.intermediateSize(), false, rng));
      if (rng != null) for (Tensor w : mlp.parameters()) w.copy_(Init.normal(rng, 0.02, w.shape()));
    }
  }

  static final class Body extends Module {
    final Embedding embeddings;
    final List<Block> layers = new ArrayList<>();
    final RMSNorm norm;

    Body(Spec s, Rng rng) {
      int d = s.layer().hiddenSize();
      embeddings = child("embeddings", new Embedding(s.vocabSize(), d, rng));
      embeddings.weight().copy_(Init.normal(rng, 0.02, s.vocabSize(), d));
      Module list = child("layers", new MixerModels.Layers());
      for (int i = 0; i < s.numHiddenLayers(); i++) layers.add(MixerModels.addChild(list, Integer.toString(i), new Block(s, rng)));
      norm = child("norm", new RMSNorm(d, s.layer().normEps()));
    }
  }

  private final Spec spec;
  private final Body model;
  private final Linear lmHead;

  /** fla's initialisation (every Linear weight and the embedding N(0, 0.02²), biases 0, norms 1); rng null: zeros. */
  public GlaLm(Spec spec, Rng rng) {
    this.spec = spec;
    this.model = child("model", new Body(spec, rng));
    int d = spec.layer().hiddenSize();
    this.lmHead = spec.tieWordEmbeddings()
        ? new Linear(model.embeddings.weight(), null)
        : child("lm_head", new Linear(Init.normal(rng, 0.02, spec.vocabSize(), d), null));
  }

  public Spec spec() {
    return spec;
  }

  @Override
  public int vocabSize() {
    return spec.vocabSize();
  }

  /** The zero decoding state of every layer for a batch of rows. */
  public List<MixerState> zeroStates(int rows) {
    List<MixerState> out = new ArrayList<>();
    for (Block b : model.layers) out.add(b.attn.zeroState(rows));
    return out;
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, LinearAttentionMixer.DEFAULT_CHUNK, request).output();
  }

  /**
   * From per-layer states (null: zero) with chunks of {@code chunk} tokens (0: token by token on
   * autograd ops). The extras hold each layer's state tensors, {@code state.<layer>.<i>}.
   */
  public MixerModels.Result forward(IntTensor tokens, List<MixerState> states, int chunk, Request request) {
    checkTokens(spec.modelType(), tokens, spec.vocabSize());
    if (request.attentions()) throw new IllegalArgumentException(spec.modelType() + " has no attention weights to return");
    MixerModels.checkStates(spec.modelType(), states, model.layers.size());
    Tensor x = model.embeddings.forward(tokens);
    List<Tensor> hidden = new ArrayList<>();
    List<MixerState> after = new ArrayList<>();
    for (int i = 0; i < model.layers.size(); i++) {
      Block b = model.layers.get(i);
      LinearAttentionMixer.Output o = b.attn.forward(b.attnNorm.forward(x), states == null ? null : states.get(i), chunk);
      x = x.add(o.out()); // x + attn(attn_norm(x))
      x = x.add(b.mlp.forward(b.mlpNorm.forward(x))); // x + mlp(mlp_norm(x))
      hidden.add(x);
      after.add(o.state());
    }
    Tensor logits = lmHead.forward(model.norm.forward(x));
    Tensor hs = request.hiddenStates() ? Tensor.stack(hidden, 1) : null;
    return new MixerModels.Result(new Output(logits, hs, null, MixerModels.extras(after)), after);
  }

  /** Decoding: new tokens (B, T) from the layers' states, without autograd. */
  public MixerModels.Result step(List<MixerState> states, IntTensor tokens) {
    try (var g = lmlab.autograd.Autograd.noGrad()) {
      return forward(tokens, states, LinearAttentionMixer.DEFAULT_CHUNK, Request.LOGITS);
    }
  }

  /** fla's GLAConfig keys. */
  @Override
  public ObjectNode config() {
    LinearAttentionMixer.Config c = spec.layer();
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", spec.modelType());
    o.put("vocab_size", spec.vocabSize());
    o.put("hidden_size", c.hiddenSize());
    o.put("num_hidden_layers", spec.numHiddenLayers());
    o.put("num_heads", c.numHeads());
    o.put("expand_k", c.expandK());
    o.put("expand_v", c.expandV());
    o.put("intermediate_size", spec.intermediateSize());
    o.put("hidden_act", "swish");
    o.put("norm_eps", c.normEps());
    o.put("tie_word_embeddings", spec.tieWordEmbeddings());
    return o;
  }
}
