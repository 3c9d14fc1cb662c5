package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import lmlab.cli.MainTest.Run;
import org.junit.jupiter.api.Test;

/** The analyser's QLoRA bytes are the exact storage of spec lora.md's table (issue 17). */
class AnalyzeQloraBytesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String QWEN = "src/test/resources/analysis/qwen2.5-0.5b/config.json";

  private static JsonNode analyze(String... extra) throws IOException {
    String[] base = {"analyze", "--config", QWEN, "--lora-rank", "16", "--lora-targets", "q,k,v,o,gate,up,down", "--format", "json"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    Run r = MainTest.run(all);
    assertThat(r.code()).as(r.err()).isZero();
    return JSON.readTree(r.out()).get("configurations").get(0);
  }

  private static long value(JsonNode c, String key) {
    for (JsonNode f : c.get("figures")) if (f.get("key").asText().equals(key)) return f.get("value").asLong();
    throw new AssertionError("no figure " + key);
  }

  @Test
  void qwenNf4WithDoubleQuantisationIsTheSpecsTable() throws IOException {
    JsonNode f32 = analyze("--base-bits", "4", "--dtype", "f32");
    assertThat(value(f32, "qlora_quantized_bytes")).isEqualTo(184_592_352L);
    assertThat(value(f32, "qlora_weight_bytes")).isEqualTo(729_417_184L);
    assertThat(value(f32, "lora_base_bytes")).as("the course's idealisation P·m/8").isEqualTo(247_016_384L);
    assertThat(value(analyze("--base-bits", "4", "--dtype", "bf16"), "qlora_weight_bytes")).isEqualTo(457_004_768L);
    assertThat(value(analyze("--base-bits", "4", "--quantize", "nf4"), "qlora_quantized_bytes")).isEqualTo(201_277_440L);
    assertThat(value(analyze("--base-bits", "4", "--quantize", "absmax-m4"), "qlora_quantized_bytes")).isEqualTo(178_913_952L);
  }

  @Test
  void aQuantiserOfOtherBitsIsRefused() {
    Run r = MainTest.run("analyze", "--config", QWEN, "--lora-rank", "8", "--base-bits", "4", "--quantize", "int8");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--quantize int8 stores 8-bit codes but --base-bits is 4");
  }
}
