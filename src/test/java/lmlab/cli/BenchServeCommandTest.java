package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;

class BenchServeCommandTest {
  @Test
  void concurrentStreamsAgainstSequentialOnesThroughARealServer() throws Exception {
    MainTest.Run r = MainTest.run("bench", "serve", "--parallel", "3", "--tokens", "6", "--reps", "3", "--warmup", "0");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(1);
    JsonNode n = new ObjectMapper().readTree(r.out().strip());
    assertThat(n.get("bench").asText()).isEqualTo("serve");
    assertThat(n.get("parallel").asInt()).isEqualTo(3);
    assertThat(n.get("equal_to_sequential").asBoolean()).as("seeded streams give the same text alone or batched").isTrue();
    assertThat(n.get("single_tokens_per_s").asDouble())
        .isCloseTo(6 / n.get("single_seconds").asDouble(), Percentage.withPercentage(0.01));
    assertThat(n.get("aggregate_tokens_per_s").asDouble())
        .isCloseTo(3 * 6 / n.get("batch_seconds").asDouble(), Percentage.withPercentage(0.01));
    assertThat(n.get("ratio").asDouble()).isPositive();
    // each run's own ratio, their median the ratio (three runs: the middle one)
    JsonNode runs = n.get("run_ratios");
    assertThat(runs.size()).isEqualTo(3);
    double[] sorted = {runs.get(0).asDouble(), runs.get(1).asDouble(), runs.get(2).asDouble()};
    java.util.Arrays.sort(sorted);
    assertThat(sorted[1]).isCloseTo(n.get("ratio").asDouble(), org.assertj.core.data.Offset.offset(0.0006));
    // the sequential windows step one row at a time; the concurrent ones batch up to three
    JsonNode single = n.get("single_step_us"), batch = n.get("batch_step_us");
    assertThat(single.get("rows_per_step").asDouble()).isEqualTo(1.0);
    assertThat(batch.get("rows_per_step").asDouble()).isGreaterThan(1.0).isLessThanOrEqualTo(3.0);
    // three runs of three streams of six tokens each; a stream's first token comes with its join
    assertThat(single.get("joins").asInt()).isEqualTo(9);
    assertThat(batch.get("joins").asInt()).isEqualTo(9);
    // five steps per stream after its join; a window's last step may be counted after its client
    // has read [DONE] (the decoding thread adds up its times after handing out the tokens)
    assertThat(single.get("steps").asInt()).isBetween(9 * 5 - 3, 9 * 5 + 3);
  }

