package lmlab.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import lmlab.nn.Embedding;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.nn.RMSNorm;
import lmlab.nn.StepState;
import lmlab.nn.Workspace;
import lmlab.nn.mixers.Mamba2Mixer;
import lmlab.nn.mixers.MixerState;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The {@code mamba2} language model (Hugging Face {@code Mamba2ForCausalLM}, Dao and Gu 2024):
 * {@code backbone.embeddings} (V_pad rows: vocab_size padded to pad_vocab_size_multiple), N blocks
 * {@code x = x + mixer(norm(x))} (no MLP), {@code backbone.norm_f} and the head (tied:
 * {@code x Eᵀ}). Every RMSNorm uses layer_norm_epsilon.
 *
 * <p>Training's {@link #forward} and decoding's {@link #step} walk the same layers: the step runs
 * each layer's own {@code step} (the mixer's recurrent form on its conv window and SSM state).
 */
public final class Mamba2Lm extends LanguageModel {
  static final class Block extends Module {
    final RMSNorm norm;
    final Mamba2Mixer mixer;

    Block(Mamba2Config s, Rng rng) {
      norm = child("norm", new RMSNorm(s.hiddenSize(), s.layerNormEpsilon()));
      mixer = child("mixer", new Mamba2Mixer(s.layer(), s.numHiddenLayers(), rng));
    }
  }

  static final class Backbone extends Module {
    final Embedding embeddings;
    final List<Block> layers = new ArrayList<>();
    final RMSNorm normF;

    Backbone(Mamba2Config s, Rng rng) {
      int d = s.hiddenSize(), v = s.paddedVocabSize();
      embeddings = child("embeddings", new Embedding(v, d, rng));
      embeddings.weight().copy_(Init.normal(rng, 0.02, v, d));
      Module list = child("layers", new MixerModels.Layers());
      for (int i = 0; i < s.numHiddenLayers(); i++) layers.add(MixerModels.addChild(list, Integer.toString(i), new Block(s, rng)));
      normF = child("norm_f", new RMSNorm(d, s.layerNormEpsilon()));
    }
  }

  private final Mamba2Config config;
  private final Backbone backbone;
  private final Linear lmHead;

  /** mamba_ssm's initialisation (Mamba2Mixer), embedding and untied head N(0, 0.02²); rng null: zeros. */
  public Mamba2Lm(Mamba2Config config, Rng rng) {
    this.config = config;
    this.backbone = child("backbone", new Backbone(config, rng));
    this.lmHead = config.tieWordEmbeddings()
        ? new Linear(backbone.embeddings.weight(), null)
        : child("lm_head", new Linear(Init.normal(rng, 0.02, config.paddedVocabSize(), config.hiddenSize()), null));
  }

  public Mamba2Config mamba2Config() {
    return config;
  }

  /** The logits' width: vocab_size padded to pad_vocab_size_multiple. */
  @Override
  public int vocabSize() {
    return config.paddedVocabSize();
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, Mamba2Mixer.DEFAULT_CHUNK, request).output();
  }

  /**
   * From per-layer states (null: zero) with SSD chunks of {@code chunk} tokens (0: token by token
   * on autograd ops). The extras hold the final states stacked over the layers: conv_state and ssm_state.
   */
  public MixerModels.Result forward(IntTensor tokens, List<MixerState> states, int chunk, Request request) {
    checkTokens("mamba2", tokens, vocabSize());
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
    return new MixerModels.Result(new Output(logits, hs, null, MixerModels.extras(after, "conv_state", "ssm_state")), after);
  }

  /** One state per layer (conv window and SSM state), constant in size. */
  @Override
  public ModelState newState(int rows) {
    lmHead.checkSteps();
    List<StepState> layers = new ArrayList<>();
    for (Block b : backbone.layers) layers.add(b.mixer.newState(rows));
    return new ModelState(layers, rows);
  }

  /** embeddings → per block {@code x += mixer(norm(x))} through the layers' steps → norm_f → lm_head, without autograd. */
  @Override
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    checkStep("mamba2", state, tokens, tokensPerRow, vocabSize());
    int n = state.rows() * tokensPerRow, d = config.hiddenSize();
    Workspace ws = state.workspace();
    float[] x = ws.floats(this, 0, n * d);
    float[] h = ws.floats(this, 1, n * d);
    float[] logits = ws.floats(this, 2, n * vocabSize());
    MixerModels.embed(backbone.embeddings.weight(), tokens, n, x);
    for (int i = 0; i < backbone.layers.size(); i++) {
      Block b = backbone.layers.get(i);
      b.norm.step(x, h, n, false, ws); //                          norm(x)
      b.mixer.step(state.layer(i), h, x, tokensPerRow, true, ws); // x += mixer(norm(x))
    }
    backbone.normF.step(x, h, n, false, ws);
    lmHead.step(h, logits, n, false, ws);
    state.advance(tokensPerRow);
    return logits;
  }

  /** Hugging Face Mamba2Config keys. */
  @Override
  public ObjectNode config() {
    return config.toJson();
  }
}
