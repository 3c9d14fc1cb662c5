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
import lmlab.nn.SwiGlu;
import lmlab.nn.Workspace;
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
 *
 * <p>Training's {@link #forward} and decoding's {@link #step} walk the same layers: the step runs
 * each layer's own {@code step} (the mixers' recurrent form on their {@link StepState}).
 */
public final class GlaLm extends LanguageModel {
  /** One pre-norm block. */
  static final class Block extends Module {
    final RMSNorm attnNorm;
    final LinearAttentionMixer attn;
    final RMSNorm mlpNorm;
    final SwiGlu mlp;

    Block(GlaConfig s, Rng rng) {
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

    Body(GlaConfig s, Rng rng) {
      int d = s.hiddenSize();
      embeddings = child("embeddings", new Embedding(s.vocabSize(), d, rng));
      embeddings.weight().copy_(Init.normal(rng, 0.02, s.vocabSize(), d));
      Module list = child("layers", new MixerModels.Layers());
      for (int i = 0; i < s.numHiddenLayers(); i++) layers.add(MixerModels.addChild(list, Integer.toString(i), new Block(s, rng)));
      norm = child("norm", new RMSNorm(d, s.normEps()));
    }
  }

  private final GlaConfig config;
  private final Body model;
  private final Linear lmHead;

  /** fla's initialisation (every Linear weight and the embedding N(0, 0.02²), biases 0, norms 1); rng null: zeros. */
  public GlaLm(GlaConfig config, Rng rng) {
    this.config = config;
    this.model = child("model", new Body(config, rng));
    int d = config.hiddenSize();
    this.lmHead = config.tieWordEmbeddings()
        ? new Linear(model.embeddings.weight(), null)
        : child("lm_head", new Linear(Init.normal(rng, 0.02, config.vocabSize(), d), null));
  }

  public GlaConfig glaConfig() {
    return config;
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    return forward(tokens, null, LinearAttentionMixer.DEFAULT_CHUNK, request).output();
  }

  /**
   * From per-layer states (null: zero) with chunks of {@code chunk} tokens (0: token by token on
   * autograd ops). The extras hold the final states stacked over the layers: recurrent_state (and ReGLA's key_max).
   */
  public MixerModels.Result forward(IntTensor tokens, List<MixerState> states, int chunk, Request request) {
    checkTokens(config.modelType(), tokens, config.vocabSize());
    if (request.attentions()) throw new IllegalArgumentException(config.modelType() + " has no attention weights to return");
    MixerModels.checkStates(config.modelType(), states, model.layers.size());
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
    return new MixerModels.Result(new Output(logits, hs, null, MixerModels.extras(after, config.regla() ? new String[] {"recurrent_state", "key_max"} : new String[] {"recurrent_state"})), after);
  }

  /** One state per layer (S, and ReGLA's key maximum), constant in size. */
  @Override
  public ModelState newState(int rows) {
    lmHead.checkSteps();
    List<StepState> layers = new ArrayList<>();
    for (Block b : model.layers) layers.add(b.attn.newState(rows));
    return new ModelState(layers, rows);
  }

  /**
   * embeddings → per block {@code x += attn(attn_norm(x)); x += mlp(mlp_norm(x))} through the
   * layers' steps → norm → lm_head, on the state's buffers, without autograd.
   */
  @Override
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    checkStep(config.modelType(), state, tokens, tokensPerRow, config.vocabSize());
    int n = state.rows() * tokensPerRow, d = config.hiddenSize();
    Workspace ws = state.workspace();
    float[] x = ws.floats(this, 0, n * d);
    float[] h = ws.floats(this, 1, n * d);
    float[] logits = ws.floats(this, 2, n * config.vocabSize());
    MixerModels.embed(model.embeddings.weight(), tokens, n, x);
    for (int i = 0; i < model.layers.size(); i++) {
      Block b = model.layers.get(i);
      b.attnNorm.step(x, h, n, false, ws); //                     attn_norm(x)
      b.attn.step(state.layer(i), h, x, tokensPerRow, true, ws); // x += attn(attn_norm(x))
      b.mlpNorm.step(x, h, n, false, ws); //                      mlp_norm(x)
      b.mlp.step(h, x, n, true, ws); //                           x += mlp(mlp_norm(x))
    }
    model.norm.step(x, h, n, false, ws);
    lmHead.step(h, logits, n, false, ws);
    state.advance(tokensPerRow);
    return logits;
  }

  /** fla's GLAConfig keys. */
  @Override
  public ObjectNode config() {
    return config.toJson();
  }
}
