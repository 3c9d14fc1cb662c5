package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchDecodeCommandTest {
  @Test
  void printsGreedyThenOneLinePerWidth() throws Exception {
    MainTest.Run r = MainTest.run("bench", "decode", "--preset", "chargpt", "--strategy", "beam", "--beams", "1,2,4",
        "--new-tokens", "6", "--reps", "1", "--warmup", "0");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(4);
    ObjectMapper json = new ObjectMapper();
    int[] widths = {1, 1, 2, 4};
    for (int i = 0; i < 4; i++) {
      JsonNode n = json.readTree(lines.get(i));
      assertThat(n.get("bench").asText()).isEqualTo("decode");
      assertThat(n.get("strategy").asText()).isEqualTo(i == 0 ? "greedy" : "beam");
      assertThat(n.get("beams").asInt()).isEqualTo(widths[i]);
      assertThat(n.get("tokens_per_s").asDouble()).isPositive();
      assertThat(n.get("ms_per_step").asDouble()).isCloseTo(n.get("seconds").asDouble() * 1e3 / 6,
          org.assertj.core.data.Percentage.withPercentage(0.5));
      assertThat(n.get("row_tokens_per_s").asDouble()).isCloseTo(widths[i] * n.get("tokens_per_s").asDouble(),
          org.assertj.core.data.Percentage.withPercentage(0.5));
      // B rows hold the prompt and 5 fed tokens each in every layer's cache (6 layers, K and V of 192 floats)
      assertThat(n.get("state_bytes").asLong()).isEqualTo(widths[i] * 6L * 6 * 2 * 192 * 4);
      if (i == 0) { // greedy against itself, round by round
        assertThat(n.get("ratio_to_greedy").asDouble()).isEqualTo(1.0);
        assertThat(n.get("cpu_ratio_to_greedy").asDouble()).isEqualTo(1.0);
      }
    }
    MainTest.Run sample = MainTest.run("bench", "decode", "--preset", "lstm-lm", "--strategy", "sample", "--beams", "3",
        "--new-tokens", "4", "--reps", "1", "--warmup", "0");
    assertThat(sample.code()).as(sample.err()).isZero();
    assertThat(sample.out().lines().toList()).hasSize(2);
  }

  @Test
  void ratiosPairEachRunWithGreedysInTheSameRound() {
    // round 2's greedy ran in slow seconds: the median of ratios ignores it, a ratio of medians would not (3.3 / 2 = 1.65)
    assertThat(BenchSupport.pairedRatio(new double[] {3, 3.3, 6}, new double[] {1, 2.2, 2})).isEqualTo(3.0);
    assertThat(BenchSupport.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
  }

  @Test
  void badOptionsAreUsageErrors() {
    MainTest.Run zero = MainTest.run("bench", "decode", "--preset", "chargpt", "--beams", "1,0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--beams must be >= 1, got 0");
    MainTest.Run greedy = MainTest.run("bench", "decode", "--preset", "chargpt", "--strategy", "exhaustive");
    assertThat(greedy.code()).isEqualTo(2);
    assertThat(greedy.err()).contains("bench decode measures beam or sample");
  }
}
