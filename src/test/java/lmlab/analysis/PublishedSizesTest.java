package lmlab.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** analysis.md: GPT-2 small 124,439,808 parameters, Qwen2.5-0.5B 494,032,768. */
class PublishedSizesTest {
  static final Path QWEN = Path.of("src/test/resources/analysis/qwen2.5-0.5b/config.json");

  @Test
  void gpt2SmallPreset() {
    Analysis a = Analysis.of(Configurations.named("gpt2", Overrides.NONE), Analysis.Setting.of(1024));
    assertEquals(124_439_808L, a.value("parameters"));
    assertEquals("V·d + S_max·d + N_layer·(4d^2 + 2·d·d_ff + 9d + d_ff) + 2d", a.figure("parameters").expression().text());
    assertEquals(50257L * 768 + 1024L * 768, a.value("embedding_parameters"));
    assertEquals(7_087_872L, a.value("layer_parameters"));
    // KV cache, bfloat16: 2·N_layer·L·d·b = 2·12·1024·768·2
    assertEquals(2L * 12 * 1024 * 768 * 2, a.value("state@1024"));
    assertEquals("2·N_layer·L·d·b", a.figure("state@1024").expression().text());
  }

  @Test
  void gpt2FromFlagsWithBiases() {
    // the gpt preset (sinusoidal, untied, head bias) is not GPT-2; chargpt is its layout: give chargpt GPT-2's sizes
    Overrides o = new Overrides(50257, 768, 12, 12, null, null, null, 1024, null, null, null, null, null, null, null,
        null);
    Architecture a = Configurations.named("chargpt", o);
    // chargpt is untied: GPT-2's count plus the separate head V·d
    assertEquals(124_439_808L + 50257L * 768, Analysis.of(a, Analysis.Setting.of(1)).value("parameters"));
  }

  @Test
  void qwen25FromItsConfigJson() throws Exception {
    Architecture a = Configurations.read(QWEN);
    Analysis an = Analysis.of(a, Analysis.Setting.of(32768));
    assertEquals(494_032_768L, an.value("parameters"));
    assertEquals(151936L * 896, an.value("embedding_parameters"));
    assertEquals(14_912_384L, an.value("layer_parameters"));
    // 2·N_layer·L·n_kv·d_h·b = 2·24·32768·2·64·2 bytes = 384 MiB
    assertEquals(2L * 24 * 32768 * 2 * 64 * 2, an.value("state@32768"));
    assertEquals("2·N_layer·L·n_kv·d_h·b", an.figure("state@32768").expression().text());
    assertEquals(494_032_768L, Analysis.of(Configurations.named("qwen2.5-0.5b", Overrides.NONE),
        Analysis.Setting.of(1)).value("parameters"));
  }
}
