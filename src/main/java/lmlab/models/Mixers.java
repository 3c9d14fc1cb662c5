package lmlab.models;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.nn.Mixer;
import lmlab.nn.MultiHeadAttention;
import lmlab.nn.mixers.GlaMixer;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.Mamba2Mixer;
import lmlab.nn.mixers.ReglaMixer;
import lmlab.tensor.Rng;

/**
 * The registry of token mixers a {@link Transformer} layer can hold, by their {@code mixers}
 * config name. A new mixer is its nn class (with its step state) plus one line here (and its name
 * in {@link TransformerConfig#MIXERS}).
 *
 * <p>Hybrids (mixers.md, issue #16): in a Transformer layer, {@code gla} and {@code regla} take the
 * model's width, num_attention_heads heads, fla's expand_k 0.5 and expand_v 1 and the model's
 * norm_eps for their head norm; {@code mamba2} takes E 2, head_dim the attention head width,
 * N {@value #HYBRID_STATE_SIZE}, G 1, conv 4, no projection biases and the model's norm_eps. The
 * block around them (norms, MLP, residuals) is the Transformer's.
 */
public final class Mixers {
  /** Builds layer {@code layer}'s mixer of a config; init draws the weights (null: zeros), dropout the masks. */
  @FunctionalInterface
  public interface Factory {
    Mixer create(TransformerConfig config, int layer, Rng init, Rng dropout);
  }

  /** The SSM state size N of a mamba2 layer in a Transformer (mamba2-mini's). */
  public static final int HYBRID_STATE_SIZE = 64;

  private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

  static {
    FACTORIES.put("attention", (c, layer, init, dropout) -> new MultiHeadAttention(c.attentionConfigs().get(layer), init,
        dropout));
    FACTORIES.put("gla", (c, layer, init, dropout) -> new GlaMixer(linearAttention(c), init));
    FACTORIES.put("regla", (c, layer, init, dropout) -> new ReglaMixer(linearAttention(c), init));
    FACTORIES.put("mamba2", (c, layer, init, dropout) -> new Mamba2Mixer(new Mamba2Mixer.Config(c.hiddenSize(),
        HYBRID_STATE_SIZE, 2, c.headDim(), 2 * c.hiddenSize() / c.headDim(), 1, 4, false, true, c.normEps(), 0,
        Double.POSITIVE_INFINITY), c.numHiddenLayers(), init));
  }

  private static LinearAttentionMixer.Config linearAttention(TransformerConfig c) {
    return new LinearAttentionMixer.Config(c.hiddenSize(), c.numAttentionHeads(), 0.5, 1.0, c.normEps());
  }

  private Mixers() {}

  /** Layer layer's mixer as the config's {@code mixers} names it. */
  public static Mixer create(TransformerConfig config, int layer, Rng init, Rng dropout) {
    String name = config.mixers().get(layer);
    Factory f = FACTORIES.get(name);
    if (f == null) {
      throw new IllegalArgumentException("mixers[" + layer + "]: no mixer named '" + name + "'; registered: "
          + String.join(", ", FACTORIES.keySet()));
    }
    return f.create(config, layer, init, dropout);
  }
}
