package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class BenchPeakCommandTest {
  @Test
  void printsOnePositiveReadingPerRepetition() throws Exception {
    MainTest.Run r = MainTest.run("bench", "peak", "--reps", "2", "--seconds", "0.05");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(2);
    JsonNode n = new ObjectMapper().readTree(r.out().lines().findFirst().orElseThrow());
    assertThat(n.get("bench").asText()).isEqualTo("peak");
    assertThat(n.get("gflops").asDouble()).isPositive();
    assertThat(n.get("vector_bits").asInt()).isGreaterThanOrEqualTo(128);
  }

  @Test
  void rejectsANonPositiveDuration() {
    MainTest.Run r = MainTest.run("bench", "peak", "--seconds", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--seconds must be in (0, 60], got 0.0");
  }
}
