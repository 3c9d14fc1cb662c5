package lmlab.models;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.nn.Mixer;
import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;

/**
 * The registry of token mixers a {@link Transformer} layer can hold, by their {@code mixers}
 * config name. A new mixer is its nn class (with its step state) plus one line here (and its name
 * in {@link TransformerConfig#MIXERS}).
 */
public final class Mixers {
  /** Builds layer {@code layer}'s mixer of a config; init draws the weights (null: zeros), dropout the masks. */
  @FunctionalInterface
  public interface Factory {
    Mixer create(TransformerConfig config, int layer, Rng init, Rng dropout);
  }

  private static final Map<String, Factory> FACTORIES = new LinkedHashMap<>();

  static {
    FACTORIES.put("attention", (c, layer, init, dropout) -> new MultiHeadAttention(c.attentionConfigs().get(layer), init,
        dropout));
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
