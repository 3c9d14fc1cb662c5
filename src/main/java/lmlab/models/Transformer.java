package lmlab.models;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.io.WeightMapper;
import lmlab.kernels.Parallel;
import lmlab.nn.Embedding;
import lmlab.nn.FeedForward;
import lmlab.nn.LearnedPositions;
import lmlab.nn.Init;
import lmlab.nn.Linear;
import lmlab.nn.Mlp;
import lmlab.nn.Module;
import lmlab.nn.ModuleCheckpoint;
import lmlab.nn.Norm;
import lmlab.nn.Positions;
import lmlab.nn.SinusoidalPositions;
import lmlab.nn.SwiGlu;
import lmlab.nn.TransformerBlock;
import lmlab.nn.StepState;
import lmlab.nn.Workspace;
import lmlab.nn.attention.LayerKvCache;
import lmlab.nn.attention.ScoreParams;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Shape;
import lmlab.tensor.Tensor;

/**
 * The one decoder-only Transformer of models.md, configured by a {@link TransformerConfig}; the
 * presets gpt, chargpt and gpt2 are configurations of this class.
 *
 * <pre>
 * model.embed_tokens            Embedding (V, d)
 * model.embed_positions         LearnedPositions (S_max, d)   position = learned only
 * model.layers.{i}              TransformerBlock (pre-norm)
 * model.norm                    the final norm
 * lm_head                       Linear(d, V), absent when tie_word_embeddings (logits = h · embed_tokens.weightᵀ)
 * </pre>
 *
 * Sinusoidal positions are a fixed table added to the token embeddings (not in the state dict);
 * RoPE acts inside every attention layer. Each layer's attention (GQA, score function,
 * normaliser, mask) is {@link TransformerConfig#attentionConfigs()}.
 *
 * <p>Decoding: {@link #newState} and {@link #step} feed new tokens through the same layers
 * without autograd (each block's mixer keeps its own state, attention a KV cache); the logits
 * equal the full forward pass's at the same absolute positions. lmlab.decode drives them.
 * Dropout (config {@code dropout}, training mode only) acts on the embedding sum, the attention
 * weights, after o_proj and after the MLP.
 *
 * <p>Weights are drawn from a seeded {@link Rng} by the config's {@code init}: {@code gpt2} (minGPT:
 * Linear and embedding weights N(0, 0.02²), o_proj and down_proj weights N(0, (0.02/√(2L))²),
 * biases 0) or {@code pytorch} (torch.nn defaults); norm weights 1 (and DyT alpha alpha0).
 */
public final class Transformer extends LanguageModel {
  private static final double INIT_STD = 0.02;

  private final TransformerConfig config;
  private final Decoder model;
  private final Linear lmHead;
  private final Positions positions;
  private final Rng dropoutRng;
  /**
   * With tied embeddings, the head h · Eᵀ as a Linear over the embedding's own table (not a child:
   * no new state-dict name); rebuilt when the embedding is replaced (bf16 weights).
   */
  private Linear tiedHead;
  private Embedding tiedTo;

  /** The decoder body: what Hugging Face calls {@code model}. */
  private static final class Decoder extends Module {
    final Embedding embedTokens;
    final LearnedPositions embedPositions;
    final List<TransformerBlock> layers = new ArrayList<>();
    final Norm norm;

    Decoder(TransformerConfig c, Rng init, Rng dropout) {
      int d = c.hiddenSize();
      embedTokens = child("embed_tokens", new Embedding(c.vocabSize(), d, init));
      embedPositions = c.position() == TransformerConfig.Position.LEARNED
          ? child("embed_positions", new LearnedPositions(c.maxPositionEmbeddings(), d, init))
          : null;
      Layers list = child("layers", new Layers());
      for (int i = 0; i < c.numHiddenLayers(); i++) {
        TransformerBlock block = new TransformerBlock(
            norm(c),
            Mixers.create(c, i, init, dropout), // attention unless the config's mixers say otherwise
            norm(c),
            feedForward(c, init),
            c.dropout(), dropout);
        layers.add(list.add(block));
      }
      norm = child("norm", norm(c));
    }
  }

  /** A numbered list of blocks: children "0", "1", ... */
  private static final class Layers extends Module {
    private int n;

