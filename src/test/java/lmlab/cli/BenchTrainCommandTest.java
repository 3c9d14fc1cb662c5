package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BenchTrainCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"arith-gpt", "arith-lstm", "chargpt"})
  void printsOneJsonLine(String preset) throws Exception {
    MainTest.Run r = MainTest.run("bench", "train", "--preset", preset, "--steps", "1", "--warmup", "0",
        "--batch-size", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(1);
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertThat(n.get("bench").asText()).isEqualTo("train");
    assertThat(n.get("preset").asText()).isEqualTo(preset);
    assertThat(n.get("ms_per_step").asDouble()).isPositive();
    assertThat(n.get("tokens_per_s").asDouble()).isPositive();
    assertThat(n.get("threads").asInt()).isPositive();
    assertThat(n.get("batch").asInt()).isEqualTo(2);
    assertThat(n.get("seq").asInt()).isEqualTo(preset.equals("chargpt") ? 128 : 6);
    assertThat(n.get("vocab").asInt()).isEqualTo(preset.equals("chargpt") ? 65 : 39);
    // a step allocates at least its logits and their gradient (B·S·V floats each)
    double logitsMb = 2.0 * n.get("seq").asInt() * n.get("vocab").asInt() * 4 / 1e6;
    assertThat(n.get("alloc_mb_per_step").asDouble()).isGreaterThanOrEqualTo(2 * logitsMb);
  }

  /** The mixer models' presets: mamba2-lab at the arithmetic shape, the -mini ones at the text task's. */
  @ParameterizedTest
  @ValueSource(strings = {"mamba2-lab", "mamba2-mini", "gla-mini", "regla-mini"})
  void mixerPresetsPrintOneJsonLine(String preset) throws Exception {
    MainTest.Run r = MainTest.run("bench", "train", "--preset", preset, "--steps", "1", "--warmup", "0",
        "--batch-size", "2");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertThat(n.get("preset").asText()).isEqualTo(preset);
    boolean lab = preset.equals("mamba2-lab");
    assertThat(n.get("seq").asInt()).isEqualTo(lab ? 6 : 128);
    assertThat(n.get("vocab").asInt()).isEqualTo(lab ? 39 : 65);
    assertThat(n.get("ms_per_step").asDouble()).isPositive();
    assertThat(n.get("step_gflop").asDouble()).isPositive(); // in_proj, out_proj (or q/k/v/g/o) and the head
  }

  @Test
  void stepWorkIsThreeTimesTheForwardProducts() throws Exception {
    MainTest.Run r = MainTest.run("bench", "train", "--preset", "arith-gpt", "--steps", "1", "--warmup", "0",
        "--batch-size", "2");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out());
    // gpt preset (d 128, 2 layers, d_ff 512, V 39), 2 × 6 tokens: per token 2·(128·384 + 128·128 +
    // 128·512 + 512·128)·2 layers + 2·128·39 (head) = 796,416 FLOPs; causal attention q·kᵀ and A·V
    // over 21 visible pairs, 2 sequences × 4 heads of 32: 2·2·(2·4)·21·32 = 21,504
    double forward = 12 * 796_416 + 21_504;
    assertThat(n.get("step_gflop").asDouble()).isCloseTo(3 * forward / 1e9, within(1e-4));
    assertThat(n.get("gflops").asDouble())
        .isCloseTo(n.get("step_gflop").asDouble() / (n.get("ms_per_step").asDouble() / 1e3), withinPercentage(1));
  }

  @Test
  void withPeakPrintsThePeakAroundTheStepsAndTheRatio() throws Exception {
    MainTest.Run r = MainTest.run("bench", "train", "--preset", "arith-gpt", "--steps", "1", "--warmup", "0",
        "--batch-size", "2", "--with-peak", "--peak-reps", "1", "--peak-seconds", "0.05");
    assertThat(r.code()).as(r.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    java.util.List<JsonNode> rows = new java.util.ArrayList<>();
    for (String line : r.out().lines().toList()) rows.add(json.readTree(line));
    assertThat(rows.stream().map(x -> x.get("bench").asText() + "/" + x.path("when").asText("")))
        .containsExactly("peak/before", "peak/after", "train/");
    double best = Math.max(rows.get(0).get("gflops").asDouble(), rows.get(1).get("gflops").asDouble());
    JsonNode train = rows.get(2);
    assertThat(train.get("peak_gflops").asDouble()).isEqualTo(best);
    assertThat(train.get("of_peak").asDouble())
        .isCloseTo(train.get("gflops").asDouble() / best, within(6e-4 + 1e-3 * train.get("gflops").asDouble() / best));
  }

  @Test
  void unknownPresetIsAUsageError() {
    MainTest.Run r = MainTest.run("bench", "train", "--preset", "resnet");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'resnet' is not a bench preset");
  }
}
