package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BenchGenerateCommandTest {
  @ParameterizedTest
  @ValueSource(strings = {"chargpt", "qwen2-variant", "llama"})
  void printsOneJsonLine(String preset) throws Exception {
    MainTest.Run r = MainTest.run("bench", "generate", "--preset", preset, "--new-tokens", "20", "--reps", "1",
        "--warmup", "0", "--roofline-seconds", "0.02");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(1);
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertThat(n.get("bench").asText()).isEqualTo("generate");
    assertThat(n.get("preset").asText()).isEqualTo(preset);
    assertThat(n.get("tokens_per_s").asDouble()).isPositive();
    assertThat(n.get("ms_per_token").asDouble()).isPositive();
    assertThat(n.get("cpu_tokens_per_s").asDouble()).isPositive();
    assertThat(n.get("new_tokens").asInt()).isEqualTo(20);
    assertThat(n.get("threads").asInt()).isPositive();
    assertThat(n.get("max_position_embeddings").asInt()).isEqualTo(128);
    assertThat(n.get("weight_gb_per_s").asDouble()).isPositive();
    // the ceiling: the measured read bandwidth over the bytes one token reads
    double roofline = n.get("roofline_gb_per_s").asDouble();
    assertThat(roofline).isPositive();
    assertThat(n.get("roofline_tokens_per_s").asDouble())
        .isCloseTo(roofline * 1e9 / n.get("weight_bytes_per_token").asLong(), org.assertj.core.data.Percentage.withPercentage(0.2));
    assertThat(n.get("of_roofline").asDouble()).isCloseTo(
        n.get("tokens_per_s").asDouble() / n.get("roofline_tokens_per_s").asDouble(),
        org.assertj.core.data.Offset.offset(6e-4 + 1e-3 * n.get("of_roofline").asDouble()));
    if (preset.equals("chargpt")) {
      // the six blocks (4·192² + 2·192·768 weights, biases, norms), the final norm and lm_head (65 × 192)
      long block = 4L * 192 * 192 + 4 * 192 + 2L * 192 * 768 + 768 + 192 + 4 * 192;
      assertThat(n.get("weight_bytes_per_token").asLong()).isEqualTo(4 * (6 * block + 2 * 192 + 65 * 192));
    }
    // the prompt and 19 fed picks: 20 positions in the cache of every layer (full attention), or fewer
    long perToken = preset.equals("llama") ? 2L * 6 * 6 * 32 * 4 : preset.equals("chargpt") ? 2L * 6 * 192 * 4 : 0;
    if (perToken > 0) assertThat(n.get("kv_cache_bytes").asLong()).isEqualTo(20 * perToken);
  }

  @Test
  void batchReportsAggregateTokensAndItsOwnRoofline() throws Exception {
    MainTest.Run r = MainTest.run("bench", "generate", "--preset", "chargpt", "--batch", "3", "--new-tokens", "10",
        "--reps", "1", "--warmup", "0", "--roofline-seconds", "0.02");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertThat(n.get("batch").asInt()).isEqualTo(3);
    double tokens = n.get("tokens_per_s").asDouble();
    assertThat(tokens).isPositive();
    // aggregate: three rows per step of ms_per_step
    assertThat(tokens).isCloseTo(3 * 1e3 / n.get("ms_per_step").asDouble(), org.assertj.core.data.Percentage.withPercentage(0.5));
    assertThat(n.get("cpu_seconds").asDouble()).isPositive();
    // the weights are read once per step for all rows: three times the one-row ceiling
    assertThat(n.get("roofline_tokens_per_s").asDouble()).isCloseTo(
        3 * n.get("roofline_gb_per_s").asDouble() * 1e9 / n.get("weight_bytes_per_token").asLong(),
        org.assertj.core.data.Percentage.withPercentage(0.2));
    assertThat(n.get("of_roofline").asDouble()).isCloseTo(tokens / n.get("roofline_tokens_per_s").asDouble(),
        org.assertj.core.data.Offset.offset(6e-4 + 1e-3 * n.get("of_roofline").asDouble()));
    // ten positions of three rows in every layer's cache
    assertThat(n.get("kv_cache_bytes").asLong()).isEqualTo(3 * 10 * 2L * 6 * 192 * 4);
    assertThat(n.get("kv_cache").asText()).isEqualTo("f32");
    // a bf16 cache: half the bytes
    MainTest.Run half = MainTest.run("bench", "generate", "--preset", "chargpt", "--batch", "3", "--new-tokens", "10",
        "--reps", "1", "--warmup", "0", "--roofline-seconds", "0.02", "--kv-cache", "bf16");
    assertThat(half.code()).as(half.err()).isZero();
    JsonNode h = new ObjectMapper().readTree(half.out());
    assertThat(h.get("kv_cache").asText()).isEqualTo("bf16");
    assertThat(h.get("kv_cache_bytes").asLong()).isEqualTo(3 * 10 * 2L * 6 * 192 * 2);
    MainTest.Run bad = MainTest.run("bench", "generate", "--preset", "chargpt", "--batch", "0");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--batch");
  }

  @Test
  void batchedRowsPickTheTokensOfSingleRuns() {
    lmlab.models.Transformer model = new lmlab.models.Transformer(
        lmlab.models.TransformerConfig.builder("chargpt").set("dropout", 0.0).build(), 3L);
    model.eval();
    int[] prompts = BenchGenerateCommand.prompts(5, 65);
    int[][] batched = BenchGenerateCommand.batchGreedy(new lmlab.decode.Decoder(model), prompts, 30);
    for (int r = 0; r < prompts.length; r++) {
      int[] single = lmlab.decode.Greedy.generate(model, new int[] {prompts[r]}, 30, -1).tokens();
      assertThat(batched[r]).as("row %d", r).containsExactly(single);
    }
    // the rows differ (else the test would not show rows kept apart)
    assertThat(batched[0]).isNotEqualTo(batched[1]);
  }

  @Test
  void bf16WeightsHalveTheMatrixBytesPerToken() throws Exception {
    MainTest.Run r = MainTest.run("bench", "generate", "--preset", "chargpt", "--weights", "bf16", "--new-tokens", "20",
        "--reps", "1", "--warmup", "0", "--roofline-seconds", "0.02");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out());
    assertThat(n.get("weights").asText()).isEqualTo("bf16");
    assertThat(n.get("tokens_per_s").asDouble()).isPositive();
    long matrices = 6 * (4L * 192 * 192 + 2L * 192 * 768) + 65 * 192;
    long vectors = 6 * (4L * 192 + 768 + 192 + 4 * 192) + 2 * 192;
    assertThat(n.get("weight_bytes_per_token").asLong()).isEqualTo(2 * matrices + 4 * vectors);
    assertThat(n.get("parameters").asLong()).isEqualTo(matrices + vectors + 65 * 192 + 128 * 192);
    MainTest.Run bad = MainTest.run("bench", "generate", "--preset", "chargpt", "--weights", "int3");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--weights").contains("expected f32 or bf16");
  }

  @Test
  void aLearnedTableShorterThanTheRunIsExtended() throws Exception {
    MainTest.Run r = MainTest.run("bench", "generate", "--preset", "chargpt", "--new-tokens", "200", "--reps", "1",
        "--warmup", "0", "--roofline-seconds", "0.02");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("max_position_embeddings").asInt()).isEqualTo(200);
  }

  @Test
  void badOptionsAreUsageErrors() {
    MainTest.Run bad = MainTest.run("bench", "generate", "--preset", "resnet");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--preset").contains("unknown preset 'resnet'");
    MainTest.Run zero = MainTest.run("bench", "generate", "--preset", "chargpt", "--new-tokens", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--new-tokens must be >= 1");
    MainTest.Run roofline = MainTest.run("bench", "generate", "--preset", "chargpt", "--roofline-seconds", "0");
    assertThat(roofline.code()).isEqualTo(2);
    assertThat(roofline.err()).contains("--roofline-seconds must be in (0, 60], got 0.0");
  }
}
