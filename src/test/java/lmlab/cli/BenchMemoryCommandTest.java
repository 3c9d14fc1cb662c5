package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.Test;

class BenchMemoryCommandTest {
  @Test
  void printsOneLinePerThreadCountWithTheFields() throws Exception {
    MainTest.Run r = MainTest.run("bench", "memory", "--bytes", "65537", "--seconds", "0.02");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    // 1, 2, 4, ... up to the pool's size, which comes last
    assertThat(lines).hasSize(32 - Integer.numberOfLeadingZeros(Parallel.threads() - 1) + 1);
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    assertThat(first.get("bench").asText()).isEqualTo("memory");
    assertThat(first.get("bytes").asLong()).isEqualTo(65540); // whole floats
    assertThat(first.get("threads").asInt()).isEqualTo(1);
    assertThat(first.get("read_gb_per_s").asDouble()).isPositive();
    assertThat(json.readTree(lines.getLast()).get("threads").asInt()).isEqualTo(Parallel.threads());
  }

  @Test
  void anOffsetArrayIsReadAndNamedInTheOutput() throws Exception {
    MainTest.Run r = MainTest.run("bench", "memory", "--bytes", "65536", "--seconds", "0.02", "--offset", "4");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode first = new ObjectMapper().readTree(r.out().lines().findFirst().orElseThrow());
    assertThat(first.get("offset_floats").asInt()).isEqualTo(4);
    assertThat(first.get("read_gb_per_s").asDouble()).isPositive();
  }

  @Test
  void theDefaultSizeIsChargptsWeightBytesPerToken() {
    MainTest.Run r = MainTest.run("bench", "memory", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Default: 10728192");
  }

  @Test
  void badFlagsAreUsageErrors() {
    MainTest.Run zero = MainTest.run("bench", "memory", "--bytes", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("lmlab: --bytes must be >= 1, got 0");
    MainTest.Run huge = MainTest.run("bench", "memory", "--bytes", "9000000000");
    assertThat(huge.code()).isEqualTo(2);
    assertThat(huge.err()).contains("--bytes must be <= ");
    MainTest.Run seconds = MainTest.run("bench", "memory", "--seconds", "-1");
    assertThat(seconds.code()).isEqualTo(2);
    assertThat(seconds.err()).contains("--seconds must be in (0, 60], got -1.0");
    MainTest.Run offset = MainTest.run("bench", "memory", "--offset", "16");
    assertThat(offset.code()).isEqualTo(2);
    assertThat(offset.err()).contains("lmlab: --offset must be in [0, 15] floats, got 16");
    MainTest.Run word = MainTest.run("bench", "memory", "--bytes", "lots");
    assertThat(word.code()).isEqualTo(2);
    assertThat(word.err()).contains("--bytes");
  }
}
