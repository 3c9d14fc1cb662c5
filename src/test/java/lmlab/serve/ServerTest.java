package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import lmlab.decode.structured.JsonAutomaton;
import lmlab.decode.structured.JsonSchemaSubset;
import lmlab.prompting.AnswerSchema;
import lmlab.prompting.SchemaValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP skeleton of serving.md against a real Jetty server on 127.0.0.1 and real clients
 * (java.net.http, raw sockets), with the {@link ByteGenerator} test double behind it: the error
 * table, response shapes, streaming, stop strings, slots and queue, cancellation, timeouts,
 * hostile input and structured output. Bounded in count and time.
 */
@Timeout(60)
class ServerTest {
  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  LmlabServer server;
  ByteGenerator model;

  LmlabServer start(ServeConfig c, long delayMillis) throws Exception {
    model = new ByteGenerator("tiny", 256, delayMillis);
    server = new LmlabServer(model, c.withPort(0)).start();
    return server;
  }

  LmlabServer start() throws Exception {
    return start(ServeConfig.defaults(), 0);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) server.close();
  }

  record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

  Reply post(String path, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode n = null;
    try {
      n = JSON.readTree(r.body());
    } catch (Exception ignored) {
      // streamed bodies are not one JSON value
    }
    return new Reply(r.statusCode(), n, r);
  }

  Reply get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), JSON.readTree(r.body()), r);
  }

  static String chat(String extra) {
    return "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]" + extra + "}";
  }

  static void assertError(Reply r, int status, String type, String code, String param, String messageContains) {
    assertThat(r.status()).as(r.raw().body()).isEqualTo(status);
    JsonNode e = r.body().get("error");
    assertThat(e.get("type").asText()).isEqualTo(type);
    assertThat(e.get("code").asText()).isEqualTo(code);
    if (param == null) assertThat(e.get("param").isNull()).isTrue();
    else assertThat(e.get("param").asText()).isEqualTo(param);
    assertThat(e.get("message").asText()).contains(messageContains);
  }

  @Test
  void modelsHealthRoutesAndAuth() throws Exception {
    start(ServeConfig.defaults().withApiKey("sekrit"), 0);
    Reply h = get("/health");
    assertThat(h.body().toString()).isEqualTo("{\"status\":\"ok\",\"slots_busy\":0,\"slots_total\":1,\"queued\":0}");
    assertError(get("/v1/models"), 401, "invalid_request_error", "invalid_api_key", null, "API key");
    HttpResponse<String> m = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models"))
        .header("Authorization", "Bearer sekrit").build(), HttpResponse.BodyHandlers.ofString());
    JsonNode list = JSON.readTree(m.body());
    assertThat(list.get("object").asText()).isEqualTo("list");
    assertThat(list.get("data").get(0).get("id").asText()).isEqualTo("tiny");
    assertThat(list.get("data").get(0).get("max_model_len").asInt()).isEqualTo(256);
    assertThat(list.get("data").get(0).get("owned_by").asText()).isEqualTo("lmlab");
    assertError(get("/nope"), 404, "invalid_request_error", "not_found", null, "/nope");
    Reply wrong = post("/health", "{}");
    assertThat(wrong.status()).isEqualTo(405);
    assertThat(wrong.raw().headers().firstValue("Allow")).hasValue("GET");
  }

  @Test
  void errorTable() throws Exception {
    start();
    assertError(post("/v1/chat/completions", "{\"model\": \"tiny\", "), 400, "invalid_request_error", "invalid_json", null,
        "We could not parse the JSON body of your request");
    assertError(post("/v1/chat/completions", "[1]"), 400, "invalid_request_error", "invalid_type", null, "must be a JSON object, got an array");
    assertError(post("/v1/chat/completions", "{\"model\": \"tiny\"}"), 400, "invalid_request_error", "missing_parameter",
        "messages", "Missing required parameter: 'messages'.");
    assertError(post("/v1/chat/completions", chat(", \"temperature\": \"hot\"")), 400, "invalid_request_error", "invalid_type",
        "temperature", "Invalid type for 'temperature': expected a number, got a string.");
    assertError(post("/v1/chat/completions", chat(", \"temperature\": -0.5")), 400, "invalid_request_error", "invalid_value",
        "temperature", "-0.5 is less than the minimum of 0 - 'temperature'");
    assertError(post("/v1/chat/completions", chat(", \"max_tokens\": 0")), 400, "invalid_request_error", "invalid_value",
        "max_tokens", "0 is less than the minimum of 1 - 'max_tokens'");
    assertError(post("/v1/chat/completions", chat(", \"n\": 2")), 400, "invalid_request_error", "unsupported_parameter", "n",
        "'n' must be 1: this server returns one choice per request.");
    assertError(post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"x\", \"echo\": true}"), 400, "invalid_request_error",
        "unsupported_parameter", "echo", "'echo'");
    assertError(post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"),
        404, "invalid_request_error", "model_not_found", "model", "The model 'gpt-4o' does not exist. Available: tiny.");
    assertError(post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": \"" + "x".repeat(200) + "\", \"max_tokens\": 100}"), 400,
        "invalid_request_error", "context_length_exceeded", "prompt",
        "This model's maximum context length is 256 tokens. However, you requested 300 tokens (200 in the prompt, 100 in the completion).");
    assertError(post("/v1/chat/completions", chat(", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\","
        + " \"schema\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\", \"pattern\": \"a\"}}}}}")), 400,
        "invalid_request_error", "unsupported_schema", "response_format",
        "response_format.json_schema.schema: keyword 'pattern' at /properties/name is not supported.");
    assertError(post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
        + " {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"tool\", \"content\": \"c\"}]}"), 400, "invalid_request_error",
        "unsupported_parameter", "messages", "Message 3 has role 'tool'");
    // llama.cpp's invalid message shapes
    for (String bad : new String[] {"null", "\"hi\"", "[123]", "[{}]", "[{\"role\": 1, \"content\": \"x\"}]", "[{\"role\": \"user\", \"content\": 5}]"}) {
      Reply r = post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": " + bad + "}");
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.body().get("error").get("param").asText()).as(bad).startsWith("messages");
    }
  }

  @Test
  void chatAndCompletionShapesStreamingEqualsNonStreaming() throws Exception {
    start();
    Reply c = post("/v1/chat/completions", chat(", \"max_tokens\": 20, \"seed\": 7"));
    assertThat(c.status()).isEqualTo(200);
    JsonNode b = c.body();
    assertThat(b.get("id").asText()).startsWith("chatcmpl-");
    assertThat(b.get("object").asText()).isEqualTo("chat.completion");
    assertThat(b.get("model").asText()).isEqualTo("tiny");
    assertThat(b.get("choices").get(0).get("message").get("role").asText()).isEqualTo("assistant");
    assertThat(b.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
    String content = b.get("choices").get(0).get("message").get("content").asText();
    assertThat(content).hasSize(20);
    assertThat(b.get("usage").get("prompt_tokens").asInt()).isEqualTo("user: hi\nassistant: ".length());
    assertThat(b.get("usage").get("completion_tokens").asInt()).isEqualTo(20);
    assertThat(post("/v1/chat/completions", chat(", \"max_tokens\": 20, \"seed\": 7")).body().get("choices").get(0).get("message")
        .get("content").asText()).isEqualTo(content);

    HttpResponse<String> s = post("/v1/chat/completions", chat(", \"max_tokens\": 20, \"seed\": 7, \"stream\": true,"
        + " \"stream_options\": {\"include_usage\": true}")).raw();
    assertThat(s.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    List<JsonNode> events = new ArrayList<>();
    String[] lines = s.body().split("\n\n");
    assertThat(lines[lines.length - 1]).isEqualTo("data: [DONE]");
    for (int i = 0; i < lines.length - 1; i++) events.add(JSON.readTree(lines[i].substring("data: ".length())));
    assertThat(events.get(0).get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
    StringBuilder joined = new StringBuilder();
    for (JsonNode e : events)
      if (!e.get("choices").isEmpty()) joined.append(e.get("choices").get(0).path("delta").path("content").asText(""));
    assertThat(joined.toString()).isEqualTo(content);
    JsonNode usage = events.get(events.size() - 1);
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(20);
    assertThat(events.get(events.size() - 2).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");

    Reply t = post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": [104, 105], \"max_tokens\": 5, \"seed\": 1, \"logprobs\": 2,"
        + " \"user\": \"me\", \"frobnicate\": 1}");
    assertThat(t.status()).isEqualTo(200);
    assertThat(t.body().get("object").asText()).isEqualTo("text_completion");
    assertThat(t.body().get("choices").get(0).get("text").asText()).hasSize(5);
    assertThat(t.body().get("choices").get(0).get("logprobs").get("tokens")).hasSize(5);
    assertThat(t.body().get("usage").get("prompt_tokens").asInt()).isEqualTo(2);
    assertThat(t.raw().headers().firstValue("x-lmlab-ignored-fields")).hasValue("user, frobnicate");
  }

  @Test
  void aStopStringAcrossTokensNeverLeaks() throws Exception {
    start();
    String full = post("/v1/chat/completions", chat(", \"max_tokens\": 60, \"seed\": 3")).body().get("choices").get(0)
        .get("message").get("content").asText();
    String stop = full.substring(20, 23); // spans three one-byte tokens
    int cut = full.indexOf(stop);
    Reply r = post("/v1/chat/completions", chat(", \"max_tokens\": 60, \"seed\": 3, \"stop\": [\"" + stop + "\"]"));
    assertThat(r.body().get("choices").get(0).get("message").get("content").asText()).isEqualTo(full.substring(0, cut));
    assertThat(r.body().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
    String streamed = post("/v1/chat/completions", chat(", \"max_tokens\": 60, \"seed\": 3, \"stream\": true, \"stop\": \"" + stop + "\""))
        .raw().body();
    StringBuilder joined = new StringBuilder();
    for (String ev : streamed.split("\n\n")) {
      if (ev.equals("data: [DONE]")) continue;
      String d = JSON.readTree(ev.substring(6)).get("choices").get(0).path("delta").path("content").asText("");
      assertThat(d).doesNotContain(stop);
      joined.append(d);
    }
    assertThat(joined.toString()).isEqualTo(full.substring(0, cut));
  }

  @Test
  void parallelSlotsAndOverload() throws Exception {
    start(ServeConfig.defaults().withSlots(2, 16), 20);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Reply>> fs = new ArrayList<>();
      for (int i = 0; i < 4; i++) fs.add(pool.submit(() -> post("/v1/chat/completions", chat(", \"max_tokens\": 15"))));
      int maxBusy = 0;
      for (int i = 0; i < 100 && maxBusy < 2; i++) {
        maxBusy = Math.max(maxBusy, get("/health").body().get("slots_busy").asInt());
        Thread.sleep(10);
      }
      assertThat(maxBusy).isEqualTo(2);
      for (Future<Reply> f : fs) assertThat(f.get().status()).isEqualTo(200);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void overloadRefusesWithRetryAfter() throws Exception {
    start(ServeConfig.defaults().withSlots(1, 2), 10);
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<Reply>> fs = new ArrayList<>();
      for (int i = 0; i < 10; i++) fs.add(pool.submit(() -> post("/v1/chat/completions", chat(", \"max_tokens\": 40"))));
      int ok = 0, busy = 0;
      for (Future<Reply> f : fs) {
        Reply r = f.get();
        if (r.status() == 200) ok++;
        if (r.status() == 503) {
          busy++;
          assertError(r, 503, "server_error", "server_overloaded", null, "requests are waiting (limit 2)");
          assertThat(Long.parseLong(r.raw().headers().firstValue("Retry-After").orElseThrow())).isGreaterThanOrEqualTo(1);
        }
      }
      assertThat(ok).isEqualTo(3);
      assertThat(busy).isEqualTo(7);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aClientClosingAStreamFreesItsSlot() throws Exception {
    start(ServeConfig.defaults(), 20);
    byte[] body = chat(", \"max_tokens\": 200, \"stream\": true").getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      OutputStream o = s.getOutputStream();
      o.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      o.write(body);
      o.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("data: ")) { }
      assertThat(line).contains("\"role\":\"assistant\"");
    }
    long t0 = System.nanoTime();
    while (server.slotsBusy() > 0 && System.nanoTime() - t0 < 5_000_000_000L) Thread.sleep(5);
    assertThat(server.slotsBusy()).isZero();
    long steps = model.steps.get();
    Thread.sleep(100);
    assertThat(model.steps.get()).isEqualTo(steps);
    assertThat(steps).isLessThan(200);
  }

  /**
   * A stream whose client reads nothing until generation is over: the writes never block the
   * generator (events wait for the write in flight and go out together), and the client then
   * reads every event in order: the text equals the non-streamed one, and [DONE] ends it. The
   * events (megabytes) are more than the two sockets' buffers hold, so a blocking write would
   * stall generation before its end.
   */
  @Test
  void aClientThatDoesNotReadNeverHoldsUpGeneration() throws Exception {
    model = new ByteGenerator("tiny", 100_000, 0);
    server = new LmlabServer(model, ServeConfig.defaults().withPort(0)).start();
    int n = 20_000;
    String req = "{\"model\": \"tiny\", \"prompt\": \"a\", \"seed\": 7, \"max_tokens\": " + n;
    byte[] body = (req + ", \"stream\": true}").getBytes(StandardCharsets.UTF_8);
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
      s.setSoTimeout(30_000);
      OutputStream o = s.getOutputStream();
      o.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      o.write(body);
      o.flush();
      long t0 = System.nanoTime();
      while (model.steps.get() < n && System.nanoTime() - t0 < 20_000_000_000L) Thread.sleep(5);
      assertThat(model.steps.get()).as("tokens generated while the client read nothing").isEqualTo(n);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder text = new StringBuilder();
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("data: ")) { }
      boolean done = false;
      for (; line != null; line = in.readLine()) {
        if (!line.startsWith("data: ")) continue;
        String data = line.substring(6);
        if (data.equals("[DONE]")) {
          done = true;
          break;
        }
        text.append(JSON.readTree(data).get("choices").get(0).get("text").asText());
      }
      assertThat(done).isTrue();
      Reply plain = post("/v1/completions", req + "}");
      assertThat(plain.status()).isEqualTo(200);
      assertThat(text.toString()).isEqualTo(plain.body().get("choices").get(0).get("text").asText()).hasSize(n);
    }
  }

  @Test
  void requestTimeoutGives504ThenTheNextRequestSucceeds() throws Exception {
    start(ServeConfig.defaults().withTimeouts(1000, 30_000), 20);
    Reply r = post("/v1/chat/completions", chat(", \"max_tokens\": 200"));
    assertError(r, 504, "server_error", "timeout", null, "Request exceeded the 1.0 s limit after");
    assertThat(r.raw().headers().firstValue("x-should-retry")).hasValue("false");
    byte[] body = chat(", \"max_tokens\": 200, \"stream\": true").getBytes(StandardCharsets.UTF_8);
    String streamed = raw(server.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length
        + "\r\n\r\n", body, 10_000);
    assertThat(streamed).startsWith("HTTP/1.1 200").contains("data: {\"error\":{\"message\":\"Request exceeded the 1.0 s limit")
        .contains("\"code\":\"timeout\"").doesNotContain("[DONE]");
    model.delayMillis = 0;
    assertThat(post("/v1/chat/completions", chat(", \"max_tokens\": 5")).status()).isEqualTo(200);
  }

  static String raw(int port, String head, byte[] body, int readTimeoutMs) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(readTimeoutMs);
      OutputStream o = s.getOutputStream();
      o.write(head.getBytes(StandardCharsets.US_ASCII));
      if (body != null) o.write(body);
      o.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void hostileInput() throws Exception {
    start(ServeConfig.defaults().withTimeouts(600_000, 1000), 0);
    String tooBig = raw(server.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n", null, 5000);
    assertThat(tooBig).startsWith("HTTP/1.1 413").contains("\"code\":\"body_too_large\"").contains("10485760 bytes exceeds the limit of 4194304");
    String slow = raw(server.port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n",
        "{\"model\"".getBytes(StandardCharsets.US_ASCII), 5000);
    assertThat(slow).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"").contains("8 of 4096 bytes received in 1 s");
    String deep = "{\"model\": \"tiny\", \"x\": " + "[".repeat(100) + "]".repeat(100) + "}";
    assertError(post("/v1/chat/completions", deep), 400, "invalid_request_error", "invalid_json", null, "We could not parse");
    byte[] badUtf8 = ("{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"\u0001\"}]}").getBytes(StandardCharsets.UTF_8);
    badUtf8[badUtf8.length - 5] = (byte) 0xC3;
    HttpResponse<String> u = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(badUtf8)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(u.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(u.body()).get("error").get("code").asText()).isEqualTo("invalid_json");
    assertThat(post("/v1/chat/completions", chat(", \"temperature\": 1e999")).status()).isEqualTo(400);
    assertThat(post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}").status()).isEqualTo(400);
    assertThat(get("/health").body().get("slots_busy").asInt()).isZero();
  }

  @Test
  void structuredOutputAlwaysParsesAndValidates() throws Exception {
    start();
    JsonNode schema = AnswerSchema.schema(3);
    String rf = ", \"response_format\": " + AnswerSchema.responseFormat(3);
    JsonSchemaSubset.Node node = JsonSchemaSubset.compile(schema);
    int stopped = 0;
    for (int seed = 0; seed < 20; seed++) {
      Reply r = post("/v1/chat/completions", chat(", \"max_tokens\": 200, \"temperature\": 1, \"seed\": " + seed + rf));
      assertThat(r.status()).isEqualTo(200);
      String content = r.body().get("choices").get(0).get("message").get("content").asText();
      if (r.body().get("choices").get(0).get("finish_reason").asText().equals("stop")) {
        stopped++;
        assertThat(SchemaValidator.validate(schema, JSON.readTree(content))).isEmpty();
      } else {
        assertThat(JsonAutomaton.feed(JsonAutomaton.start(node), content.getBytes(StandardCharsets.UTF_8))).as(content).isNotNull();
      }
    }
    // bounded values only: always ends with stop
    String bounded = ", \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"b\", \"schema\": {\"type\": \"object\","
        + " \"properties\": {\"ok\": {\"type\": \"boolean\"}, \"level\": {\"enum\": [\"easy\", \"medium\", \"hard\"]}}, \"required\": [\"ok\", \"level\"]}}}";
    for (int seed = 0; seed < 20; seed++) {
      Reply r = post("/v1/chat/completions", chat(", \"max_tokens\": 64, \"seed\": " + seed + bounded));
      assertThat(r.body().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
      JsonNode v = JSON.readTree(r.body().get("choices").get(0).get("message").get("content").asText());
      assertThat(v.get("ok").isBoolean()).isTrue();
    }
  }
}
