package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * The client of {@code bench serve}: streamed completions read as server-sent events, every
 * stream of the client on one thread, as load generators (wrk, oha) read theirs. The JDK's
 * HttpClient reads all its connections on one selector thread; with a direct executor its body
 * subscribers ({@link Text}) run there too, so no chunk is handed to another thread.
 *
 * <p>Why one thread: the client shares the server's cores. With a blocking reader per stream, each
 * token of each stream woke a thread (a wake-up the server's write pays for, then a read); P
 * streams of one batched step cost P wake-ups per step, taken from the step. One thread woken by
 * the first of a step's events reads the others that arrive while it works. A single stream reads
 * through the same client, so both windows of the bench pay the same per event.
 */
final class SseClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .executor(Runnable::run) // subscribers run on the selector thread: no hand-off per chunk
      .build();

  /** A stream's text (its deltas joined) and when its [DONE] arrived (System.nanoTime). */
  record Streamed(String text, long doneNs) {}

  /** Posts body (a streamed completion request) to url; completes at the stream's [DONE]. */
  CompletableFuture<Streamed> stream(URI url, byte[] body) {
    HttpRequest req = HttpRequest.newBuilder(url)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .build();
    return http.sendAsync(req, info -> info.statusCode() == 200 ? new Text()
        : HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
            s -> {
              throw new IllegalStateException("HTTP " + info.statusCode() + ": " + s);
            }))
        .thenCompose(HttpResponse::body);
  }

  @Override
  public void close() {
    http.close();
  }

  /**
   * One stream's body: its events parsed as they arrive, the text of each chunk appended; the
   * result completes at [DONE] (the rest of the body is still read, so the connection is kept).
   */
  private static final class Text implements HttpResponse.BodySubscriber<CompletableFuture<Streamed>> {
    private final CompletableFuture<Streamed> result = new CompletableFuture<>();
    private final Events events = new Events();
    private final StringBuilder text = new StringBuilder();
    private Flow.Subscription subscription;

    @Override
    public CompletionStage<CompletableFuture<Streamed>> getBody() {
      return CompletableFuture.completedStage(result);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      try {
        for (ByteBuffer b : items) {
          if (events.feed(b, this::event)) result.complete(new Streamed(text.toString(), System.nanoTime()));
        }
      } catch (Exception e) {
        result.completeExceptionally(e);
        subscription.cancel();
        return;
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.completeExceptionally(new IllegalStateException("stream ends without [DONE]"));
    }

    /** One event (a line "data: ..."): its chunk's text appended; true for [DONE]. Parsed by Jackson from its bytes. */
    private boolean event(byte[] b, int from, int to) throws Exception {
      if (result.isDone()) return false; // after [DONE]: nothing more is expected
      if (to - from < DATA.length || !Arrays.equals(b, from, from + DATA.length, DATA, 0, DATA.length)) {
        throw new IllegalStateException("bad event " + new String(b, from, to - from, StandardCharsets.UTF_8));
      }
      from += DATA.length;
      if (Arrays.equals(b, from, to, DONE, 0, DONE.length)) return true;
      JsonNode c = JSON.readTree(b, from, to - from);
      if (c.has("error")) throw new IllegalStateException(c.get("error").get("message").asText());
      if (!c.get("choices").isEmpty()) text.append(c.get("choices").get(0).get("text").asText());
      return false;
    }
  }

  /**
   * The events of a server-sent event stream as byte ranges, each ending at a blank line ("\n\n"),
   * from the body's buffers as they arrive (an event may span several).
   */
  static final class Events {
    /** Receives one event's bytes [from, to); true when it is the last one wanted. */
    @FunctionalInterface
    interface Sink {
      boolean event(byte[] b, int from, int to) throws Exception;
    }

    private byte[] buf = new byte[4096];
    /** Bytes [0, have) held, [next, have) not yet part of an event; scanned for the blank line up to scan. */
    private int next, have, scan;

    /** Adds bytes (all of them) and passes each event completed to sink; true when sink said last. */
    boolean feed(ByteBuffer bytes, Sink sink) throws Exception {
      boolean last = false;
      while (bytes.hasRemaining()) {
        if (next > 0) { // the unread bytes to the front
          System.arraycopy(buf, next, buf, 0, have - next);
          have -= next;
          scan -= next;
          next = 0;
        }
        if (have == buf.length) buf = Arrays.copyOf(buf, 2 * buf.length);
        int n = Math.min(bytes.remaining(), buf.length - have);
        bytes.get(buf, have, n);
        have += n;
        for (int i = Math.max(scan, next + 1); i < have; i++) {
          if (buf[i] == '\n' && buf[i - 1] == '\n') {
            last |= sink.event(buf, next, i - 1);
            next = i + 1;
            i = next; // the next event's first byte cannot end it
          }
        }
        scan = Math.max(have, next + 1);
      }
      return last;
    }
  }
}
