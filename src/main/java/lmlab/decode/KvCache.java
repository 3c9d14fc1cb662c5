package lmlab.decode;

import java.util.List;
import lmlab.models.Transformer;
import lmlab.nn.attention.LayerKvCache;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;

/**
 * The KV cache of a whole {@link Transformer} for incremental decoding: one
 * {@link LayerKvCache} per block (layers.md, "KV cache"), all at the same position. A windowed
 * layer keeps only the keys a present or future query can still see, so the cache of a model
 * whose layers are all sliding, dilated or block-local stays bounded however long the sequence.
 *
 * <p>{@link #bytes()} is exact: the sum over layers of element size × elements held, i.e.
 * 2 · B · held_l · n_kv · d_h · 4 for layer l (2·N_layer·tokens·n_kv·d_h·4 per sequence under full
 * causal attention).
 */
public final class KvCache {
  private final Transformer model;
  private final List<LayerKvCache> layers;
  /** The array path for one sequence and one token; null until first used, or when the model has no array form. */
  private TokenStep step;
  private boolean stepChecked;

  /** An empty cache for model (position 0 next). */
  public KvCache(Transformer model) {
    if (model == null) throw new IllegalArgumentException("KvCache: model is null");
    this.model = model;
    this.layers = List.copyOf(model.newLayerCaches());
  }

  /**
   * Feeds new tokens (B, T) at positions {@link #seen()} .. seen() + T - 1 and returns their
   * logits (B, T, V), equal to the full forward pass's at those positions. B must stay the same
   * from call to call.
   */
  public Tensor append(IntTensor tokens) {
    if (tokens != null && tokens.dim() == 2 && tokens.size(0) == 1 && tokens.size(1) == 1 && tokenStep() != null) {
      return Tensor.of(appendToken(tokens.get(0, 0)), 1, 1, model.vocabSize());
    }
    return model.forwardIncremental(tokens, layers);
  }

  /**
   * Feeds one token of a single sequence (B = 1) and returns its logits (V): the decoding step of
   * greedy search, on the allocation-free array path when the model has one. The array may be
   * reused by the next call: copy what must outlive it.
   */
  public float[] appendToken(int token) {
    TokenStep s = tokenStep();
    if (s == null) return model.forwardIncremental(IntTensor.of(new int[] {token}, 1, 1), layers).toArray();
    if (layers.get(0).batch() > 1) {
      throw new IllegalArgumentException("KV cache: batch size 1 differs from the " + layers.get(0).batch()
          + " sequences this cache holds (clear() it or make a new one)");
    }
    return s.logits(token, layers);
  }

  private TokenStep tokenStep() {
    if (!stepChecked) {
      step = TokenStep.of(model);
      stepChecked = true;
    }
    return step;
  }

  /** Tokens fed so far per sequence: the absolute position of the next token. */
  public int seen() {
    return layers.get(0).seen();
  }

  /** Bytes of keys and values held over all layers (exact). */
  public long bytes() {
    long sum = 0;
    for (LayerKvCache c : layers) sum += c.bytes();
    return sum;
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
    return layers.size();
  }

  /** The cache of one layer. */
  public LayerKvCache layer(int i) {
    if (i < 0 || i >= layers.size()) {
      throw new IllegalArgumentException("KvCache: layer " + i + " does not exist (the model has " + layers.size()
          + " layers, 0.." + (layers.size() - 1) + ")");
    }
    return layers.get(i);
  }

  /** Forgets every token (the next is position 0 again), keeping the storage for reuse. */
  public void clear() {
    for (LayerKvCache c : layers) c.clear();
  }

  public Transformer model() {
    return model;
  }

  @Override
  public String toString() {
    return "KvCache[" + layers.size() + " layers, seen " + seen() + ", " + bytes() + " bytes]";
  }
}