    TransformerBlock add(TransformerBlock block) {
      return child(Integer.toString(n++), block);
    }
  }

  private static Norm norm(TransformerConfig c) {
    boolean bias = c.norm().hasBias(); // LayerNorm and DyT carry a bias
    return Norm.create(c.norm().configName(), c.hiddenSize(), c.normEps(), bias, c.dytAlpha0());
  }

  private static FeedForward feedForward(TransformerConfig c, Rng rng) {
    return c.mlp() == TransformerConfig.Mlp.SWIGLU
        ? new SwiGlu(c.hiddenSize(), c.intermediateSize(), c.mlpBias(), rng)
        : new Mlp(c.hiddenSize(), c.intermediateSize(), c.activation(), c.mlpBias(), rng);
  }

  /** A freshly initialised model (minGPT init) from the seed; dropout masks draw from a stream derived from it. */
  public Transformer(TransformerConfig config, long seed) {
    this(config, new Rng(seed), new Rng(seed ^ 0x5DEECE66DL ^ 0x9E3779B97F4A7C15L));
  }

  /** A freshly initialised model drawing its weights from rng (dropout masks from a generator seeded by it). */
  public Transformer(TransformerConfig config, Rng rng) {
    this(config, rng, new Rng(rng.nextLong()));
  }

  /** A freshly initialised model from a config.json object (validated by {@link TransformerConfig#fromJson}). */
  public static Transformer fromConfig(JsonNode json, Rng rng) {
    return new Transformer(TransformerConfig.fromJson(json), rng);
  }

  /**
   * The model with every weight zero and norms at one: the fast way to build a model whose
   * weights are loaded next (a checkpoint) or whose parameters are only counted.
   */
  public static Transformer uninitialised(TransformerConfig config) {
    return new Transformer(config, null, new Rng(0));
  }

  /**
   * A model drawing its weights from init (minGPT init; null leaves them zero, see
   * {@link #uninitialised}) and its dropout masks from dropout.
   */
  public Transformer(TransformerConfig config, Rng init, Rng dropout) {
    if (config == null) throw new IllegalArgumentException("Transformer: config is null");
    this.config = config;
    this.dropoutRng = dropout;
    // Layers are built zero (null rng) and drawn once, below, by minGPT's rule.
    this.model = child("model", new Decoder(config, null, dropout));
    this.lmHead = config.tieWordEmbeddings()
        ? null
        : child("lm_head", new Linear(config.hiddenSize(), config.vocabSize(), config.lmHeadBias(), null));
    this.positions = switch (config.position()) {
      case LEARNED -> model.embedPositions;
      case SINUSOIDAL -> new SinusoidalPositions(config.hiddenSize());
      default -> null; // rope (inside each attention layer) or none
    };
    if (init != null) initWeights(init);
  }

  /** Draws every weight by the configured scheme ({@link TransformerConfig.Init}). */
  private void initWeights(Rng rng) {
    if (config.init() == TransformerConfig.Init.PYTORCH) initPytorchDefaults(rng);
    else initGpt2(rng);
  }

  /**
   * torch.nn defaults: Linear weight and bias U(-1/√fan_in, 1/√fan_in) (kaiming_uniform with
   * a = √5 gives that bound for the weight), Embedding and learned positions N(0, 1).
   */
  private void initPytorchDefaults(Rng rng) {
    for (Module m : namedModules().values()) {
      if (m instanceof Linear lin) {
        float bound = (float) (1.0 / Math.sqrt(lin.weight().shape()[1]));
        lin.weight().copy_(Init.uniform(rng, bound, lin.weight().shape()));
        if (lin.bias() != null) lin.bias().copy_(Init.uniform(rng, bound, lin.bias().shape()));
      } else if (m instanceof Embedding emb) {
        normal(emb.weight(), rng, 1.0);
      } else if (m instanceof LearnedPositions pos) {
        normal(pos.weight(), rng, 1.0);
      } else if (m instanceof ScoreParams sp) {
        initScore(sp, rng);
      }
    }
  }

  /** Score-function parameters as a Linear layer's weight: U(-1/√fan_in, 1/√fan_in), fan_in their last width. */
  private static void initScore(ScoreParams sp, Rng rng) {
    for (Tensor t : new Tensor[] {sp.matrix(), sp.vector()}) {
      if (t == null) continue;
      float bound = (float) (1.0 / Math.sqrt(t.shape()[t.dim() - 1]));
      t.copy_(Init.uniform(rng, bound, t.shape()));
    }
  }

