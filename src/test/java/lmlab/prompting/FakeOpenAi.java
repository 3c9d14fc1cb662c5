package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A scripted OpenAI-compatible endpoint on 127.0.0.1 for tests: {@code GET /v1/models} lists one
 * model; each {@code POST} takes the next scripted response (status, headers, body, delay), or
 * falls back to a function of the request. It records every request body it received.
 */
final class FakeOpenAi implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  record Scripted(int status, Map<String, String> headers, String body, long delayMs) {}

  private final HttpServer server;
  private final Deque<Scripted> script = new ArrayDeque<>();
  final List<JsonNode> requests = new ArrayList<>();
  final List<String> authorizations = new ArrayList<>();
  private final Function<JsonNode, String> fallback;

  FakeOpenAi(String modelId, Function<JsonNode, String> fallbackContent) throws IOException {
    this.fallback = fallbackContent;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/v1/models", ex -> send(ex, 200, Map.of(),
        "{\"object\": \"list\", \"data\": [{\"id\": \"" + modelId + "\", \"object\": \"model\", \"created\": 0, \"owned_by\": \"test\"}]}"));
    server.createContext("/v1/chat/completions", ex -> handle(ex, false));
    server.createContext("/v1/completions", ex -> handle(ex, true));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  synchronized FakeOpenAi then(int status, Map<String, String> headers, String body, long delayMs) {
    script.add(new Scripted(status, headers, body, delayMs));
    return this;
  }

  /** Queues a 200 reply whose message content is {@code content}. */
  FakeOpenAi thenContent(String content) {
    return then(200, Map.of(), reply(content, false), 0);
  }

  static String reply(String content, boolean completions) {
    ObjectNode r = JSON.createObjectNode().put("id", "chatcmpl-test").put("object", completions ? "text_completion" : "chat.completion");
    ObjectNode c = r.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
    if (completions) c.put("text", content);
    else c.putObject("message").put("role", "assistant").put("content", content);
    r.putObject("usage").put("prompt_tokens", 100).put("completion_tokens", 20).put("total_tokens", 120);
    return r.toString();
  }

  private void handle(HttpExchange ex, boolean completions) throws IOException {
    JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
    Scripted s;
    synchronized (this) {
      requests.add(body);
      authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
      s = script.poll();
    }
    if (s == null) s = new Scripted(200, Map.of(), reply(fallback.apply(body), completions), 0);
    if (s.delayMs() > 0) {
      try {
        Thread.sleep(s.delayMs());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      send(ex, s.status(), s.headers(), s.body());
    } catch (IOException e) {
      // the client gave up (timeout): nothing to answer
    }
  }

  private static void send(HttpExchange ex, int status, Map<String, String> headers, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    headers.forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  synchronized int requestCount() {
    return requests.size();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
