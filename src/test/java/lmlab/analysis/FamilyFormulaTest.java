package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The linear-time families and the mask formulas, against sums worked out by hand from
 * analysis.md (no engine implements Mamba-2 or GLA), and the config.json readers of every model
 * type.
 */
class FamilyFormulaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  @Test
  void mamba2At130mSize() throws Exception {
    // d 768, 24 layers, V 50277 (padded to 50288), E 2, P 64, N 128, G 1, conv 4: d_inner 1536, H 24
    long layer = 768L * (2 * 1536 + 2 * 128 + 24) + (1536 + 2 * 128) * 5L + 3 * 24 + 1536 + 1536L * 768 + 768;
    assertEquals(3_765_320L, layer);
    long params = 24 * layer + 50288L * 768 + 768;
    long state = 24L * ((1536 + 256) * 4 + 1536 * 128) * 2; // bfloat16
    long perToken = 24L * (2 * 768L * 3352 + 2 * 4 * 1792 + 5 * 1536L * 128 + 2 * 1536L * 768) + 2 * 768L * 50288;
    Architecture hf = Configurations.fromJson("m", json("{\"model_type\": \"mamba2\", \"hidden_size\": 768,"
        + " \"num_hidden_layers\": 24, \"vocab_size\": 50277, \"num_heads\": 24, \"head_dim\": 64, \"state_size\": 128,"
        + " \"expand\": 2, \"n_groups\": 1, \"conv_kernel\": 4}"));
    Architecture ssm = Configurations.fromJson("m", json("{\"d_model\": 768, \"d_intermediate\": 0, \"n_layer\": 24,"
        + " \"vocab_size\": 50277, \"ssm_cfg\": {\"layer\": \"Mamba2\"}, \"attn_layer_idx\": [], \"rms_norm\": true,"
        + " \"pad_vocab_size_multiple\": 16, \"tie_embeddings\": true}"));
    Architecture flags = Configurations.named("mamba2", new Overrides(50277, 768, 24, null, null, null, null, null,
        null, null, null, null, null, null, null, null));
    for (Architecture a : new Architecture[] {hf, ssm, flags}) {
      Analysis an = Analysis.of(a, Analysis.Setting.of(100, 4096));
      assertEquals(params, an.value("parameters"));
      assertEquals(128_989_632L, an.value("parameters"));
      assertEquals(layer, an.value("layer_parameters"));
      assertEquals(state, an.value("state@100"));
      assertEquals(state, an.value("state@4096"), "the state does not grow with L");
      assertEquals(100 * perToken, an.value("flops@100"));
      assertEquals(4096 * perToken, an.value("flops@4096"));
    }
  }

  @Test
  void glaAt340mSize() throws Exception {
    // d 1024, 24 layers, 4 heads, V 32000, d_k 512, d_v 1024, d_ff = fla's 256·ceil(int(1024·4·2/3)/256) = 2816
    long layer = 2 * 1024L * 512 + 2 * 1024L * 1024 + 1024L * 1024 + 16 * 1024 + 16 * 512 + 512 + 1024 / 4
        + 3 * 1024L * 2816 + 2 * 1024;
    long params = 24 * layer + 2 * 32000L * 1024 + 1024; // untied head (fla's default)
    Architecture a = Configurations.fromJson("gla", json("{\"model_type\": \"gla\", \"hidden_size\": 1024,"
        + " \"num_hidden_layers\": 24, \"num_heads\": 4, \"vocab_size\": 32000, \"expand_k\": 0.5, \"expand_v\": 1,"
        + " \"hidden_ratio\": 4, \"intermediate_size\": null, \"tie_word_embeddings\": false}"));
    Analysis an = Analysis.of(a, Analysis.Setting.of(2048).with(ElementType.F32));
    assertEquals(12_872_448L, an.value("layer_parameters"));
    assertEquals(params, an.value("parameters"));
    assertEquals(24L * 512 * 1024 / 4 * 4, an.value("state@2048"));
    long perToken = 24L * (2 * 1024L * (2 * 512 + 2 * 1024) + 2 * 1024L * 1024 + 32 * 1024 + 32 * 512
        + 5L * 512 * 1024 / 4 + 6 * 1024L * 2816) + 2 * 1024L * 32000;
    assertEquals(2048 * perToken, an.value("flops@2048"));
  }

  @Test
  void gpt2ConfigJsonAndMistralWindow() throws Exception {
    Architecture gpt2 = Configurations.fromJson("gpt2", json("{\"model_type\": \"gpt2\", \"n_embd\": 768, \"n_layer\": 12,"
        + " \"n_head\": 12, \"vocab_size\": 50257, \"n_positions\": 1024, \"n_inner\": null,"
        + " \"activation_function\": \"gelu_new\"}"));
    assertEquals(124_439_808L, Analysis.of(gpt2, Analysis.Setting.of(1)).value("parameters"));
    // Mistral 7B v0.1: 4096-token window on every layer, GQA 32/8: the cache stops growing at 4096 tokens
    Architecture mistral = Configurations.fromJson("mistral", json("{\"model_type\": \"mistral\", \"hidden_size\": 4096,"
        + " \"num_hidden_layers\": 32, \"num_attention_heads\": 32, \"num_key_value_heads\": 8,"
        + " \"intermediate_size\": 14336, \"vocab_size\": 32000, \"sliding_window\": 4096}"));
    Analysis m = Analysis.of(mistral, Analysis.Setting.of(1024, 32768));
    assertEquals(7_241_732_096L, m.value("parameters")); // Mistral-7B-v0.1's published count
    assertEquals(2L * 32 * 1024 * 8 * 128 * 2, m.value("state@1024"));
    assertEquals(2L * 32 * 4096 * 8 * 128 * 2, m.value("state@32768"));
    assertEquals("2·n_kv·d_h·32·min(L, 4096)·b", m.figure("state@32768").expression().text());
  }

  @Test
  void publishedLlamaAndQwenSizes() throws Exception {
    Architecture llama2 = Configurations.fromJson("llama-2-7b", json("{\"model_type\": \"llama\", \"hidden_size\": 4096,"
        + " \"intermediate_size\": 11008, \"num_hidden_layers\": 32, \"num_attention_heads\": 32,"
        + " \"num_key_value_heads\": 32, \"vocab_size\": 32000, \"tie_word_embeddings\": false,"
        + " \"rope_scaling\": null, \"hidden_act\": \"silu\"}"));
    assertEquals(6_738_415_616L, Analysis.of(llama2, Analysis.Setting.of(1)).value("parameters"));
    Architecture qwen7b = Configurations.fromJson("qwen2.5-7b", json("{\"model_type\": \"qwen2\", \"hidden_size\": 3584,"
        + " \"intermediate_size\": 18944, \"num_hidden_layers\": 28, \"num_attention_heads\": 28,"
        + " \"num_key_value_heads\": 4, \"vocab_size\": 152064, \"tie_word_embeddings\": false,"
        + " \"use_sliding_window\": false, \"sliding_window\": 131072, \"max_window_layers\": 28}"));
    Analysis q = Analysis.of(qwen7b, Analysis.Setting.of(131072));
    assertEquals(7_615_616_512L, q.value("parameters"));
    // 128k tokens of context: 2·28·131072·4·128·2 bytes = 7 GiB
    assertEquals(7L << 30, q.value("state@131072"));
  }

  /** Visible (t, j) pairs of the masks of layers.md, counted one by one. */
  private static long bruteForcePairs(String mask, int length, int maxPositions) {
    long n = 0;
    for (int t = 0; t < length; t++) {
      for (int j = 0; j <= t; j++) {
        boolean allowed = switch (mask) {
          case "causal" -> true;
          case "sliding(5)" -> t - j <= 2;
          case "dilated(8,2)" -> (t - j) % 2 == 0 && (t - j) / 2 < 4;
          case "dilated(128,2)" -> (t - j) % 2 == 0 && (t - j) / 2 < 64;
          case "block_local(3)" -> j / ((maxPositions + 2) / 3) == t / ((maxPositions + 2) / 3);
          default -> throw new IllegalArgumentException(mask);
        };
        if (allowed) n++;
      }
    }
    return n;
  }

  @Test
  void maskPairAndSpanFormulasMatchTheDefinitions() {
    for (String mask : new String[] {"causal", "sliding(5)", "dilated(8,2)", "dilated(128,2)", "block_local(3)"}) {
      ClosedForm pairs = ClosedForm.of(TransformerArch.pairs(mask, 12));
      ClosedForm span = ClosedForm.of(TransformerArch.span(mask, 12));
      for (long l = 1; l <= 300; l++) {
        assertEquals(bruteForcePairs(mask, (int) l, 12), pairs.evaluate(Map.of("L", l)).longValueExact(),
            mask + " L=" + l);
        // the last query's visible keys never exceed what the cache holds
        assertTrue(span.evaluate(Map.of("L", l)).longValueExact() <= l);
      }
    }
  }

  @Test
  void contradictoryFlagsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Configurations.named("gpt-gqa",
        new Overrides(null, null, null, 4, 3, null, null, null, null, null, null, null, null, null, null, null)));
    assertEquals("n_kv = 3 must divide n_q = 4", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Configurations.named("mamba2",
        new Overrides(null, 100, null, null, null, null, null, null, null, null, null, null, null, null, null, null)));
    assertEquals("mamba2: P (head_dim) = 64 must divide d_inner = E·d = 200", e.getMessage());
  }
}
