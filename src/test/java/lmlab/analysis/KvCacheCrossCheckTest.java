package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.decode.KvCache;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Transformer side of analysis.md's checks, on the engine's KV cache and attention kernels:
 * formula KV bytes = the bytes {@link KvCache} holds after L tokens (float32), and formula
 * parameters and FLOPs = the built model's, for the llama/qwen2 layouts (GQA, SwiGLU, RoPE, biases)
 * and windowed mask schedules (sliding, dilated, block_local) too.
 */
class KvCacheCrossCheckTest {
  private static final int BATCH = 2;

  private static IntTensor tokens(int batch, int length, int vocab, int offset) {
    int[] ids = new int[batch * length];
    for (int i = 0; i < ids.length; i++) ids[i] = (i * 5 + offset) % vocab;
    return IntTensor.of(ids, batch, length);
  }

  /** A preset with overrides given as key=value;key=value (empty: none). */
  private static Transformer build(String preset, String sets) {
    Map<String, String> set = new LinkedHashMap<>();
    if (!sets.isBlank()) {
      for (String kv : sets.split(";")) set.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1));
    }
    return (Transformer) Models.preset(preset, set).uninitialisedModel();
  }

  @ParameterizedTest(name = "{0} [{1}] L={2} chunk={3}")
  @CsvSource(delimiter = '|', value = {
    "gpt      | | 9 | 1",
    "chargpt  | num_hidden_layers=2 | 13 | 4",
    "gpt2     | hidden_size=32;num_hidden_layers=2;num_attention_heads=4;vocab_size=50 | 7 | 7",
    "llama    | num_hidden_layers=2 | 10 | 3",
    "qwen2    | num_hidden_layers=3 | 11 | 1",
    "qwen2-variant | num_hidden_layers=3;max_position_embeddings=16 | 14 | 1",
    "qwen2    | num_hidden_layers=4;masks=[\"causal\",\"sliding(5)\",\"dilated(8,2)\",\"block_local(3)\"];max_position_embeddings=12 | 12 | 1",
    "qwen2    | num_hidden_layers=4;masks=[\"causal\",\"sliding(5)\",\"dilated(8,2)\",\"block_local(3)\"];max_position_embeddings=12 | 5 | 2",
  })
  void kvBytesParametersAndFlopsEqualTheEngine(String preset, String sets, int length, int chunk) {
    Transformer model = build(preset, sets == null ? "" : sets);
    TransformerConfig cfg = model.transformerConfig();
    Architecture arch = TransformerArch.of(preset, cfg);
    Analysis a = Analysis.of(arch, Analysis.Setting.of(length).withBatch(BATCH).with(ElementType.F32));

    assertEquals(model.numParameters(), a.value("parameters"));
    if (sets != null && sets.contains("masks")) {
      // one term per layer: causal L, sliding(5) 3 keys, dilated(8,2) 7, block_local(3) of S_max 12: blocks of 4
      assertEquals("B·2·n_kv·d_h·(L + min(L, 3) + min(L, 7) + (mod(L - 1, 4) + 1))·b",
          a.figure("state@" + length).expression().text());
    }

    // FLOPs of the full forward pass, causal counting = what the engine computes
    model.eval();
    try (FlopCounter c = FlopCounter.open(model)) {
      model.forward(tokens(BATCH, length, cfg.vocabSize(), 1), LanguageModel.Request.LOGITS);
      assertEquals(a.value("flops@" + length), c.total(), () -> "by module: " + c.byModule());
    }

    // the decoder's KV cache after L tokens fed incrementally, chunk tokens at a time
    KvCache cache = new KvCache(model);
    for (int fed = 0; fed < length; fed += chunk) {
      int n = Math.min(chunk, length - fed);
      cache.append(tokens(BATCH, n, cfg.vocabSize(), fed));
      Analysis now = Analysis.of(arch, Analysis.Setting.of(fed + n).withBatch(BATCH).with(ElementType.F32));
      assertEquals(now.value("state@" + (fed + n)), cache.bytes(), "after " + (fed + n) + " tokens");
    }
    // and layer by layer: 2·B·n_kv·d_h·4 times the tokens the layer's mask lets it hold
    for (int i = 0; i < cfg.numHiddenLayers(); i++) {
      String held = TransformerArch.span(cfg.masks().get(i), cfg.maxPositionEmbeddings());
      long tokensHeld = ClosedForm.of(held).evaluate(Map.of("L", (long) length)).longValueExact();
      assertEquals(2L * BATCH * cfg.numKeyValueHeads() * cfg.headDim() * Float.BYTES * tokensHeld, cache.bytes(i),
          "layer " + i + " (" + cfg.masks().get(i) + ")");
    }
  }
}
