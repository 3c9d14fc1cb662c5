package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * serving.md's checks a trusted server passes, on {@code lmlab serve} over a real checkpoint
 * (random-weight character model; the byte-level test double's versions are {@link ServerTest}):
 * error rows that depend on the model (context length counted by the tokenizer, text the
 * vocabulary cannot encode, chat without a template), /tokenize and /detokenize, streaming (4),
 * parallel slots (5), overload (6), cancellation (7, streamed, non-streamed and queued), timeout
 * (8), soak (10) and openai-python compatibility (12). Bounded in count and time: the long
 * variants (ten 3000-token requests, the 500-request soak) are tagged slow.
 */
@Timeout(300)
class RealServerChecksTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path charDir;
  static Path slowDir;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  LmlabServer server;
  ModelGenerator model;

  @BeforeAll
  static void checkpoints() throws Exception {
    charDir = TinyCheckpoints.charModel(tmp.resolve("tiny-char"), 5);
    // a larger model with a long context: generations that take seconds
    slowDir = TinyCheckpoints.charModel(tmp.resolve("slow-char"), 6, 4096, 128, 4);
  }

  void start(Path dir, ServeConfig c, String chatFormat) throws Exception {
    model = ModelGenerator.load(dir, "m", chatFormat, c.parallel());
    server = new LmlabServer(model, c.withPort(0)).start();
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
    if (model != null) model.close();
  }

  record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

  Reply post(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode n = null;
    try {
      n = JSON.readTree(r.body());
    } catch (Exception ignored) {
      // a stream
    }
    return new Reply(r.statusCode(), n, r);
  }

  JsonNode health() throws Exception {
    return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }

  static String chat(String content, String extra) {
    return "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": " + JSON.valueToTree(content) + "}]" + extra + "}";
  }

  static String completion(String prompt, String extra) {
    return "{\"model\": \"m\", \"prompt\": " + JSON.valueToTree(prompt) + extra + "}";
  }

  static void assertError(Reply r, int status, String code, String param, String messageContains) {
    assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
    JsonNode e = r.body().get("error");
    assertThat(e.get("code").asText()).isEqualTo(code);
    if (param == null) assertThat(e.get("param").isNull()).isTrue();
    else assertThat(e.get("param").asText()).isEqualTo(param);
    assertThat(e.get("message").asText()).contains(messageContains);
  }

  @Test
  void errorRowsThatDependOnTheModel() throws Exception {
    start(charDir, ServeConfig.defaults(), "none");
    String prompt = "x".repeat(1000);
    assertError(post("/v1/completions", completion(prompt, ", \"max_tokens\": 100")), 400, "context_length_exceeded", "prompt",
        "This model's maximum context length is 1024 tokens. However, you requested 1100 tokens (1000 in the prompt, 100 in the completion).");
    assertError(post("/v1/completions", completion("x".repeat(1024), "")), 400, "context_length_exceeded", "prompt",
        "you requested 1025 tokens (1024 in the prompt, 1 in the completion)");
    assertError(post("/v1/completions", completion("caf\u00e9", "")), 400, "invalid_value", "prompt", "is not in the 96-character vocabulary");
    assertError(post("/v1/completions", completion("", "")), 400, "invalid_value", "prompt", "no tokens");
    assertError(post("/v1/completions", "{\"model\": \"m\", \"prompt\": [1, 96]}"), 400, "invalid_value", "prompt",
        "Token id 96 at prompt[1] is outside the vocabulary [0, 96).");
    assertError(post("/v1/chat/completions", chat("hi", "")), 400, "unsupported_parameter", "messages", "--chat-format none");
    assertError(post("/v1/completions", completion("a", ", \"logit_bias\": {\"96\": 1}")), 400, "invalid_value", "logit_bias", "96");
    assertThat(health().get("slots_busy").asInt()).isZero();
  }

  /** vLLM's /tokenize and /detokenize (serving.md, Endpoints): counts equal the tokenizer's, round trip, errors of the table. */
  @Test
  void tokenizeAndDetokenize() throws Exception {
    start(charDir, ServeConfig.defaults(), "none");
    Reply t = post("/tokenize", "{\"model\": \"m\", \"prompt\": \"To be, or not\"}");
    assertThat(t.status()).isEqualTo(200);
    int[] expected = model.tokenizer().encode("To be, or not", true, false);
    assertThat(t.body().get("count").asInt()).isEqualTo(expected.length).isEqualTo(13);
    assertThat(t.body().get("max_model_len").asInt()).isEqualTo(1024);
    assertThat(JSON.convertValue(t.body().get("tokens"), int[].class)).containsExactly(expected);
    Reply d = post("/detokenize", "{\"model\": \"m\", \"tokens\": " + t.body().get("tokens") + "}");
    assertThat(d.status()).isEqualTo(200);
    assertThat(d.body().get("prompt").asText()).isEqualTo("To be, or not");
    assertError(post("/tokenize", "{\"model\": \"m\"}"), 400, "missing_parameter", "prompt", "'prompt'");
    assertError(post("/tokenize", "{\"model\": \"m\", \"prompt\": 3}"), 400, "invalid_type", "prompt", "expected a string");
    assertError(post("/tokenize", "{\"model\": \"x\", \"prompt\": \"a\"}"), 404, "model_not_found", "model", "'x'");
    assertError(post("/tokenize", "{\"model\": \"m\", \"prompt\": \"caf\u00e9\"}"), 400, "invalid_value", "prompt", "vocabulary");
    assertError(post("/detokenize", "{\"model\": \"m\", \"tokens\": [1, 96]}"), 400, "invalid_value", "tokens",
        "Token id 96 at tokens[1] is outside the vocabulary [0, 96).");
    assertError(post("/detokenize", "{\"model\": \"m\", \"tokens\": \"ab\"}"), 400, "invalid_type", "tokens", "expected an array");
    assertError(post("/detokenize", "[1]"), 400, "invalid_type", null, "must be a JSON object");
    HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/tokenize")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
  }

  /** Check 4 on the real model: deltas equal the content; role first, finish before usage, usage chunk, [DONE]; stop strings. */
  @Test
  void streamingEqualsNonStreamingAndAStopStringNeverLeaks() throws Exception {
    start(charDir, ServeConfig.defaults().withSlots(2, 16), "chatml");
    String extra = ", \"max_tokens\": 60, \"seed\": 3, \"temperature\": 1";
    Reply whole = post("/v1/chat/completions", chat("Hello", extra));
    String content = whole.body().get("choices").get(0).get("message").get("content").asText();
    Reply s = post("/v1/chat/completions", chat("Hello", extra + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
    String[] events = s.raw().body().split("\n\n");
    assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
    List<JsonNode> chunks = new ArrayList<>();
    for (int i = 0; i < events.length - 1; i++) chunks.add(JSON.readTree(events[i].substring(6)));
    assertThat(chunks.get(0).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
    StringBuilder joined = new StringBuilder();
    for (JsonNode c : chunks) if (!c.get("choices").isEmpty()) joined.append(c.get("choices").get(0).get("delta").path("content").asText(""));
    assertThat(joined.toString()).isEqualTo(content);
    JsonNode usage = chunks.get(chunks.size() - 1);
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage")).isEqualTo(whole.body().get("usage"));
    assertThat(chunks.get(chunks.size() - 2).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
    // a stop string of three characters (three tokens) taken from the middle
    String stop = content.substring(30, 33);
    int cut = content.indexOf(stop);
    String stopJson = JSON.writeValueAsString(stop);
    Reply stopped = post("/v1/chat/completions", chat("Hello", extra + ", \"stop\": [" + stopJson + "]"));
    assertThat(stopped.body().get("choices").get(0).get("message").get("content").asText()).isEqualTo(content.substring(0, cut));
    assertThat(stopped.body().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    StringBuilder deltas = new StringBuilder();
    for (String ev : post("/v1/chat/completions", chat("Hello", extra + ", \"stream\": true, \"stop\": " + stopJson)).raw().body().split("\n\n")) {
      if (ev.isBlank() || ev.equals("data: [DONE]")) continue;
      String d = JSON.readTree(ev.substring(6)).get("choices").get(0).path("delta").path("content").asText("");
      assertThat(d).doesNotContain(stop);
      deltas.append(d);
    }
    assertThat(deltas.toString()).isEqualTo(content.substring(0, cut));
  }

  /**
   * Six concurrent requests that end in every way a row can (a limit of one token, a short limit,
   * a stop string, the full length; streamed or not) give the texts and finish reasons of the same
   * requests sent one at a time: rows leave and hand their tokens while the others step on.
   */
  @Test
  void concurrentRequestsThatEndInEveryWayEqualThemOneAtATime() throws Exception {
    start(charDir, ServeConfig.defaults().withSlots(6, 16), "none");
    String full = post("/v1/completions", completion("To be", ", \"max_tokens\": 80, \"seed\": 11")).body()
        .get("choices").get(0).get("text").asText();
    String stop = JSON.writeValueAsString(full.substring(25, 27));
    List<String> bodies = List.of(
        completion("To be", ", \"max_tokens\": 1, \"seed\": 1"),
        completion("To be", ", \"max_tokens\": 5, \"seed\": 2, \"stream\": true"),
        completion("To be", ", \"max_tokens\": 80, \"seed\": 11, \"stop\": [" + stop + "]"),
        completion("To be", ", \"max_tokens\": 80, \"seed\": 11, \"stream\": true, \"stop\": " + stop),
        completion("Or not", ", \"max_tokens\": 60, \"seed\": 4, \"stream\": true"),
        completion("Or not", ", \"max_tokens\": 33, \"seed\": 5"));
    List<String> alone = new ArrayList<>();
    for (String b : bodies) alone.add(textAndFinish(post("/v1/completions", b)));
    ExecutorService pool = Executors.newFixedThreadPool(bodies.size());
    try {
      for (int rep = 0; rep < 3; rep++) {
        List<Future<String>> fs = new ArrayList<>();
        for (String b : bodies) fs.add(pool.submit(() -> textAndFinish(post("/v1/completions", b))));
        for (int i = 0; i < bodies.size(); i++) assertThat(fs.get(i).get()).as(bodies.get(i)).isEqualTo(alone.get(i));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(alone.get(2)).as("the stop string ends the text").endsWith("|stop");
  }

  /** A completion's text and finish reason, "text|reason", streamed or not. */
  static String textAndFinish(Reply r) throws Exception {
    assertThat(r.status()).as(r.raw().body()).isEqualTo(200);
    if (r.body() != null) {
      JsonNode c = r.body().get("choices").get(0);
      return c.get("text").asText() + "|" + c.get("finish_reason").asText();
    }
    StringBuilder text = new StringBuilder();
    String reason = null;
    for (String ev : r.raw().body().split("\n\n")) {
      if (ev.isBlank() || ev.equals("data: [DONE]")) continue;
      JsonNode c = JSON.readTree(ev.substring(6)).get("choices");
      if (c.isEmpty()) continue;
      text.append(c.get(0).get("text").asText());
      if (!c.get(0).get("finish_reason").isNull()) reason = c.get(0).get("finish_reason").asText();
    }
    return text + "|" + reason;
  }

  /** Check 5: P = 2 shows two busy slots while four requests run, and all four succeed. */
  @Test
  void parallelSlots() throws Exception {
    start(slowDir, ServeConfig.defaults().withSlots(2, 16), "none");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Reply>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) fs.add(pool.submit(() -> post("/v1/completions", completion("a", ", \"max_tokens\": 200"))));
      int maxBusy = 0;
      for (int i = 0; i < 2000 && maxBusy < 2; i++) {
        maxBusy = Math.max(maxBusy, health().get("slots_busy").asInt());
        Thread.sleep(5);
      }
      assertThat(maxBusy).isEqualTo(2);
      for (Future<Reply> f : fs) assertThat(f.get().status()).isEqualTo(200);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Check 6 on the real model: P = 1, Q = 2 and ten concurrent 3000-token requests: 3 served, 7
   * refused with Retry-After. Slow (three long generations one after another); the default suite's
   * overload check is {@link ServerTest#overloadRefusesWithRetryAfter}.
   */
  @Test
  @Tag("slow")
  void overloadOfTenLongRequests() throws Exception {
    start(slowDir, ServeConfig.defaults().withSlots(1, 2), "none");
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<Reply>> fs = new ArrayList<>();
      for (int i = 0; i < 10; i++) fs.add(pool.submit(() -> post("/v1/completions", completion("a", ", \"max_tokens\": 3000"))));
      int ok = 0;
      int busy = 0;
      for (Future<Reply> f : fs) {
        Reply r = f.get(240, TimeUnit.SECONDS);
        if (r.status() == 200) ok++;
        if (r.status() == 503) {
          busy++;
          assertError(r, 503, "server_overloaded", null, "requests are waiting (limit 2)");
          assertThat(Long.parseLong(r.raw().headers().firstValue("Retry-After").orElseThrow())).isGreaterThanOrEqualTo(1);
        }
      }
      assertThat(ok).isEqualTo(3);
      assertThat(busy).isEqualTo(7);
    } finally {
      pool.shutdownNow();
    }
  }

  static Socket openStream(int port, String body) throws Exception {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    Socket s = new Socket("127.0.0.1", port);
    OutputStream o = s.getOutputStream();
    o.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    o.write(b);
    o.flush();
    return s;
  }

  /** Check 7: a client closing its stream after the first chunk frees the slot and decoding stops. */
  @Test
  void aClosedStreamFreesItsSlotAndDecodingStops() throws Exception {
    start(slowDir, ServeConfig.defaults().withSlots(1, 4), "none");
    try (Socket s = openStream(server.port(), completion("a", ", \"max_tokens\": 3000, \"stream\": true"))) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      int data = 0;
      while ((line = in.readLine()) != null && data < 2) if (line.startsWith("data: ")) data++;
      assertThat(data).isEqualTo(2);
    }
    long t0 = System.nanoTime();
    while (server.slotsBusy() > 0 && System.nanoTime() - t0 < 30_000_000_000L) Thread.sleep(2);
    assertThat(server.slotsBusy()).isZero();
    Thread.sleep(200);
    long steps = model.steps();
    Thread.sleep(300);
    assertThat(model.steps()).as("decoding stopped").isEqualTo(steps);
    assertThat(steps).isLessThan(3000);

  }

  /**
   * Check 7, the rest: a queued request whose client closed its connection leaves the queue without
   * running (the server logs it, and nothing decodes once the running stream is closed too); a
   * non-streamed request whose client left during generation frees its slot and decoding stops.
   */
  @Test
  void aQueuedRequestWhoseClientLeftIsDroppedWithoutRunning() throws Exception {
    List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.logging.Handler h = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord r) { log.add(r.getMessage()); }
      @Override public void flush() { }
      @Override public void close() { }
    };
    ApiHandler.LOG.addHandler(h);
    try {
      start(slowDir, ServeConfig.defaults().withSlots(1, 4), "none");
      try (Socket running = openStream(server.port(), completion("a", ", \"max_tokens\": 3000, \"stream\": true"))) {
        BufferedReader in = new BufferedReader(new InputStreamReader(running.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.startsWith("data: ")) { }
        try (Socket queued = openStream(server.port(), completion("b", ", \"max_tokens\": 3000"))) {
          waitFor(() -> server.queued() == 1, "the second request to queue");
        }
        waitFor(() -> server.queued() == 0, "the queued request to leave when its client closed");
        assertThat(server.slotsBusy()).as("the stream still runs").isEqualTo(1);
        // the request leaves the queue, then its handler logs: the log line may come a moment later
        waitFor(() -> log.stream().anyMatch(m -> m.endsWith("cancelled by client while queued")),
            "the dropped request to be logged as cancelled while queued");
      }
      waitFor(() -> server.slotsBusy() == 0, "the closed stream's slot to be freed");
      Thread.sleep(200);
      long steps = model.steps();
      Thread.sleep(300);
      assertThat(model.steps()).as("the dropped request never ran").isEqualTo(steps);

      // non-streamed: nothing is written before the end, so the close is noticed between decoding steps
      try (Socket s = openStream(server.port(), completion("c", ", \"max_tokens\": 3000"))) {
        waitFor(() -> server.slotsBusy() == 1, "the request to run");
      }
      waitFor(() -> server.slotsBusy() == 0, "the slot of a non-streamed request whose client left to be freed");
      Thread.sleep(200);
      long after = model.steps();
      Thread.sleep(300);
      assertThat(model.steps()).as("decoding stopped").isEqualTo(after);
      assertThat(log).anySatisfy(m -> assertThat(m).contains("cancelled by client after"));
      assertThat(post("/v1/completions", completion("a", ", \"max_tokens\": 3")).status()).isEqualTo(200);
    } finally {
      ApiHandler.LOG.removeHandler(h);
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long t0 = System.nanoTime();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - t0 > 30_000_000_000L) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(2);
    }
  }

  /** Check 8: --request-timeout 1 on a long generation gives 504 (stream: an error event, no [DONE]); the next request succeeds. */
  @Test
  void requestTimeoutGives504AndTheNextRequestSucceeds() throws Exception {
    // weights larger than a last-level cache (14M parameters, 57 MB) and a 4096-token context: 4000
    // tokens take seconds on any machine, where slowDir's model decoded them within the second on a
    // quiet one
    Path longDir = TinyCheckpoints.charModel(tmp.resolve("timeout-char"), 7, 4096, 384, 8);
    start(longDir, ServeConfig.defaults().withTimeouts(1000, 30_000), "none");
    Reply r = post("/v1/completions", completion("a", ", \"max_tokens\": 4000"));
    assertError(r, 504, "timeout", null, "Request exceeded the 1.0 s limit after");
    assertThat(r.raw().headers().firstValue("x-should-retry")).hasValue("false");
    byte[] body = completion("a", ", \"max_tokens\": 4000, \"stream\": true").getBytes(StandardCharsets.UTF_8);
    String s = ServerTest.raw(server.port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
        + "\r\n\r\n", body, 30_000);
    assertThat(s).startsWith("HTTP/1.1 200").contains("data: {\"error\":{\"message\":\"Request exceeded the 1.0 s limit").doesNotContain("[DONE]");
    assertThat(post("/v1/completions", completion("a", ", \"max_tokens\": 3")).status()).isEqualTo(200);
    assertThat(health().get("slots_busy").asInt()).isZero();
  }

  /** Check 10 (serving.md's count): 500 mixed requests from 8 client threads. Slow; {@link #soakOfOneHundredMixedRequests} is the default suite's. */
  @Test
  @Tag("slow")
  void soakOfFiveHundredMixedRequests() throws Exception {
    soak(100, 500);
  }

  /** Check 10, shorter: 100 mixed requests from 8 client threads after a warm-up of 40. */
  @Test
  void soakOfOneHundredMixedRequests() throws Exception {
    soak(40, 100);
  }

  /** n mixed requests after a warm-up: no 500; threads and heap back to their start; nothing busy or queued. */
  void soak(int warmUp, int n) throws Exception {
    start(charDir, ServeConfig.defaults().withSlots(2, 16), "chatml");
    // warm-up with the same mix, so the server's thread pool has grown to its working size
    mixedLoad(warmUp);
    var memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    int threadsBefore = serverThreads().size();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    int served = mixedLoad(n);
    assertThat(served).isEqualTo(n / 5 * 4);
    long t0 = System.nanoTime();
    while ((server.slotsBusy() > 0 || server.queued() > 0) && System.nanoTime() - t0 < 10_000_000_000L) Thread.sleep(10);
    JsonNode h = health();
    assertThat(h.get("slots_busy").asInt()).isZero();
    assertThat(h.get("queued").asInt()).isZero();
    int threadsAfter = Integer.MAX_VALUE;
    long heapAfter = Long.MAX_VALUE;
    for (int k = 0; k < 50 && (threadsAfter > threadsBefore || heapAfter > heapBefore + (8 << 20)); k++) {
      Thread.sleep(100);
      System.gc();
      threadsAfter = serverThreads().size();
      heapAfter = memory.getHeapMemoryUsage().getUsed();
    }
    System.out.printf("soak: threads %d -> %d, heap %.1f -> %.1f MB%n", threadsBefore, threadsAfter, heapBefore / 1e6, heapAfter / 1e6);
    assertThat(threadsAfter).as("platform threads now: %s", serverThreads()).isLessThanOrEqualTo(threadsBefore);
    assertThat(heapAfter).isLessThanOrEqualTo(heapBefore + (8 << 20));
  }

  /**
   * Live platform threads other than this test's clients (java.net.http's executor threads, which
   * linger for a minute) and the JVM's own elastic ones (JIT compiler threads, the carrier threads
   * of virtual threads): the server's and the decoder's.
   */
  static List<String> serverThreads() {
    List<String> names = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String n = t.getName();
      if (t.isVirtual() || n.startsWith("HttpClient") || n.contains("CompilerThread") || n.startsWith("ForkJoinPool")
          || n.startsWith("pool-")) continue;
      names.add(n);
    }
    return names;
  }

  /** n mixed requests from 8 client threads (completions, chat streams, streams closed early, bad JSON, bad values); the 200s and 400s as expected. */
  private int mixedLoad(int n) throws Exception {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      fs.add(pool.submit(() -> {
        for (int i; (i = next.getAndIncrement()) < n; ) {
          Random r = new Random(i);
          try {
            switch (i % 5) {
              case 0 -> check(post("/v1/completions", completion("To be", ", \"max_tokens\": " + (1 + r.nextInt(8)) + ", \"seed\": " + i)), 200, failures, served);
              case 1 -> check(post("/v1/chat/completions", chat("hi", ", \"max_tokens\": " + (1 + r.nextInt(8)) + ", \"stream\": true")), 200, failures, served);
              case 2 -> {
                try (Socket s = openStream(server.port(), completion("a", ", \"max_tokens\": 50, \"stream\": true"))) {
                  s.getInputStream().read();
                }
              }
              case 3 -> check(post("/v1/chat/completions", "{\"model\": \"m\", \"messages\": [{\"role\": \"user\""), 400, failures, served);
              default -> check(post("/v1/completions", completion("a", ", \"temperature\": 9")), 400, failures, served);
            }
          } catch (Exception e) {
            failures.add(i + ": " + e);
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) f.get(240, TimeUnit.SECONDS);
    pool.shutdown();
    assertThat(failures).isEmpty();
    return served.get();
  }

  private static void check(Reply r, int status, List<String> failures, AtomicInteger served) {
    if (r.status() != status) failures.add("status " + r.status() + ": " + r.raw().body());
    else served.incrementAndGet();
  }

  /** Check 12: openai-python's requests and types (skipped with the reason when the package is absent). */
  @Test
  void openaiPythonClientCompatibility() throws Exception {
    Process probe = new ProcessBuilder("python3", "-c", "import openai").redirectErrorStream(true).start();
    String why = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    boolean ok = probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0;
    if (!ok) System.out.println("openai-python compatibility skipped: python3 -c 'import openai' failed: " + why);
    assumeTrue(ok, "openai-python not importable: " + why);
    start(charDir, ServeConfig.defaults().withSlots(2, 16), "chatml");
    Path script = tmp.resolve("openai_compat.py");
    try (var in = getClass().getResourceAsStream("/serve/openai_compat.py")) {
      Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Process p = new ProcessBuilder("python3", script.toString(), server.baseUrl() + "/v1", "m").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).startsWith("ok ");
  }
}
