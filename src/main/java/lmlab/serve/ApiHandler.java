package lmlab.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import lmlab.decode.structured.JsonConstraint;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;

/**
 * The HTTP side of {@code lmlab serve} (serving.md) on Jetty's core handler API, running each
 * request on its own virtual thread: routing, authentication, the body read with its size and
 * time limits, validation, the slot queue, generation through the {@link Generator}, JSON and
 * server-sent-event responses, the request timeout and client-disconnect cancellation. Every
 * error is the OpenAI-shaped JSON object of the error table; a stack trace only goes to the log.
 */
final class ApiHandler extends Handler.Abstract {
  static final Logger LOG = Logger.getLogger("lmlab.serve");
  static final ObjectMapper JSON = JsonMapper.builder()
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  static {
    JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  private final Generator model;
  private final ServeConfig config;
  private final SlotPool slots;
  private final RequestParser parser;
  private final AtomicLong requestIds = new AtomicLong();
  private final long created = System.currentTimeMillis() / 1000;
  private volatile boolean draining;

  ApiHandler(Generator model, ServeConfig config) {
    this.model = model;
    this.config = config;
    this.slots = new SlotPool(config.parallel(), config.queue());
    this.parser = new RequestParser(model, new java.util.SplittableRandom(), config.defaultMaxTokens());
  }

  SlotPool slots() {
    return slots;
  }

  void drain() {
    draining = true;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String id = "req-" + requestIds.incrementAndGet();
    try {
      route(id, request, response, callback);
    } catch (ApiError e) {
      LOG.info(id + " " + e.status + " " + e.code + ": " + e.getMessage());
      sendError(response, callback, e);
    } catch (Throwable t) {
      LOG.log(Level.SEVERE, id + " internal error", t);
      String msg = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
      sendError(response, callback, new ApiError(500, "server_error", "internal_error", null, msg));
    }
    return true;
  }

  private void route(String id, Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    switch (path) {
      case "/health" -> {
        allow(method, "GET");
        ObjectNode h = JsonNodeFactory.instance.objectNode();
        h.put("status", draining ? "draining" : "ok").put("slots_busy", slots.busy()).put("slots_total", slots.parallel())
            .put("queued", slots.queued());
        if (draining) throw ApiError.serverError("not_ready", "The server is shutting down.");
        sendJson(response, callback, 200, h, List.of());
        return;
      }
      case "/v1/models" -> {
        allow(method, "GET");
        authorize(request);
        ObjectNode list = JsonNodeFactory.instance.objectNode().put("object", "list");
        list.putArray("data").add(modelObject());
        sendJson(response, callback, 200, list, List.of());
        return;
      }
      case "/v1/chat/completions", "/v1/completions" -> {
        allow(method, "POST");
        authorize(request);
        if (draining) throw ApiError.serverError("not_ready", "The server is shutting down.");
        complete(id, path.equals("/v1/chat/completions"), request, response, callback);
        return;
      }
      case "/tokenize" -> {
        allow(method, "POST");
        int[] ids = parser.tokenize(parseJson(readBody(request)));
        ObjectNode r = JsonNodeFactory.instance.objectNode().put("count", ids.length).put("max_model_len", model.maxModelLen());
        ArrayNode tokens = r.putArray("tokens");
        for (int t : ids) tokens.add(t);
        sendJson(response, callback, 200, r, List.of());
        return;
      }
      case "/detokenize" -> {
        allow(method, "POST");
        int[] ids = parser.detokenize(parseJson(readBody(request)));
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        for (int t : ids) text.writeBytes(model.tokenBytes(t));
        sendJson(response, callback, 200, JsonNodeFactory.instance.objectNode().put("prompt", text.toString(StandardCharsets.UTF_8)),
            List.of());
        return;
      }
      default -> { }
    }
    if (path.startsWith("/v1/models/")) {
      allow(method, "GET");
      authorize(request);
      String name = path.substring("/v1/models/".length());
      if (!name.equals(model.name()))
        throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
            "The model '" + name + "' does not exist. Available: " + model.name() + ".");
      sendJson(response, callback, 200, modelObject(), List.of());
      return;
    }
    throw new ApiError(404, "invalid_request_error", "not_found", null, "No route for " + method + " " + path + ".");
  }

