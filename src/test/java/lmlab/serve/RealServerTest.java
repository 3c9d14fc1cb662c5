package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import lmlab.decode.Eos;
import lmlab.decode.Greedy;
import lmlab.decode.SteppedModel;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmlab serve} over a real checkpoint (a random-weight character model): requests go
 * through the tokenizer, the batched decoding thread and the model's own layers. Determinism
 * whatever else is in flight and whatever P is (serving.md check 3 and acceptance 2: outputs of
 * concurrent requests equal sequential ones with the same seeds), greedy equal to the decode
 * layer's greedy search, usage equal to the tokenizer's counts, streaming equal to non-streaming,
 * parallel slots and continuous batching.
 */
@Timeout(120)
class RealServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path charDir;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  LmlabServer server;
  ModelGenerator model;

  @BeforeAll
  static void checkpoint() throws Exception {
    charDir = TinyCheckpoints.charModel(tmp.resolve("tiny-char"), 5);
  }

  LmlabServer start(Path dir, ServeConfig c) throws Exception {
    model = ModelGenerator.load(dir, null, "chatml", c.parallel());
    server = new LmlabServer(model, c.withPort(0)).start();
    return server;
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    if (model != null) model.close();
  }

  JsonNode post(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  static String completion(String prompt, String extra) {
    return "{\"model\": \"tiny-char\", \"prompt\": " + JSON.valueToTree(prompt) + extra + "}";
  }

  static String text(JsonNode completion) {
    return completion.get("choices").get(0).get("text").asText();
  }

  /** The requests of {@code bodies} all at once from their own threads; the replies' texts in order. */
  List<String> concurrently(List<String> bodies) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
    try {
      List<Future<JsonNode>> fs = new ArrayList<>();
      for (String b : bodies) fs.add(pool.submit(() -> post("/v1/completions", b)));
      List<String> out = new ArrayList<>();
      for (Future<JsonNode> f : fs) out.add(text(f.get()));
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void eightConcurrentStreamsEqualEightSequentialRequestsWithTheSameSeeds() throws Exception {
    start(charDir, ServeConfig.defaults().withSlots(8, 16));
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 8; i++) bodies.add(completion("To be, or not " + "xyz".substring(0, i % 3), ", \"max_tokens\": "
        + (24 + 5 * i) + ", \"seed\": " + (100 + i) + ", \"temperature\": 1"));
    List<String> sequential = new ArrayList<>();
    for (String b : bodies) sequential.add(text(post("/v1/completions", b)));
    long before = model.steps();
    // all eight join at one step boundary, however late a loaded machine starts their threads
    model.hold();
    long submitted = model.requests();
    ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
    List<String> together = new ArrayList<>();
    try {
      List<Future<JsonNode>> fs = new ArrayList<>();
      for (String b : bodies) fs.add(pool.submit(() -> post("/v1/completions", b)));
      while (model.requests() - submitted < bodies.size()) Thread.sleep(1);
      model.release();
      for (Future<JsonNode> f : fs) together.add(text(f.get()));
    } finally {
      model.release();
      pool.shutdownNow();
    }
    long steps = model.steps() - before;
    assertThat(together).isEqualTo(sequential);
    // batched: far fewer steps than the 8 requests' tokens one after another
    int tokens = 0;
    for (int i = 0; i < 8; i++) tokens += 24 + 5 * i;
    assertThat(steps).isLessThan(tokens / 2);
    assertThat(new HashSet<>(sequential)).hasSize(8);
  }

  @Test
  void sameSeedSameTextWhateverElseIsInFlightAndWhateverP() throws Exception {
    String body = completion("Once upon", ", \"max_tokens\": 30, \"seed\": 42, \"temperature\": 1");
    Set<String> seen = new HashSet<>();
    for (int p : new int[] {1, 2}) {
      start(charDir, ServeConfig.defaults().withSlots(p, 16));
      seen.addAll(concurrently(List.of(body, body, body, body)));
      // with other requests in flight (other prompts, seeds, lengths)
      List<String> mixed = concurrently(List.of(completion("abc", ", \"max_tokens\": 50, \"seed\": 1"), body,
          completion("Z", ", \"max_tokens\": 7, \"seed\": 2"), body));
      seen.add(mixed.get(1));
      seen.add(mixed.get(3));
      stop();
      server = null;
      model = null;
    }
    assertThat(seen).hasSize(1);
    start(charDir, ServeConfig.defaults().withSlots(2, 16));
    Set<String> seeds = new HashSet<>();
    for (int s = 0; s < 4; s++) seeds.add(text(post("/v1/completions", completion("Once upon", ", \"max_tokens\": 30, \"seed\": " + s))));
    assertThat(seeds).hasSize(4);
  }

  @Test
  void bf16WeightsServeTheGreedyTextOfTheBf16Model() throws Exception {
    model = ModelGenerator.load(charDir, null, "chatml", 2, lmlab.nn.WeightFormats.BF16);
    server = new LmlabServer(model, ServeConfig.defaults().withSlots(2, 16).withPort(0)).start();
    assertThat(model.model().namedModules().values()).filteredOn(m -> m instanceof lmlab.nn.Linear)
        .allMatch(m -> ((lmlab.nn.Linear) m).weights() instanceof lmlab.nn.weights.Bf16Weights);
    String prompt = "The quick brown fox";
    JsonNode r = post("/v1/completions", completion(prompt, ", \"max_tokens\": 25, \"temperature\": 0"));
    LanguageModel bf16 = Models.load(charDir, lmlab.nn.WeightFormats.BF16);
    bf16.eval();
    int[] ids = model.tokenizer().encode(prompt, true, false);
    var greedy = Greedy.search(new SteppedModel(bf16), ids, 25, Eos.NONE, lmlab.decode.TokenSink.NONE);
    assertThat(text(r)).isEqualTo(model.tokenizer().decode(greedy.tokens()));
  }

  @Test
  void greedyEqualsTheDecodeLayersGreedySearchAndUsageCountsTokens() throws Exception {
    start(charDir, ServeConfig.defaults().withSlots(2, 16));
    String prompt = "The quick brown fox";
    JsonNode r = post("/v1/completions", completion(prompt, ", \"max_tokens\": 25, \"temperature\": 0"));
    int[] ids = model.tokenizer().encode(prompt, true, false);
    var greedy = Greedy.search(new SteppedModel(model.model()), ids, 25, Eos.NONE, lmlab.decode.TokenSink.NONE);
    assertThat(text(r)).isEqualTo(model.tokenizer().decode(greedy.tokens()));
    assertThat(r.get("usage").get("prompt_tokens").asInt()).isEqualTo(ids.length);
    assertThat(r.get("usage").get("completion_tokens").asInt()).isEqualTo(25);
    assertThat(r.get("usage").get("total_tokens").asInt()).isEqualTo(ids.length + 25);
    // chat through the ChatML template, counted by the tokenizer
    JsonNode c = post("/v1/chat/completions", "{\"model\": \"tiny-char\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}],"
        + " \"max_completion_tokens\": 5, \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 3}");
    assertThat(c.get("usage").get("prompt_tokens").asInt())
        .isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n".length());
    JsonNode lp = c.get("choices").get(0).get("logprobs").get("content");
    assertThat(lp).hasSize(5);
    for (JsonNode t : lp) {
      assertThat(t.get("top_logprobs")).hasSize(3);
      // greedy: the sampled token is the most likely one
      assertThat(t.get("logprob").asDouble()).isEqualTo(t.get("top_logprobs").get(0).get("logprob").asDouble());
      assertThat(t.get("logprob").asDouble()).isLessThanOrEqualTo(0);
    }
  }
}
