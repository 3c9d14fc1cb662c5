package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal OpenAI-compatible HTTP client on java.net.http (the endpoints of serving.md): POST a
 * JSON body to {@code /chat/completions} or {@code /completions}, GET {@code /models}. Retries
 * follow prompting.md: 429 and 503 after {@code Retry-After} (else 1 s, doubling) and connection
 * failures likewise, at most 5 tries; other 4xx are final; a reply slower than the timeout is a
 * timeout. The API key is read from the environment per request and never recorded.
 */
public final class OpenAiClient {
  static final int MAX_TRIES = 5;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How the client waits between tries (tests pass one that records instead of sleeping). */
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final HttpClient http;
  private final Duration timeout;
  private final Sleeper sleeper;

  public OpenAiClient(Duration timeout, Sleeper sleeper) {
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    this.timeout = timeout;
    this.sleeper = sleeper;
  }

  public OpenAiClient(Duration timeout) {
    this(timeout, d -> Thread.sleep(d));
  }

  /** The model ids of {@code GET /models} (one try, 5 s); throws with a one-line reason. */
  public List<String> models(Endpoint e) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(e.resolve("/models")).timeout(Duration.ofSeconds(5)).GET();
    authorize(b, e);
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } catch (IOException ex) {
      throw new IOException(describe(ex, Duration.ofSeconds(5)));
    }
    if (r.statusCode() != 200) throw new IOException("GET /models answered " + r.statusCode() + errorMessage(r.body()));
    List<String> ids = new ArrayList<>();
    try {
      for (JsonNode m : JSON.readTree(r.body()).path("data")) ids.add(m.path("id").asText());
    } catch (IOException ex) {
      throw new IOException("GET /models did not answer JSON");
    }
    return ids;
  }

  /** POSTs {@code body} to {@code path} with the retry policy above. */
  public Exchange post(Endpoint e, String path, ObjectNode body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException ex) {
      throw new IllegalStateException(ex);
    }
    Duration wait = Duration.ofSeconds(1);
    Exchange last = null;
    for (int attempt = 1; attempt <= MAX_TRIES; attempt++) {
      HttpRequest.Builder b = HttpRequest.newBuilder(e.resolve(path))
          .timeout(timeout)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
      authorize(b, e);
      long t0 = System.nanoTime();
      Duration retryAfter = null;
      try {
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        double ms = (System.nanoTime() - t0) / 1e6;
        int code = r.statusCode();
        if (code == 200) {
          try {
            JsonNode reply = JSON.readTree(r.body());
            if (reply == null || !reply.isObject())
              return new Exchange("invalid_reply", code, null, "reply is not a JSON object: " + head(r.body()), ms, attempt);
            return new Exchange("ok", code, reply, null, ms, attempt);
          } catch (IOException ex) {
            return new Exchange("invalid_reply", code, null, "reply is not JSON: " + head(r.body()), ms, attempt);
          }
        }
        last = new Exchange("http_error", code, null, "HTTP " + code + errorMessage(r.body()), ms, attempt);
        if (code != 429 && code != 503) return last;
        retryAfter = r.headers().firstValue("Retry-After").map(OpenAiClient::seconds).orElse(null);
      } catch (java.net.http.HttpConnectTimeoutException ex) {
        last = new Exchange("connection_failed", 0, null, "connection timed out", (System.nanoTime() - t0) / 1e6, attempt);
      } catch (HttpTimeoutException ex) {
        return new Exchange("timeout", 0, null, "timeout: no reply within " + timeout.toSeconds() + " s", (System.nanoTime() - t0) / 1e6, attempt);
      } catch (IOException ex) {
        last = new Exchange("connection_failed", 0, null, describe(ex, timeout), (System.nanoTime() - t0) / 1e6, attempt);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return new Exchange("connection_failed", 0, null, "interrupted", 0, attempt);
      }
      if (attempt == MAX_TRIES) break;
      Duration d = retryAfter != null ? retryAfter : wait;
      wait = wait.multipliedBy(2);
      try {
        sleeper.sleep(d);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return new Exchange(last.status(), last.httpStatus(), null, last.error() + " (after " + last.attempts() + " tries)",
        last.latencyMs(), last.attempts());
  }

  private static Duration seconds(String header) {
    try {
      long s = Long.parseLong(header.strip());
      return s >= 0 ? Duration.ofSeconds(s) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void authorize(HttpRequest.Builder b, Endpoint e) {
    String key = e.apiKey();
    if (key != null) b.header("Authorization", "Bearer " + key);
  }

  /** ": <error.message>" from an OpenAI error body, or the start of the body. */
  static String errorMessage(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.path("error").path("message").isTextual()) return ": " + n.path("error").path("message").asText();
    } catch (IOException ignored) {
      // not JSON: fall through to the raw text
    }
    return body == null || body.isBlank() ? "" : ": " + head(body);
  }

  static String head(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= 120 ? one : one.substring(0, 120) + "…";
  }

  static String describe(IOException ex, Duration timeout) {
    Throwable c = ex;
    while (c.getCause() != null && !(c instanceof ConnectException)) c = c.getCause();
    if (ex instanceof java.net.http.HttpConnectTimeoutException) return "connection timed out";
    if (c instanceof ConnectException) return "connection refused";
    if (ex instanceof HttpTimeoutException) return "timeout: no reply within " + timeout.toSeconds() + " s";
    String m = ex.getMessage();
    return "connection failed: " + (m == null ? ex.getClass().getSimpleName() : m);
  }
}