  private ObjectNode modelObject() {
    return JsonNodeFactory.instance.objectNode().put("id", model.name()).put("object", "model").put("created", created)
        .put("owned_by", "lmlab").put("max_model_len", model.maxModelLen());
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed))
      throw new ApiError(405, "invalid_request_error", "method_not_allowed", null,
          "Method " + method + " is not allowed here; use " + allowed + ".").header("Allow", allowed);
  }

  private void authorize(Request request) {
    if (config.apiKey() == null) return;
    String h = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (h == null || !h.equals("Bearer " + config.apiKey()))
      throw new ApiError(401, "invalid_request_error", "invalid_api_key", null,
          h == null ? "Missing API key: send 'Authorization: Bearer KEY'." : "Incorrect API key provided.");
  }

  // ---- body ----

  /** Reads the body within the size and time limits; 413 from Content-Length without reading. */
  private byte[] readBody(Request request) throws IOException, InterruptedException {
    long declared = request.getLength();
    long max = config.maxBodyBytes();
    if (declared > max)
      throw new ApiError(413, "invalid_request_error", "body_too_large", null,
          "Request body of " + declared + " bytes exceeds the limit of " + max + " bytes.").header("Connection", "close");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long deadline = System.nanoTime() + config.readTimeoutMillis() * 1_000_000L;
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        request.demand(() -> ready.complete(null));
        long left = deadline - System.nanoTime();
        try {
          if (left <= 0) throw new TimeoutException();
          ready.get(left, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          throw new ApiError(408, "invalid_request_error", "request_timeout", null, "Request body incomplete: " + out.size()
              + " of " + (declared >= 0 ? declared + " bytes" : "the bytes") + " received in "
              + config.readTimeoutMillis() / 1000 + " s.").header("Connection", "close");
        } catch (ExecutionException e) {
          throw new IOException(e.getCause());
        }
        continue;
      }
      try {
        if (Content.Chunk.isFailure(chunk)) throw new IOException("reading the body failed", chunk.getFailure());
        ByteBuffer b = chunk.getByteBuffer();
        if (out.size() + (long) b.remaining() > max)
          throw new ApiError(413, "invalid_request_error", "body_too_large", null,
              "Request body of more than " + max + " bytes exceeds the limit of " + max + " bytes.").header("Connection", "close");
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.writeBytes(bytes);
        if (chunk.isLast()) return out.toByteArray();
      } finally {
        chunk.release();
      }
    }
  }

  static JsonNode parseJson(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n == null || n.isMissingNode()) throw ApiError.invalid("invalid_json", null,
          "We could not parse the JSON body of your request: the body is empty.");
      return n;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "";
      String m = e.getOriginalMessage() == null ? "invalid JSON" : e.getOriginalMessage().split("\n")[0]
          .replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\][^)]*\\)", "");
      throw ApiError.invalid("invalid_json", null, "We could not parse the JSON body of your request: " + m + where + ".");
    } catch (IOException e) {
      throw ApiError.invalid("invalid_json", null, "We could not parse the JSON body of your request: " + e.getMessage() + ".");
    }
  }

  // ---- completions ----

  private void complete(String id, boolean chat, Request request, Response response, Callback callback) throws Exception {
    long start = System.nanoTime();
    long deadline = start + config.requestTimeoutMillis() * 1_000_000L;
    ParsedRequest req = parser.parse(parseJson(readBody(request)), chat);
    if (!req.ignored().isEmpty()) LOG.warning(id + " ignored fields: " + String.join(", ", req.ignored()));
    AtomicBoolean gone = new AtomicBoolean();
    request.addFailureListener(t -> gone.set(true));
    ClientWatch watch = ClientWatch.start(request, gone);
    try {
      serve(id, chat, req, deadline, gone, watch, response, callback);
    } finally {
      endWatch(watch, response);
    }
  }

  /** Stops watching the connection before a response is written; a pipelined client gets Connection: close. */
  private static void endWatch(ClientWatch watch, Response response) {
    watch.close();
    if (watch.pipelined() && !response.isCommitted()) response.getHeaders().put(HttpHeader.CONNECTION, "close");
  }

  private void serve(String id, boolean chat, ParsedRequest req, long deadline, AtomicBoolean gone, ClientWatch watch,
      Response response, Callback callback) throws Exception {
    SlotPool.Lease lease;
    try {
      lease = slots.acquire(deadline, gone::get);
    } catch (SlotPool.Overloaded e) {
      throw ApiError.serverError("server_overloaded", "Server busy: " + e.waiting + " requests are waiting (limit "
          + slots.queueLimit() + "). Retry later.").header("Retry-After", String.valueOf(slots.retryAfterSeconds()));
    } catch (SlotPool.LeftQueue e) {
      if (e.timedOut) throw timeout(0);
      LOG.info(id + " cancelled by client while queued");
      callback.failed(new Request.Handler.AbortException("client went away"));
      return;
    }
    try (lease) {
      String rid = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
      // a stream's writes notice a closed connection themselves, and its headers go out now
      if (req.stream()) endWatch(watch, response);
      Responder out = req.stream()
          ? new StreamResponder(response, rid, chat, req, created(), model.name(), req.ignored(), () -> gone.set(true))
          : new JsonResponder(rid, chat, req, created(), model.name());
      Outcome o = generate(req, out, deadline, gone);
      endWatch(watch, response);
      if (o.cancelled) {
        LOG.info(id + " cancelled by client after " + o.tokens + " tokens");
        callback.failed(new Request.Handler.AbortException("client went away"));
        return;
      }
      if (o.timedOut) {
        if (req.stream()) {
          ((StreamResponder) out).error(timeout(o.tokens), callback);
          return;
        }
        throw timeout(o.tokens);
      }
      LOG.info(id + " " + rid + " 200 " + o.finishReason + ", " + req.prompt().length + " prompt + " + o.tokens
          + " completion tokens");
      out.finish(o.finishReason, req.prompt().length, o.tokens, response, callback);
    }
  }

  private ApiError timeout(int tokens) {
    return new ApiError(504, "server_error", "timeout", null, "Request exceeded the " + config.requestTimeoutMillis() / 1000.0
        + " s limit after " + tokens + " generated tokens.").header("x-should-retry", "false");
  }

  private static long created() {
    return System.currentTimeMillis() / 1000;
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[12];
    java.util.concurrent.ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  record Outcome(String finishReason, int tokens, boolean cancelled, boolean timedOut) {}

  /** Runs the generator, assembling text; stops at a stop string, a complete value, the limit, the deadline or a gone client. */
  private Outcome generate(ParsedRequest req, Responder out, long deadline, AtomicBoolean gone) throws InterruptedException {
    TextAssembler text = new TextAssembler(req.stop());
    JsonConstraint constraint = req.schema() == null ? null
        : new JsonConstraint(req.schema(), model.structuredTrie(), model.structuredTokenBytes(), model.endOfSequenceIds());
    int[] count = new int[1];
    String[] finish = {"length"};
    boolean[] timedOut = {false};
    Generator.Request g = new Generator.Request(req.prompt(), req.sampling(), req.maxTokens(),
        req.logprobs() ? Math.max(req.topLogprobs(), 0) : 0, constraint);
    // called by the decoder (its thread or a pool worker), one call at a time: text assembly and a write that does not block
    model.generate(g, new Generator.TokenSink() {
      @Override
      public boolean accept(Generator.Token token) {
        if (gone.get()) return false;
        if (System.nanoTime() > deadline) {
          timedOut[0] = true;
          return false;
        }
        count[0]++;
        if (model.isEndOfSequence(token.id())) {
          finish[0] = "stop";
          return false;
        }
        String inc = text.push(model.tokenBytes(token.id()));
        boolean more = true;
        if (text.stopped()) {
          finish[0] = "stop";
          more = false;
        } else if (count[0] >= req.maxTokens()) {
          more = false;
        }
        if (!more && !text.stopped()) inc += text.finish();
        try {
          out.token(token, inc, model);
        } catch (IOException e) {
          gone.set(true);
          return false;
        }
        return more;
      }

      @Override
      public boolean cancelled() {
        return gone.get();
      }
    });
    // the generator ends a structured value itself (the constraint is its own until it returns)
    if (constraint != null && finish[0].equals("length") && !gone.get() && !timedOut[0] && constraint.finished()) finish[0] = "stop";
    if (!gone.get() && !timedOut[0] && !text.stopped()) {
      String rest = text.finish();
      if (!rest.isEmpty()) {
        try {
          out.text(rest);
        } catch (IOException e) {
          gone.set(true);
        }
      }
    }
    return new Outcome(finish[0], count[0], gone.get(), timedOut[0]);
  }

  // ---- responses ----

  static void sendJson(Response response, Callback callback, int status, JsonNode body, List<String> ignored) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    if (!ignored.isEmpty()) response.getHeaders().put("x-lmlab-ignored-fields", String.join(", ", ignored));
    byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  static void sendError(Response response, Callback callback, ApiError e) {
    if (response.isCommitted()) {
      callback.failed(e);
      return;
    }
    e.headers.forEach((k, v) -> response.getHeaders().put(k, v));
    sendJson(response, callback, e.status, e.body(), List.of());
  }

  /** Where generated text goes: a JSON body at the end, or server-sent events as it comes. */
  interface Responder {
    /** One token's text increment (called by the decoder's threads, one call at a time: must not block). */
    void token(Generator.Token token, String textIncrement, Generator model) throws IOException;

    void text(String textIncrement) throws IOException;

    void finish(String finishReason, int promptTokens, int completionTokens, Response response, Callback callback) throws IOException;
  }

  /** Log-probability entry of one token in OpenAI's chat shape, with its UTF-8 bytes. */
  static ObjectNode logprobEntry(Generator model, int id, float logprob) {
    byte[] b = model.tokenBytes(id);
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("token", new String(b, StandardCharsets.UTF_8)).put("logprob", logprob);
    ArrayNode bytes = e.putArray("bytes");
    for (byte x : b) bytes.add(x & 0xFF);
    return e;
  }

  static ObjectNode chatLogprob(Generator model, Generator.Token t) {
    ObjectNode e = logprobEntry(model, t.id(), t.logprob());
    ArrayNode top = e.putArray("top_logprobs");
    if (t.topIds() != null) for (int i = 0; i < t.topIds().length; i++) top.add(logprobEntry(model, t.topIds()[i], t.topLogprobs()[i]));
    return e;
  }

  static ObjectNode usage(int prompt, int completion) {
    return JsonNodeFactory.instance.objectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
  }

  static final class JsonResponder implements Responder {
    private final String id;
    private final boolean chat;
    private final ParsedRequest req;
    private final long created;
    private final String modelName;
    private final StringBuilder text = new StringBuilder();
    private final ArrayNode chatLogprobs = JsonNodeFactory.instance.arrayNode();
    private final ArrayNode tokens = JsonNodeFactory.instance.arrayNode();
    private final ArrayNode tokenLogprobs = JsonNodeFactory.instance.arrayNode();
    private final ArrayNode topLogprobs = JsonNodeFactory.instance.arrayNode();

    JsonResponder(String id, boolean chat, ParsedRequest req, long created, String modelName) {
      this.id = id;
      this.chat = chat;
      this.req = req;
      this.created = created;
      this.modelName = modelName;
    }

    @Override
    public void token(Generator.Token t, String inc, Generator model) {
      text.append(inc);
      if (!req.logprobs() || model.isEndOfSequence(t.id())) return;
      if (chat) {
        chatLogprobs.add(chatLogprob(model, t));
      } else {
        tokens.add(new String(model.tokenBytes(t.id()), StandardCharsets.UTF_8));
        tokenLogprobs.add(t.logprob());
        ObjectNode top = topLogprobs.addObject();
        if (t.topIds() != null)
          for (int i = 0; i < t.topIds().length; i++)
            top.put(new String(model.tokenBytes(t.topIds()[i]), StandardCharsets.UTF_8), t.topLogprobs()[i]);
      }
    }

    @Override
    public void text(String inc) {
      text.append(inc);
    }

    @Override
    public void finish(String finishReason, int promptTokens, int completionTokens, Response response, Callback callback) {
      ObjectNode r = JsonNodeFactory.instance.objectNode();
      r.put("id", id).put("object", chat ? "chat.completion" : "text_completion").put("created", created).put("model", modelName);
      r.put("system_fingerprint", "lmlab-" + ServeConfig.VERSION);
      ObjectNode c = r.putArray("choices").addObject().put("index", 0);
      if (chat) {
        c.putObject("message").put("role", "assistant").put("content", text.toString());
        if (req.logprobs()) c.putObject("logprobs").set("content", chatLogprobs);
        else c.putNull("logprobs");
      } else {
        c.put("text", text.toString());
        if (req.logprobs()) {
          ObjectNode lp = c.putObject("logprobs");
          lp.set("tokens", tokens);
          lp.set("token_logprobs", tokenLogprobs);
          lp.set("top_logprobs", topLogprobs);
        } else {
          c.putNull("logprobs");
        }
      }
      c.put("finish_reason", finishReason);
      r.set("usage", usage(promptTokens, completionTokens));
      sendJson(response, callback, 200, r, req.ignored());
    }
  }

  /**
   * Server-sent events: role chunk, one chunk per text increment, the finish chunk, usage, [DONE].
   * Token events are written from the decoder's threads without blocking: a write starts at once
   * when none is in flight, else the event waits in {@code pending} and goes out with the others
   * waiting when the write in flight completes (one write, one wake-up of the client). A failed
   * write means the client is gone: {@code onFailure} runs, and later events are refused.
   */
  static final class StreamResponder implements Responder {
    private final Response response;
    private final String id;
    private final boolean chat;
    private final ParsedRequest req;
    private final long created;
    private final String modelName;
    private final Runnable onFailure;
    /** Events waiting for the write in flight (under the lock of this). */
    private final StringBuilder pending = new StringBuilder();
    private boolean writing;
    private Throwable failure;
    private final Callback written = Callback.from(Invocable.InvocationType.NON_BLOCKING, this::next, this::writeFailed);
    /** This stream's text event without logprobs ({@link TextEvent}). */
    private final TextEvent textEvent;

    StreamResponder(Response response, String id, boolean chat, ParsedRequest req, long created, String modelName,
        List<String> ignored, Runnable onFailure) throws IOException {
      this.response = response;
      this.id = id;
      this.chat = chat;
      this.req = req;
      this.created = created;
      this.modelName = modelName;
      this.onFailure = onFailure;
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
      response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
      if (!ignored.isEmpty()) response.getHeaders().put("x-lmlab-ignored-fields", String.join(", ", ignored));
      if (chat) {
        ObjectNode r = chunk();
        ObjectNode ch = (ObjectNode) r.get("choices").get(0);
        ch.putObject("delta").put("role", "assistant").put("content", "");
        ch.putNull("logprobs");
        ch.putNull("finish_reason");
        send("data: " + r + "\n\n");
      }
      this.textEvent = TextEvent.of(t -> "data: " + textChunk(t) + "\n\n");
    }

    private ObjectNode chunk() {
      ObjectNode r = JsonNodeFactory.instance.objectNode();
      r.put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion").put("created", created).put("model", modelName);
      r.put("system_fingerprint", "lmlab-" + ServeConfig.VERSION);
      r.putArray("choices").addObject().put("index", 0);
      if (req.includeUsage()) r.putNull("usage");
      return r;
    }

    private static ObjectNode finishChoice(ObjectNode chunk, String reason) {
      ObjectNode c = (ObjectNode) chunk.get("choices").get(0);
      if (reason == null) c.putNull("finish_reason");
      else c.put("finish_reason", reason);
      return chunk;
    }

    private ObjectNode textChunk(String inc) {
      ObjectNode r = chunk();
      ObjectNode c = (ObjectNode) r.get("choices").get(0);
      if (chat) c.putObject("delta").put("content", inc);
      else c.put("text", inc);
      c.putNull("logprobs");
      return finishChoice(r, null);
    }

    /** Writes s after the events before it, without blocking; fails once a write has failed. */
    private void send(String s) throws IOException {
      synchronized (this) {
        if (failure != null) throw new IOException("the stream's write failed", failure);
        if (writing) {
          pending.append(s);
          return;
        }
        writing = true;
      }
      write(s);
    }

    private void write(String s) {
      response.write(false, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), written);
    }

    /** The write in flight completed: writes what waited meanwhile, or becomes idle. */
    private void next() {
      String s;
      synchronized (this) {
        if (pending.isEmpty()) {
          writing = false;
          notifyAll();
          return;
        }
        s = pending.toString();
        pending.setLength(0);
      }
      write(s);
    }

    /** A write failed: the client is gone; later events are refused. */
    private void writeFailed(Throwable x) {
      synchronized (this) {
        failure = x;
        writing = false;
        pending.setLength(0);
        notifyAll();
      }
      onFailure.run();
    }

    /** Waits until every event sent so far is written; throws if a write failed. */
    private void drain() throws IOException {
      synchronized (this) {
        while (writing) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing the stream", e);
          }
        }
        if (failure != null) throw new IOException("the stream's write failed", failure);
      }
    }

    @Override
    public void token(Generator.Token t, String inc, Generator model) throws IOException {
      if (inc.isEmpty() && !req.logprobs()) return;
      if (inc.isEmpty() && model.isEndOfSequence(t.id())) return;
      if (!req.logprobs()) {
        send(textEvent.with(inc));
        return;
      }
      ObjectNode c = textChunk(inc);
      if (!model.isEndOfSequence(t.id())) {
        ObjectNode ch = (ObjectNode) c.get("choices").get(0);
        if (chat) ch.putObject("logprobs").putArray("content").add(chatLogprob(model, t));
      }
      send("data: " + c + "\n\n");
    }

    @Override
    public void text(String inc) throws IOException {
      send(textEvent.with(inc));
    }

    /** The finish chunk, usage and [DONE] in the response's last write, once the events before them are written. */
    @Override
    public void finish(String finishReason, int promptTokens, int completionTokens, Response response, Callback callback) {
      try {
        ObjectNode last = chunk();
        ObjectNode c = (ObjectNode) last.get("choices").get(0);
        if (chat) c.putObject("delta");
        else c.put("text", "");
        c.putNull("logprobs");
        finishChoice(last, finishReason);
        StringBuilder end = new StringBuilder("data: ").append(last).append("\n\n");
        if (req.includeUsage()) {
          ObjectNode u = chunk();
          u.putArray("choices");
          u.set("usage", usage(promptTokens, completionTokens));
          end.append("data: ").append(u).append("\n\n");
        }
        end.append("data: [DONE]\n\n");
        drain();
        response.write(true, ByteBuffer.wrap(end.toString().getBytes(StandardCharsets.UTF_8)), callback);
      } catch (IOException e) {
        callback.failed(e);
      }
    }

    /** An error after the headers: one error event, then the connection closes without [DONE]. */
    void error(ApiError e, Callback callback) {
      try {
        send("data: " + e.body() + "\n\n");
        drain();
      } catch (IOException ignored) {
        // the client is gone anyway
      }
      callback.failed(e);
    }
  }
}