  /** minGPT's _init_weights, plus its scaled init of the residual projections. */
  private void initGpt2(Rng rng) {
    double residualStd = INIT_STD / Math.sqrt(2.0 * config.numHiddenLayers());
    for (var e : namedModules().entrySet()) {
      String path = e.getKey();
      Module m = e.getValue();
      if (m instanceof Linear lin) {
        boolean residual = path.endsWith(".o_proj") || path.endsWith(".down_proj");
        normal(lin.weight(), rng, residual ? residualStd : INIT_STD);
        if (lin.bias() != null) lin.bias().fill_(0f);
      } else if (m instanceof Embedding emb) {
        normal(emb.weight(), rng, INIT_STD);
      } else if (m instanceof LearnedPositions pos) {
        normal(pos.weight(), rng, INIT_STD);
      } else if (m instanceof ScoreParams sp) {
        initScore(sp, rng);
      }
    }
  }

  private static void normal(Tensor t, Rng rng, double std) {
    t.copy_(Init.normal(rng, std, t.shape()));
  }

  /**
   * A model with the given weights: every parameter of the configuration must be present in state
   * with its shape and nothing else (the first problem is named).
   */
  public static Transformer fromStateDict(TransformerConfig config, Map<String, Tensor> state) {
    Transformer t = new Transformer(config, 0L);
    t.loadStateDict(state);
    return t;
  }

  /**
   * Loads a checkpoint directory ({@link Checkpoint}): {@code config.json} and
   * {@code model.safetensors} (tensor names as conventions.md). Errors name the directory and the
   * config key or tensor at fault.
   */
  public static Transformer load(Path dir) throws IOException {
    TransformerConfig config;
    try {
      config = TransformerConfig.fromJson(Checkpoint.readConfig(dir));
    } catch (IllegalArgumentException e) {
      throw new CheckpointException(dir.resolve(Checkpoint.CONFIG) + ": " + e.getMessage(), e);
    }
    Transformer t = uninitialised(config);
    ModuleCheckpoint.loadWeights(dir, t, WeightMapper.IDENTITY, true); // straight from the mapped file
    return t;
  }

  /** Writes this model as a checkpoint directory (config.json with every key, model.safetensors), atomically. */
  public void save(Path dir) throws IOException {
    ModuleCheckpoint.save(dir, config.toJson(), this);
  }

  @Override
  public Output forward(IntTensor tokens, Request request) {
    if (request == null) request = Request.LOGITS;
    checkTokens(tokens);
    Tensor x = model.embedTokens.forward(tokens); // (B, S, d)
    if (positions != null) x = positions.addTo(x);
    x = x.dropout((float) config.dropout(), dropoutRng, isTraining());

    List<Tensor> hidden = request.hiddenStates() ? new ArrayList<>() : null;
    List<Tensor> attn = request.attentions() ? new ArrayList<>() : null;
    for (TransformerBlock block : model.layers) {
      TransformerBlock.Output o = block.forward(x, request.attentions());
      x = o.out();
      if (hidden != null) hidden.add(x);
      if (attn != null) attn.add(o.attentionWeights());
    }
    Tensor h = model.norm.forward(x);
    Tensor logits = lmHead != null ? lmHead.forward(h)
        : model.embedTokens.weight() != null ? h.linear(model.embedTokens.weight(), null) : head().forward(h);
    return new Output(logits,
        hidden == null ? null : Tensor.stack(hidden, 1), //  (B, N_layer, S, d)
        attn == null ? null : Tensor.stack(attn, 1), //      (B, N_layer, H, S, S)
        Map.of());
  }

  /**
   * An empty decoding state for rows sequences: each block's mixer state (attention: a
   * {@link LayerKvCache}, a ring for windowed masks), in order. A mixer without a step is an error
   * naming its layer.
   */
  @Override
  public ModelState newState(int rows) {
    List<StepState> states = new ArrayList<>();
    for (int i = 0; i < model.layers.size(); i++) {
      TransformerBlock b = model.layers.get(i);
      try {
        states.add(b.newState(rows));
      } catch (UnsupportedOperationException | IllegalStateException e) {
        throw new IllegalArgumentException("model.layers." + i + "." + b.mixer().childName() + ": " + e.getMessage(), e);
      }
    }
    head().checkSteps();
    return new ModelState(states, rows);
  }

