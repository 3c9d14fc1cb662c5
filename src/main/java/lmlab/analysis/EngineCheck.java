package lmlab.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import lmlab.decode.KvCache;
import lmlab.models.GlaConfig;
import lmlab.models.GlaLmType;
import lmlab.models.LanguageModel;
import lmlab.models.Mamba2Config;
import lmlab.models.Mamba2LmType;
import lmlab.models.ModelSpec;
import lmlab.models.ModelState;
import lmlab.models.RecurrentLmConfig;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The analyser's formulas against the engine for one configuration: the model is built (zero
 * weights), its parameters counted, one forward pass over B sequences of L tokens run inside a
 * {@link FlopCounter}, and its KV cache ({@link KvCache}, float32) or recurrent state (h, c) filled
 * with the same tokens. The linear-time mixer models (Mamba-2, GLA, ReGLA) run their decoding step
 * (the recurrent form the closed forms count) over the tokens instead. The formulas are evaluated for the same setting (float32, causal counting:
 * the engine's attention kernels compute only the visible pairs).
 */
public record EngineCheck(String name, long batch, long length, long parameters, long stateBytes, long flops,
    Analysis formula) {
  /** Larger runs are refused: the check runs a real forward pass on this machine. */
  public static final long MAX_FLOPS = 200_000_000_000L;

  public static final long MAX_PARAMETERS = 300_000_000L;

  public boolean parametersMatch() {
    return parameters == formula.value("parameters");
  }

  public boolean stateMatches() {
    return stateBytes == formula.value("state@" + length);
  }

  public boolean flopsMatch() {
    return flops == formula.value("flops@" + length);
  }

  public boolean matches() {
    return parametersMatch() && stateMatches() && flopsMatch();
  }

  /** Whether the engine builds this family (every family the analyser knows). */
  public static boolean supported(Architecture a) {
    return a instanceof TransformerArch || a instanceof RecurrentLmArch || a instanceof Mamba2Arch || a instanceof GlaArch;
  }

  public static EngineCheck run(Architecture a, long length, long batch) {
    if (!supported(a)) {
      throw new IllegalArgumentException(a.name() + ": the engine has no " + a.summary().split(":")[0]
          + " model to check against");
    }
    Analysis formula = Analysis.of(a, new Analysis.Setting(List.of(length), batch, ElementType.F32, Counting.CAUSAL, null));
    if (formula.value("parameters") > MAX_PARAMETERS || formula.value("flops@" + length) > MAX_FLOPS) {
      throw new IllegalArgumentException("--check: " + a.name() + " at B = " + batch + ", L = " + length + " needs "
          + Report.number(formula.figure("flops@" + length)) + " FLOPs and "
          + Report.number(formula.figure("parameters")) + " parameters; the check runs at most "
          + MAX_FLOPS / 1_000_000_000 + " GFLOP and " + MAX_PARAMETERS / 1_000_000
          + " M parameters here (lower --L, --batch or the sizes)");
    }
    int b = Math.toIntExact(batch);
    int l = Math.toIntExact(length);
    return switch (a) {
      case TransformerArch t -> transformer(t, b, l, formula);
      case RecurrentLmArch r -> recurrent(r, b, l, formula);
      case Mamba2Arch m -> mixer(m.name(), new ModelSpec(Mamba2LmType.INSTANCE, mamba2(m)), b, l, formula);
      case GlaArch g -> mixer(g.name(), new ModelSpec(g.regla() ? GlaLmType.REGLA : GlaLmType.GLA, gla(g)), b, l, formula);
    };
  }

  private static IntTensor tokens(int batch, int length, int vocab) {
    int[] ids = new int[batch * length];
    for (int i = 0; i < ids.length; i++) ids[i] = (int) ((i * 7L + 1) % vocab);
    return IntTensor.of(ids, batch, length);
  }

  private static EngineCheck transformer(TransformerArch t, int batch, int length, Analysis formula) {
    if (t.position().equals("learned") && length > t.maxPositions()) {
      throw new IllegalArgumentException("--check: L = " + length + " exceeds the learned position table S_max = "
          + t.maxPositions());
    }
    Transformer model = Transformer.uninitialised(config(t));
    model.eval();
    IntTensor toks = tokens(batch, length, t.vocab());
    long flops;
    try (FlopCounter c = FlopCounter.open(model)) {
      model.forward(toks, LanguageModel.Request.LOGITS);
      flops = c.total();
    }
    KvCache cache = new KvCache(model);
    cache.append(toks);
    return new EngineCheck(t.name(), batch, length, model.numParameters(), cache.bytes(), flops, formula);
  }

  /** The engine configuration of a Transformer architecture (switches that change no count are left at defaults). */
  static TransformerConfig config(TransformerArch t) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode o = json.createObjectNode();
    o.put("vocab_size", t.vocab());
    o.put("hidden_size", t.hidden());
    o.put("num_hidden_layers", t.layers());
    o.put("num_attention_heads", t.qHeads());
    o.put("num_key_value_heads", t.kvHeads());
    o.put("head_dim", t.headDim());
    o.put("intermediate_size", t.ffDim());
    o.put("max_position_embeddings", t.maxPositions());
    o.put("position", t.position().equals("rope") && t.headDim() % 2 != 0 ? "none" : t.position());
    o.put("norm", t.norm());
    o.put("hidden_act", t.swiglu() ? "silu" : t.activation());
    o.put("mlp", t.swiglu() ? "swiglu" : "plain");
    o.put("attention_bias", t.qkvBias());
    o.put("o_proj_bias", t.oBias());
    o.put("mlp_bias", t.mlpBias());
    o.put("lm_head_bias", t.lmHeadBias());
    o.put("tie_word_embeddings", t.tied());
    ArrayNode masks = o.putArray("masks");
    t.masks().forEach(masks::add);
    return TransformerConfig.fromJson(o);
  }

  private static EngineCheck recurrent(RecurrentLmArch r, int batch, int length, Analysis formula) {
    ObjectNode o = new ObjectMapper().createObjectNode().put("model_type", r.modelType())
        .put("vocab_size", r.vocab()).put("embedding_size", r.embedding()).put("hidden_size", r.hiddenSize())
        .put("num_hidden_layers", r.layers()).put("bias", r.bias());
    LanguageModel model = RecurrentLmConfig.parse(o).newModel(new Rng(0));
    model.eval();
    LanguageModel.Output out;
    long flops;
    try (FlopCounter c = FlopCounter.open(model)) {
      out = model.forward(tokens(batch, length, r.vocab()), LanguageModel.Request.LOGITS);
      flops = c.total();
    }
    long state = 0; // h_n, and c_n for the lstm-lm
    for (Tensor t : out.extras().values()) state += t.numel() * (long) Float.BYTES;
    return new EngineCheck(r.name(), batch, length, model.numParameters(), state, flops, formula);
  }

  /** The engine configuration of a Mamba-2 architecture. */
  static Mamba2Config mamba2(Mamba2Arch m) {
    return new Mamba2Config(m.vocab(), m.hidden(), m.layers(), m.expand(), m.headWidth(), m.stateSize(), m.groups(),
        m.convWidth(), m.padMultiple(), m.tied(), m.bias(), m.convBias(), Mamba2Config.LAYER_NORM_EPSILON, 0,
        Double.POSITIVE_INFINITY);
  }

  /** The engine configuration of a GLA / ReGLA architecture (widths as expand factors that floor back to them). */
  static GlaConfig gla(GlaArch g) {
    if (!g.regla() && g.gateRank() != GlaConfig.GATE_RANK) {
      throw new IllegalArgumentException("--check: " + g.name() + ": the engine's GLA gate has rank " + GlaConfig.GATE_RANK
          + ", not " + g.gateRank());
    }
    return new GlaConfig(g.regla() ? GlaConfig.REGLA : GlaConfig.GLA, g.vocab(), g.hidden(), g.layers(), g.heads(),
        expand(g.keyDim(), g.hidden()), expand(g.valueDim(), g.hidden()), g.ffDim(), 1e-6, g.tied());
  }

  private static double expand(int width, int d) {
    double e = (double) width / d;
    while ((int) Math.floor(d * e) < width) e = Math.nextUp(e);
    return e;
  }

  /**
   * The linear-time mixer models: their closed forms count the recurrent form per token, so the
   * FLOPs are those of the model's decoding step (the recurrent form: every Linear's product, the
   * state updates and the convolution as each multiply and add once), fed the L tokens of every row
   * at once; the state is what that step holds after them (constant in L).
   */
  private static EngineCheck mixer(String name, ModelSpec spec, int batch, int length, Analysis formula) {
    LanguageModel model = spec.uninitialisedModel();
    model.eval();
    ModelState state = model.newState(batch);
    long flops;
    try (FlopCounter c = FlopCounter.open(model)) {
      model.step(state, tokens(batch, length, spec.vocabSize()).storage(), length);
      flops = c.total();
    }
    return new EngineCheck(name, batch, length, model.numParameters(), state.bytes(), flops, formula);
  }
}
