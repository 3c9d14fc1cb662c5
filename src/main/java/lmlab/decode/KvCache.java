package lmlab.decode;

import lmlab.models.ModelState;
import lmlab.models.Transformer;
import lmlab.nn.attention.LayerKvCache;

/**
 * The {@link Decoder} of a {@link Transformer}, seen as its KV cache: one {@link LayerKvCache} per
 * block (layers.md, "KV cache"). A windowed layer keeps only the keys a present or future query
 * can still see, so the cache of a model whose layers are all sliding, dilated or block-local
 * stays bounded however long the sequence.
 *
 * <p>{@link #bytes()} is exact: the sum over layers of element size × elements held, i.e.
 * 2 · B · held_l · n_kv · d_h · 4 for layer l (2·N_layer·tokens·n_kv·d_h·4 per sequence under full
 * causal attention).
 */
public final class KvCache extends Decoder {
  private final Transformer model;

  /** An empty cache for model (position 0 next); its rows are fixed by the first call. */
  public KvCache(Transformer model) {
    super(model);
    this.model = model;
  }

  /** An empty cache of rows sequences. */
  public KvCache(Transformer model, int rows) {
    super(model, rows);
    this.model = model;
  }

  private KvCache(Transformer model, ModelState state) {
    super(model, state);
    this.model = model;
  }

  @Override
  public KvCache fork() {
    return new KvCache(model, requireState().fork());
  }

  /** Bytes held by one layer. */
  public long bytes(int layer) {
    return layer(layer).bytes();
  }

  /** Tokens whose keys and values layer holds now (per sequence). */
  public int tokensHeld(int layer) {
    return layer(layer).tokensHeld();
  }

  public int numLayers() {
    return model.layers().size();
  }

  /** The cache of one layer (an error when the layer's mixer is not attention). */
  public LayerKvCache layer(int i) {
    if (i < 0 || i >= numLayers()) {
      throw new IllegalArgumentException("KvCache: layer " + i + " does not exist (the model has " + numLayers()
          + " layers, 0.." + (numLayers() - 1) + ")");
    }
    if (!(layerState(i) instanceof LayerKvCache c)) {
      throw new IllegalArgumentException("KvCache: layer " + i + "'s mixer keeps " + layerState(i) + ", not a KV cache");
    }
    return c;
  }

  public Transformer model() {
    return model;
  }

  @Override
  public String toString() {
    return "KvCache[" + numLayers() + " layers, " + (state() == null ? "empty" : state()) + "]";
  }
}