  /**
   * Logits (rows, T, V) for T new tokens of every row at its next positions p .. p + T - 1: the
   * token embedding, learned or sinusoidal positions at p + s (RoPE rotates inside attention), each
   * block's {@link TransformerBlock#step}, the final norm and the head, all without autograd and
   * on the state's buffers. Equal to {@link #forward} over each whole sequence at those positions.
   */
  @Override
  public float[] step(ModelState state, int[] tokens, int tokensPerRow) {
    checkStep("Transformer", state, tokens, tokensPerRow, config.vocabSize());
    if (state.numLayers() != model.layers.size()) {
      throw new IllegalArgumentException("Transformer: the decoding state has " + state.numLayers()
          + " layers, the model " + model.layers.size() + " (make it with newState)");
    }
    int parts = rowParts(state, tokensPerRow);
    if (parts > 1) return stepRowParts(state, tokens, parts);
    for (int r = 0; r < state.rows(); r++) checkPosition(state.position(r), tokensPerRow);
    float[] logits = forwardRows(state, tokens, tokensPerRow, 0, state.rows(), state.workspace(), state::layer);
    state.advance(tokensPerRow);
    return logits;
  }

  /**
   * Rows [from, to) of the step, tokensPerRow tokens each, through the embedding, positions, the
   * blocks (layer i on layerState(i)), the final norm and the head, on ws's buffers: their logits,
   * in ws's buffer. The state's positions are not advanced.
   */
  private float[] forwardRows(ModelState state, int[] tokens, int tokensPerRow, int from, int to, Workspace ws,
      IntFunction<StepState> layerState) {
    int n = (to - from) * tokensPerRow;
    int d = config.hiddenSize();
    float[] x = ws.floats(this, 0, n * d);
    float[] h = ws.floats(this, 1, n * d);
    float[] logits = ws.floats(this, 2, n * config.vocabSize());
    Embedding e = model.embedTokens;
    for (int r = from; r < to; r++) {
      int p = state.position(r);
      for (int i = 0; i < tokensPerRow; i++) {
        int v = (r - from) * tokensPerRow + i;
        e.lookup(tokens[r * tokensPerRow + i], x, v * d); //              E[token]
        if (positions != null) positions.addRow(x, v * d, p + i); //  + P[p + i]
      }
    }
    for (int i = 0; i < model.layers.size(); i++) model.layers.get(i).step(layerState.apply(i), x, tokensPerRow, ws);
    model.norm.step(x, h, n, false, ws);
    head().step(h, logits, n, false, ws); // lm_head, or h · Eᵀ when tied
    return logits;
  }

  /**
   * Rows per part below which a step keeps its rows together, each product split over the threads:
   * a part reads every weight for its rows alone, which pays from four rows on (eight rows of a
   * beam were faster split in two, four rows slower: the README's decoding section).
   */
  static final int MIN_ROWS_PER_PART = 4;

  /**
   * How many parts a one-token step of state's rows splits into, each stepping its rows through the
   * whole model on a thread of its own (1: the rows step together, each product split over the
   * threads). Only rows that share KV pages split, a beam's hypotheses: there the split was faster;
   * for rows of their own (a server's requests, a batch of greedy rows) it was slower or no faster,
   * each part then reading all the weights and its rows' own KV (README's decoding and serving
   * sections). Only a model whose sequence layers all keep KV caches splits its rows.
   */
  int rowParts(ModelState state, int tokensPerRow) {
    int threads = Parallel.threads();
    if (threads < 2 || tokensPerRow != 1 || Parallel.inWorker()) return 1;
    int parts = Math.min(threads, state.rows() / MIN_ROWS_PER_PART);
    if (parts < 2 || state.numLayers() == 0) return 1;
    for (int i = 0; i < state.numLayers(); i++) if (!(state.layer(i) instanceof LayerKvCache)) return 1;
    return ((LayerKvCache) state.layer(0)).sharesPages() ? parts : 1;
  }

