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
import lmlab.nn.mixers.Mamba2Mixer;
import lmlab.nn.mixers.MixerState;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The {@code mamba2} language model (Hugging Face {@code Mamba2ForCausalLM}, Dao and Gu 2024):
 * {@code backbone.embeddings}, N blocks {@code x = x + mixer(norm(x))} (no MLP),
 * {@code backbone.norm_f} and the head (tied: {@code x Eᵀ}). Every RMSNorm uses
 * layer_norm_epsilon.
 */
public final class Mamba2Lm extends LanguageModel {
  /** The model's sizes: the layer config plus the LM's own keys. */
  public record Spec(int vocabSize, int numHiddenLayers, Mamba2Mixer.Config layer, boolean tieWordEmbeddings) {
    public Spec {
      if (vocabSize < 1) throw new IllegalArgumentException("vocab_size must be >= 1, got " + vocabSize);
      if (numHiddenLayers < 1) throw new IllegalArgumentException("num_hidden_layers must be >= 1, got " + numHiddenLayers);
    }
  }

  static final class Block extends Module {
    final RMSNorm norm;
    final Mamba2Mixer mixer;

    Block(Spec s, Rng rng) {
      norm = child("norm", new RMSNorm(s.layer().hiddenSize(), s.layer().layerNormEpsilon()));
      mixer = child("mixer", new Mamba2Mixer(s.layer(), s.numHiddenLayers(), rng));
    }
  }

  static final class Backbone extends Module {
    final Embedding embeddings;
    final List<Block> layers = new ArrayList<>();
    final RMSNorm normF;

    Backbone(Spec s, Rng rng) {
      int d = s.layer().hiddenSize();
      embeddings = child("embeddings", new Embedding(s.vocabSize(), d, rng));
      embeddings.weight().copy_(Init.normal(rng, 0.02, s.vocabSize(), d));
      Module list = child("layers", new MixerModels.Layers());
      for (int i = 0; i < s.numHiddenLayers(); i++) layers.add(MixerModels.addChild(list, Integer.toString(i), new Block(s, rng)));
      normF = child("norm_f", new RMSNorm(d, s.layer().layerNormEpsilon()));
    }
  }

  private final Spec spec;
  private final Backbone backbone;
  private final Linear lmHead;

  /** mamba_ssm's initialisation (Mamba2Mixer), embedding and untied head N(0, 0.02²); rng null: zeros. */
  public Mamba2Lm(Spec spec, Rng rng) {
    this.spec = spec;
    this.backbone = child("backbone", new Backbone(spec, rng));
    int d = spec.layer().hiddenSize();
    this.lmHead = spec.tieWordEmbeddings()
        ? new Linear(backbone.embeddings.weight(), null)
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
    for (Block b : backbone.layers) out.add(b.mixer.zeroState(rows));
    return out;
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, Mamba2Mixer.DEFAULT_CHUNK, request).output();
  }

  /**
   * From per-layer states (null: zero) with SSD chunks of {@code chunk} tokens (0: token by token
   * on autograd ops). The extras hold each layer's conv and SSM state, {@code state.<layer>.<0|1>}.
   */
  public MixerModels.Result forward(IntTensor tokens, List<MixerState> states, int chunk, Request request) {
    checkTokens("mamba2", tokens, spec.vocabSize());
    if (request.attentions()) throw new IllegalArgumentException("mamba2 has no attention weights to return");
    MixerModels.checkStates("mamba2", states, backbone.layers.size());
    Tensor x = backbone.embeddings.forward(tokens);
    List<Tensor> hidden = new ArrayList<>();
    List<MixerState> after = new ArrayList<>();
    for (int i = 0; i < backbone.layers.size(); i++) {
      Block b = backbone.layers.get(i);
      Mamba2Mixer.Output o = b.mixer.forward(b.norm.forward(x), states == null ? null : (Mamba2Mixer.State) states.get(i), chunk);
      x = x.add(o.out()); // x + mixer(norm(x))
      hidden.add(x);
      after.add(o.state());
    }
    Tensor logits = lmHead.forward(backbone.normF.forward(x));
    Tensor hs = request.hiddenStates() ? Tensor.stack(hidden, 1) : null;
    return new MixerModels.Result(new Output(logits, hs, null, MixerModels.extras(after)), after);
  }

  /** Decoding: new tokens (B, T) from the layers' states, without autograd. */
  public MixerModels.Result step(List<MixerState> states, IntTensor tokens) {
    try (var g = lmlab.autograd.Autograd.noGrad()) {
      return forward(tokens, states, Mamba2Mixer.DEFAULT_CHUNK, Request.LOGITS);
    }
  }

  /** Hugging Face Mamba2Config keys. */
  @Override
  public ObjectNode config() {
    Mamba2Mixer.Config c = spec.layer();
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("model_type", "mamba2");
    o.put("vocab_size", spec.vocabSize());
    o.put("hidden_size", c.hiddenSize());
    o.put("num_hidden_layers", spec.numHiddenLayers());
    o.put("state_size", c.stateSize());
    o.put("expand", c.expand());
    o.put("head_dim", c.headDim());
    o.put("num_heads", c.numHeads());
    o.put("n_groups", c.nGroups());
    o.put("conv_kernel", c.convKernel());
    o.put("use_bias", c.useBias());
    o.put("use_conv_bias", c.useConvBias());
    o.put("hidden_act", "silu");
    o.put("layer_norm_epsilon", c.layerNormEpsilon());
    o.put("rms_norm", true);
    var limit = o.putArray("time_step_limit");
    limit.add(c.timeStepMin());
    limit.add(c.timeStepMax());
    o.put("tie_word_embeddings", spec.tieWordEmbeddings());
    return o;
  }
}
