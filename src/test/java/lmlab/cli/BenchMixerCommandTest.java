package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchMixerCommandTest {
  @Test
  void mixerPrintsChunkedAndRecurrentTimes() throws Exception {
    MainTest.Run r = MainTest.run("bench", "mixer", "--mixer", "mamba2", "--batch", "1", "--seq", "8", "--hidden", "32",
        "--chunk", "4", "--reps", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode row = new ObjectMapper().readTree(r.out().lines().toList().getLast());
    assertThat(row.get("bench").asText()).isEqualTo("mixer");
    assertThat(row.get("chunked_ms").asDouble()).isPositive();
    assertThat(row.get("recurrent_ms").asDouble()).isPositive();
    MainTest.Run bad = MainTest.run("bench", "mixer", "--mixer", "lstm");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--mixer must be gla, regla or mamba2, got 'lstm'");
  }

  @Test
  void mixerGenerateStateBytesDoNotGrowWithTheContext() throws Exception {
    MainTest.Run r = MainTest.run("bench", "mixer-generate", "--preset", "gla-mini", "--context", "3,40", "--tokens", "1",
        "--reps", "1");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(2);
    ObjectMapper json = new ObjectMapper();
    // 6 layers of 4 heads with S (24, 48) float32
    for (String l : lines) assertThat(json.readTree(l).get("state_bytes").asLong()).isEqualTo(6L * 4 * 24 * 48 * 4);
  }

  @Test
  void benchGenerateTimesAMixerPresetPerContext() throws Exception {
    MainTest.Run r = MainTest.run("bench", "generate", "--preset", "mamba2-mini", "--context", "3,40", "--new-tokens",
        "1", "--reps", "1");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(2);
    ObjectMapper json = new ObjectMapper();
    // 6 layers: conv (384 + 2·64, 4) and SSM (6, 64, 64), float32
    for (String l : lines) {
      JsonNode row = json.readTree(l);
      assertThat(row.get("bench").asText()).isEqualTo("generate");
      assertThat(row.get("state_bytes").asLong()).isEqualTo(6L * ((384 + 128) * 4 + 6 * 64 * 64) * 4);
    }
    MainTest.Run kv = MainTest.run("bench", "generate", "--preset", "chargpt", "--context", "10");
    assertThat(kv.code()).isEqualTo(2);
    assertThat(kv.err()).contains("--context: only for presets with a constant-size decoding state");
  }
}