  /**
   * One token of every row, the rows split into parts that run on their own threads through the
   * whole model: each part reads every weight once for its rows, but the threads share no
   * activations and meet once per step, where splitting each product's columns moves the
   * activations between the cores and waits for the slower thread at every product (measured in
   * the README's decoding section). Each row gets the same bits as stepping all rows together.
   */
  private float[] stepRowParts(ModelState state, int[] tokens, int parts) {
    int rows = state.rows();
    int vocab = config.vocabSize();
    float[] logits = state.workspace().floats(this, 2, rows * vocab);
    for (int r = 0; r < rows; r++) checkPosition(state.position(r), 1);
    for (int i = 0; i < state.numLayers(); i++) ((LayerKvCache) state.layer(i)).prepareRows(rows, parts);
    for (int p = 0; p < parts; p++) state.workspace(p);
    head(); // made here if tied, not by racing parts
    Parallel.forEachPart(parts, part -> {
      int from = split(rows, part, parts), to = split(rows, part + 1, parts);
      float[] partLogits = forwardRows(state, tokens, 1, from, to, state.workspace(part),
          i -> ((LayerKvCache) state.layer(i)).window(from, to, part));
      System.arraycopy(partLogits, 0, logits, from * vocab, (to - from) * vocab);
    });
    state.advance(1);
    return logits;
  }

  /** First row of part part of parts: even, so a beam's pairs of rows stay in one part. */
  private static int split(int rows, int part, int parts) {
    return part == parts ? rows : rows * part / parts & ~1;
  }

  /** A row at position p may step tokens more when the learned position table reaches p + tokens - 1. */
  private void checkPosition(int p, int tokens) {
    if (positions == model.embedPositions && positions != null && (long) p + tokens > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("Transformer: positions up to " + ((long) p + tokens - 1)
          + " exceed max_position_embeddings " + config.maxPositionEmbeddings() + " (the learned position table)");
    }
  }

  /** The output projection: lm_head, or the token embedding as a Linear (V, d) when tied. */
  private Linear head() {
    if (lmHead != null) return lmHead;
    if (tiedTo != model.embedTokens) {
      tiedHead = new Linear(model.embedTokens.table(), null);
      tiedTo = model.embedTokens;
    }
    return tiedHead;
  }

  /**
   * The mean next-token cross-entropy of logits (B, S, V) against targets (B, S) over every
   * position, as the model fixtures define the loss.
   */
  public static Tensor loss(Tensor logits, IntTensor targets) {
    if (logits.dim() != 3 || targets.dim() != 2 || logits.size(0) != targets.size(0)
        || logits.size(1) != targets.size(1)) {
      throw new IllegalArgumentException("loss: logits (B, S, V) and targets (B, S) do not fit: "
          + Shape.str(logits.shape()) + " and " + Shape.str(targets.shape()));
    }
    return logits.crossEntropy(targets);
  }

  private void checkTokens(IntTensor tokens) {
    checkTokens("Transformer", tokens, config.vocabSize());
    int s = tokens.size(1);
    if (config.position() == TransformerConfig.Position.LEARNED && s > config.maxPositionEmbeddings()) {
      throw new IllegalArgumentException("Transformer: sequence length " + s + " exceeds max_position_embeddings "
          + config.maxPositionEmbeddings() + " (the learned position table)");
    }
  }

  @Override
  public int vocabSize() {
    return config.vocabSize();
  }

  @Override
  public ObjectNode config() {
    return config.toJson();
  }

  public TransformerConfig transformerConfig() {
    return config;
  }

  /** The blocks, in order. */
  public List<TransformerBlock> layers() {
    return List.copyOf(model.layers);
  }

  public Embedding embedTokens() {
    return model.embedTokens;
  }

  /** The learned position table, or null for other position schemes. */
  public LearnedPositions embedPositions() {
    return model.embedPositions;
  }

  public Norm finalNorm() {
    return model.norm;
  }

  /** The absolute positions added to the token embeddings (learned or sinusoidal), or null (rope, none). */
  public Positions positions() {
    return positions;
  }

  /** The output head, or null when tied to the token embedding. */
  public Linear lmHead() {
    return lmHead;
  }

  /** The generator of the dropout masks (its state belongs in a training checkpoint). */
  public Rng dropoutRng() {
    return dropoutRng;
  }
}
