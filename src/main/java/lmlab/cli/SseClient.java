package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpGenerator;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.util.BufferUtil;

/**
 * The client of {@code bench serve}: streamed completions read as server-sent events, every
 * stream on one thread that waits on one selector, as load generators (wrk, oha) read theirs. The
 * HTTP/1.1 messages are Jetty's: requests written by its {@link HttpGenerator}, responses (status,
 * headers, chunked body) read by its {@link HttpParser}; connections are kept alive and reused.
 *
 * <p>Why its own loop rather than an HTTP client library: the client shares the server's two
 * cores, so its CPU per event is taken from the decoding it measures. The JDK's HttpClient (read
 * on its selector thread, subscribers on a direct executor) spent most of its CPU per event in its
 * reactive plumbing between the socket and the body subscriber (README, "A lighter client for
 * {@code bench serve}"); here an event costs the selector's wake-up, one read and the parsers. With a blocking reader per stream, each token
 * of each stream woke a thread; one thread woken by the first of a step's events reads the others
 * that arrive while it works. A single stream reads through the same client, so both windows of
 * the bench pay the same per event.
 */
final class SseClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

  private final Selector selector;
  private final Thread thread;
  /** Requests made by other threads, for the loop to send. */
  private final ConcurrentLinkedQueue<Exchange> submitted = new ConcurrentLinkedQueue<>();
  /** Connections whose last response is complete, by server address (the loop's own). */
  private final Map<InetSocketAddress, ArrayDeque<Connection>> idle = new HashMap<>();
  private final List<Connection> open = new ArrayList<>();
  /** The socket's bytes, read into one buffer: the parsers take what they need before the next read. */
  private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
  private volatile boolean closed;

  /** A stream's text (its deltas joined) and when its [DONE] arrived (System.nanoTime). */
  record Streamed(String text, long doneNs) {}

  SseClient() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("bench serve client: cannot open a selector", e);
    }
    thread = Thread.ofPlatform().name("lmlab-bench-client").daemon().start(this::loop);
  }

  /** Posts body (a streamed completion request) to url; completes at the stream's [DONE]. */
  CompletableFuture<Streamed> stream(URI url, byte[] body) {
    Exchange x = new Exchange(url, request(url, body));
    if (closed) {
      x.result.completeExceptionally(new IllegalStateException("the client is closed"));
      return x.result;
    }
    submitted.add(x);
    selector.wakeup();
    return x.result;
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The request's bytes, head and body, as Jetty's generator writes a POST with a Content-Length. */
  private static byte[] request(URI url, byte[] body) {
    HttpFields fields = HttpFields.build()
        .add(HttpHeader.HOST, url.getHost() + ":" + url.getPort())
        .add(HttpHeader.CONTENT_TYPE, "application/json")
        .add(HttpHeader.ACCEPT, "text/event-stream")
        .add(new HttpField(HttpHeader.CONTENT_LENGTH, String.valueOf(body.length)));
    MetaData.Request info = new MetaData.Request("POST", HttpURI.from(url.getRawPath()), HttpVersion.HTTP_1_1, fields,
        body.length);
    HttpGenerator gen = new HttpGenerator();
    ByteBuffer header = BufferUtil.allocate(4096);
    ByteBuffer content = ByteBuffer.wrap(body);
    ByteBuffer out = ByteBuffer.allocate(4096 + body.length);
    try {
      while (true) {
        switch (gen.generateRequest(info, header, null, content, true)) {
          case FLUSH -> {
            out.put(header).put(content);
            BufferUtil.clear(header);
          }
          case DONE -> {
            return Arrays.copyOf(out.array(), out.position());
          }
          case CONTINUE, SHUTDOWN_OUT -> { }
          default -> throw new IllegalStateException("bench serve client: cannot write a request to " + url);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void loop() {
    try {
      while (!closed) {
        for (Exchange x; (x = submitted.poll()) != null; ) send(x);
        selector.select(this::ready);
      }
    } catch (IOException | ClosedSelectorException e) {
      for (Connection c : open) c.fail(e);
    } finally {
      IllegalStateException shut = new IllegalStateException("the client is closed");
      for (Exchange x; (x = submitted.poll()) != null; ) x.result.completeExceptionally(shut);
      for (Connection c : new ArrayList<>(open)) c.close(shut);
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing: nothing more to read
      }
    }
  }

  /** Sends x on an idle connection to its server, or on a new one. */
  private void send(Exchange x) {
    InetSocketAddress to = new InetSocketAddress(x.url.getHost(), x.url.getPort());
    ArrayDeque<Connection> free = idle.get(to);
    Connection c = free == null ? null : free.poll();
    try {
      if (c == null) c = new Connection(to);
      c.start(x);
    } catch (IOException e) {
      x.result.completeExceptionally(new IOException("bench serve client: " + name(to) + ": " + e.getMessage(), e));
      if (c != null) c.close(e);
    }
  }

  private static String name(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  /** One selected connection: connected, writable or readable. */
  private void ready(SelectionKey key) {
    Connection c = (Connection) key.attachment();
    try {
      if (key.isConnectable()) c.connected();
      if (key.isValid() && key.isWritable()) c.write();
      if (key.isValid() && key.isReadable()) c.read();
    } catch (IOException | RuntimeException e) {
      c.close(new IOException("bench serve client: " + name(c.to) + ": " + e.getMessage(), e));
    }
  }

  /** One request and its stream: the events' text so far, completed at [DONE]. */
  private static final class Exchange {
    final URI url;
    final ByteBuffer request;
    final CompletableFuture<Streamed> result = new CompletableFuture<>();
    final Events events = new Events();
    final StringBuilder text = new StringBuilder();
    int status;
    /** A refusal's body (its JSON error), for the message. */
    final StringBuilder refusal = new StringBuilder();

    Exchange(URI url, byte[] request) {
      this.url = url;
      this.request = ByteBuffer.wrap(request);
    }

    /** One event (a line "data: ..."): its chunk's text appended; true for [DONE]. Parsed by Jackson from its bytes. */
    boolean event(byte[] b, int from, int to) throws IOException {
      if (result.isDone()) return false; // after [DONE]: nothing more is expected
      if (to - from < DATA.length || !Arrays.equals(b, from, from + DATA.length, DATA, 0, DATA.length)) {
        throw new IOException("bad event " + new String(b, from, to - from, StandardCharsets.UTF_8));
      }
      from += DATA.length;
      if (Arrays.equals(b, from, to, DONE, 0, DONE.length)) {
        result.complete(new Streamed(text.toString(), System.nanoTime()));
        return true;
      }
      JsonNode c = JSON.readTree(b, from, to - from);
      if (c.has("error")) throw new IOException(c.get("error").get("message").asText());
      if (!c.get("choices").isEmpty()) text.append(c.get("choices").get(0).get("text").asText());
      return false;
    }
  }

  /** One kept-alive connection: at most one exchange at a time, its response read by Jetty's parser. */
  private final class Connection implements HttpParser.ResponseHandler {
    final InetSocketAddress to;
    final SocketChannel channel;
    final SelectionKey key;
    final HttpParser parser = new HttpParser(this);
    Exchange current;
    /** The server keeps the connection after this response (HTTP/1.1, no "Connection: close"). */
    boolean keep;
    IOException problem;

    Connection(InetSocketAddress to) throws IOException {
      this.to = to;
      channel = SocketChannel.open();
      try {
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        boolean now = channel.connect(to);
        key = channel.register(selector, now ? 0 : SelectionKey.OP_CONNECT, this);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      open.add(this);
    }

    void start(Exchange x) throws IOException {
      current = x;
      keep = false;
      problem = null;
      if (channel.isConnected()) write();
    }

    void connected() throws IOException {
      channel.finishConnect();
      write();
    }

    void write() throws IOException {
      ByteBuffer b = current.request;
      channel.write(b);
      key.interestOps(b.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    /** One read (another only when the buffer came back full), parsed at once. */
    void read() throws IOException {
      int n;
      do {
        in.clear();
        n = channel.read(in);
        if (n < 0) {
          parser.atEOF();
          parser.parseNext(BufferUtil.EMPTY_BUFFER);
          throw new IOException("the server closed the connection");
        }
        in.flip();
        while (in.hasRemaining() && current != null) {
          if (parser.parseNext(in)) done(); // a whole response: the connection is free
        }
        if (problem != null) throw problem;
      } while (n == in.capacity());
    }

    /** The response is complete: its exchange ended, the connection goes back to the idle ones. */
    private void done() throws IOException {
      if (problem != null) throw problem;
      Exchange x = current;
      current = null;
      if (x.status != 200) {
        x.result.completeExceptionally(new IOException("HTTP " + x.status + ": " + x.refusal.toString().strip()));
      } else if (!x.result.isDone()) {
        x.result.completeExceptionally(new IOException("the stream ended without [DONE]"));
      }
      parser.reset();
      if (keep) idle.computeIfAbsent(to, k -> new ArrayDeque<>()).add(this);
      else close(null);
    }

    void fail(Throwable e) {
      if (current != null) current.result.completeExceptionally(e);
      current = null;
    }

    void close(Throwable e) {
      fail(e != null ? e : new IOException("connection closed"));
      open.remove(this);
      ArrayDeque<Connection> free = idle.get(to);
      if (free != null) free.remove(this);
      key.cancel();
      try {
        channel.close();
      } catch (IOException ignored) {
        // closed either way
      }
    }

    @Override
    public void startResponse(HttpVersion version, int status, String reason) {
      current.status = status;
      keep = version == HttpVersion.HTTP_1_1;
    }

    @Override
    public void parsedHeader(HttpField field) {
      if (field.getHeader() == HttpHeader.CONNECTION && field.contains("close")) keep = false;
    }

    @Override
    public boolean headerComplete() {
      return false;
    }

    @Override
    public boolean content(ByteBuffer b) {
      Exchange x = current;
      try {
        if (x.status == 200) x.events.feed(b, x::event);
        else x.refusal.append(StandardCharsets.UTF_8.decode(b));
      } catch (IOException e) {
        problem = e;
      } catch (Exception e) {
        problem = new IOException(e.getMessage(), e);
      }
      b.position(b.limit());
      return false;
    }

    @Override
    public boolean contentComplete() {
      return false;
    }

    @Override
    public boolean messageComplete() {
      return true;
    }

    @Override
    public void earlyEOF() {
      problem = new IOException("the server closed the connection mid-response");
    }

    @Override
    public void badMessage(org.eclipse.jetty.http.HttpException e) {
      problem = new IOException("bad response: " + e.getReason());
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