  @Test
  void aBf16KvCacheServesTheSameTextsAloneAndBatched() throws Exception {
    MainTest.Run r = MainTest.run("bench", "serve", "--parallel", "2", "--tokens", "40", "--reps", "1", "--warmup", "0",
        "--kv-cache", "bf16");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out().strip());
    assertThat(n.get("kv_cache").asText()).isEqualTo("bf16");
    assertThat(n.get("equal_to_sequential").asBoolean()).as("a row's bits do not depend on the others").isTrue();
  }

  @Test
  void bf16WeightsServeTheSameTextsAloneAndBatched() throws Exception {
    MainTest.Run r = MainTest.run("bench", "serve", "--parallel", "3", "--tokens", "30", "--reps", "1", "--warmup", "0",
        "--weights", "bf16");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(r.out().strip());
    assertThat(n.get("weights").asText()).isEqualTo("bf16");
    assertThat(n.get("kv_cache").asText()).isEqualTo("f32");
    assertThat(n.get("equal_to_sequential").asBoolean()).as("a row's bits do not depend on the others").isTrue();
  }

  @Test
  void eventsAreSplitAtBlankLinesWhateverTheBuffersHold() throws Exception {
    String big = "x".repeat(10_000); // longer than the parser's first buffer
    String stream = "data: {\"a\":1}\n\ndata: " + big + "\n\ndata: é\n\ndata: [DONE]\n\n";
    byte[] bytes = stream.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int step : new int[] {1, 2, 3, 7, 4096, bytes.length}) { // a socket's reads return what has arrived
      SseClient.Events e = new SseClient.Events();
      java.util.List<String> events = new java.util.ArrayList<>();
      boolean last = false;
      for (int at = 0; at < bytes.length; at += step) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes, at, Math.min(step, bytes.length - at));
        last |= e.feed(b, (buf, from, to) -> {
          String s = new String(buf, from, to - from, java.nio.charset.StandardCharsets.UTF_8);
          events.add(s);
          return s.equals("data: [DONE]");
        });
        assertThat(b.hasRemaining()).isFalse();
      }
      assertThat(events).as("buffers of %d bytes", step)
          .containsExactly("data: {\"a\":1}", "data: " + big, "data: é", "data: [DONE]");
      assertThat(last).isTrue();
    }
  }

  @Test
  void theClientReportsARefusalAndAClosedPortInOneLine() throws Exception {
    var tok = lmlab.tokenize.CharTokenizer.fromText(BenchServeCommand.CHARS);
    var m = lmlab.models.Models.fromPreset("chargpt", java.util.Map.of("max_position_embeddings", "64", "dropout", "0.0",
        "vocab_size", String.valueOf(tok.vocabSize()), "num_hidden_layers", "1"), 1);
    m.eval();
    var g = new lmlab.serve.ModelGenerator("tiny", m, tok, lmlab.decode.Eos.NONE, null, "no chat", 64, 2);
    try (g; var server = new lmlab.serve.LmlabServer(g,
            lmlab.serve.ServeConfig.defaults().withSlots(2, 4).withPort(0)).start();
        SseClient client = new SseClient()) {
      java.net.URI url = java.net.URI.create(server.baseUrl() + "/v1/completions");
      byte[] ok = "{\"model\":\"tiny\",\"prompt\":\"ab\",\"max_tokens\":5,\"seed\":1,\"stream\":true}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String first = client.stream(url, ok).get().text();
      assertThat(first).hasSize(5);
      assertThat(client.stream(url, ok).get().text()).as("the kept connection, the same seed").isEqualTo(first);
      byte[] bad = "{\"model\":\"tiny\",\"prompt\":\"ab\",\"max_tokens\":-1,\"stream\":true}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      assertThat(client.stream(url, bad)).failsWithin(java.time.Duration.ofSeconds(20))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withMessageContaining("HTTP 400").withMessageContaining("max_tokens");
      assertThat(client.stream(url, ok).get().text()).as("after a refusal").isEqualTo(first);
    }
    int closedPort;
    try (var s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (SseClient client = new SseClient()) {
      java.net.URI url = java.net.URI.create("http://127.0.0.1:" + closedPort + "/v1/completions");
      assertThat(client.stream(url, new byte[] {'{', '}'})).failsWithin(java.time.Duration.ofSeconds(20))
          .withThrowableOfType(java.util.concurrent.ExecutionException.class)
          .withMessageContaining("127.0.0.1:" + closedPort);
    }
  }

  @Test
  void badOptionsAreUsageErrors() {
    MainTest.Run zero = MainTest.run("bench", "serve", "--parallel", "0");
    assertThat(zero.code()).isEqualTo(2);
    assertThat(zero.err()).contains("--parallel must be >= 1, got 0");
    MainTest.Run many = MainTest.run("bench", "serve", "--parallel", "17");
    assertThat(many.code()).isEqualTo(2);
    assertThat(many.err()).contains("--parallel must be at most 16, got 17");
    MainTest.Run warm = MainTest.run("bench", "serve", "--warmup", "-1");
    assertThat(warm.code()).isEqualTo(2);
    assertThat(warm.err()).contains("--warmup must be >= 0, got -1");
    MainTest.Run kv = MainTest.run("bench", "serve", "--kv-cache", "fp8");
    assertThat(kv.code()).isEqualTo(2);
    assertThat(kv.err()).contains("--kv-cache: 'fp8' is not a KV cache format; expected f32 or bf16");
    MainTest.Run weights = MainTest.run("bench", "serve", "--weights", "int3");
    assertThat(weights.code()).isEqualTo(2);
    assertThat(weights.err()).contains("--weights: weights 'int3' is not a format; expected f32 or bf16");
    MainTest.Run mixer = MainTest.run("bench", "generate", "--preset", "mamba2-mini", "--kv-cache", "bf16");
    assertThat(mixer.code()).isEqualTo(2);
    assertThat(mixer.err()).contains("--kv-cache bf16: mamba2-mini keeps no KV cache");
  }
}
