package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.models.LstmLm;
import lmlab.models.Models;
import lmlab.models.RecurrentLmConfig;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * analysis.md, "Checks the analyser must pass": every formula equals the engine — the parameter
 * count of the built model, the FLOPs an instrumented forward pass counts, the bytes of the
 * recurrent state after L tokens.
 */
class EngineCrossCheckTest {
  private static final int BATCH = 2;

  private static IntTensor tokens(int batch, int length, int vocab) {
    int[] ids = new int[batch * length];
    for (int i = 0; i < ids.length; i++) ids[i] = (i * 7 + 3) % vocab;
    return IntTensor.of(ids, batch, length);
  }

  private static long instrumentedFlops(LanguageModel model, IntTensor tokens) {
    model.eval();
    try (FlopCounter c = FlopCounter.open(model)) {
      model.forward(tokens, LanguageModel.Request.LOGITS);
      return c.total();
    }
  }

  @ParameterizedTest(name = "{0} d={1} layers={2} heads={3} V={4} L={5}")
  @CsvSource({
    "gpt, 128, 2, 4, 39, 9",
    "gpt, 64, 3, 2, 17, 5",
    "gpt, 96, 1, 6, 50, 12",
    "chargpt, 192, 6, 6, 65, 16",
    "chargpt, 48, 2, 4, 11, 7",
    "gpt2, 32, 2, 2, 101, 6"
  })
  void transformerParametersAndFlopsEqualTheEngine(String preset, int d, int layers, int heads, int vocab, int length) {
    Map<String, String> set = new LinkedHashMap<>();
    set.put("hidden_size", Integer.toString(d));
    set.put("num_hidden_layers", Integer.toString(layers));
    set.put("num_attention_heads", Integer.toString(heads));
    set.put("vocab_size", Integer.toString(vocab));
    lmlab.models.ModelSpec spec = Models.preset(preset, set);
    LanguageModel model = spec.uninitialisedModel();
    Overrides o = new Overrides(vocab, d, layers, heads, null, null, null, null, null, null, null, null, null, null,
        null, null);
    Architecture arch = Configurations.named(preset, o);
    assertEquals(TransformerArch.of(preset, spec.configAs(TransformerConfig.class)), arch, "flags and the engine's config agree");
    Analysis causal = Analysis.of(arch, Analysis.Setting.of(length).withBatch(BATCH));
    assertEquals(model.numParameters(), causal.value("parameters"));
    assertEquals(Models.parameterCount(model).embeddings(), causal.value("embedding_parameters"));

    long counted = instrumentedFlops(model, tokens(BATCH, length, vocab));
    // the engine's attention computes only the visible (causal) pairs: causal counting
    assertEquals(causal.value("flops@" + length), counted);
    // full counting adds the masked upper triangle, 2·d·L(L-1) per layer and sequence
    Analysis full = Analysis.of(arch, Analysis.Setting.of(length).withBatch(BATCH).with(Counting.FULL));
    assertEquals(counted + (long) BATCH * layers * 2 * d * length * (length - 1), full.value("flops@" + length));
  }

  @ParameterizedTest(name = "lstm-lm V={0} d_e={1} d_h={2} layers={3} bias={4} L={5}")
  @CsvSource({
    "65, 128, 128, 2, true, 8",
    "39, 16, 32, 1, true, 5",
    "20, 24, 8, 3, false, 11",
    "7, 8, 8, 4, true, 3"
  })
  void lstmParametersFlopsAndStateEqualTheEngine(int vocab, int de, int dh, int layers, boolean bias, int length) {
    RecurrentLmConfig cfg = RecurrentLmConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
        .put("model_type", "lstm-lm").put("vocab_size", vocab).put("embedding_size", de).put("hidden_size", dh)
        .put("num_hidden_layers", layers).put("bias", bias));
    LstmLm model = (LstmLm) cfg.newModel(new lmlab.tensor.Rng(1));
    Architecture arch = RecurrentLmArch.of("lstm-lm", cfg);
    Analysis a = Analysis.of(arch, Analysis.Setting.of(length).withBatch(BATCH).with(ElementType.F32));
    assertEquals(model.numParameters(), a.value("parameters"));
    assertEquals(cfg.expectedParameters(), a.value("parameters"));

    IntTensor toks = tokens(BATCH, length, vocab);
    model.eval();
    LanguageModel.Output out;
    long counted;
    try (FlopCounter c = FlopCounter.open(model)) {
      out = model.forward(toks, LanguageModel.Request.LOGITS);
      counted = c.total();
      // every product is attributed to a module of the model
      for (FlopCounter.Product p : c.products()) {
        assertTrue(p.module().equals("classifier") || p.module().startsWith("lstm.layers."), p.module());
      }
    }
    assertEquals(a.value("flops@" + length), counted);
    // the (h, c) state after L tokens, float32
    Tensor h = out.extras().get("h_n");
    Tensor c = out.extras().get("c_n");
    assertEquals((h.numel() + c.numel()) * Float.BYTES, a.value("state@" + length));
  }

  @ParameterizedTest(name = "FlopCounter attributes {0}")
  @CsvSource({"gpt", "chargpt"})
  void flopsAreAttributedToTheIssuingModule(String preset) {
    LanguageModel model = Models.preset(preset).uninitialisedModel();
    TransformerConfig c = Models.preset(preset).configAs(TransformerConfig.class);
    int length = 6;
    model.eval();
    try (FlopCounter counter = FlopCounter.open(model)) {
      model.forward(tokens(1, length, c.vocabSize()), LanguageModel.Request.LOGITS);
      Map<String, Long> by = counter.byModule();
      long d = c.hiddenSize();
      assertEquals(2L * length * d * d, by.get("model.layers.0.self_attn.q_proj"));
      assertEquals(2L * length * d * c.intermediateSize(), by.get("model.layers.1.mlp.up_proj"));
      // q·kᵀ and A·V of the causal pairs: 2·d·L(L+1)
      assertEquals(2L * d * length * (length + 1), by.get("model.layers.0.self_attn"));
      assertEquals(2L * length * d * c.vocabSize(), by.get("lm_head"));
      assertEquals(List.copyOf(by.keySet()).size(), by.size());
    }
  }
}
