package lmlab.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import lmlab.decode.structured.JsonSchemaSubset;

/**
 * Validates a request body against serving.md's field table before anything is generated, so
 * every error is a plain HTTP error with the field, the value and what was expected (OpenAI's
 * message forms). Fields that change meaning and are not implemented are refused; fields that
 * do not change the text, and unknown ones, are collected for the {@code x-lmlab-ignored-fields}
 * header.
 */
final class RequestParser {
  private static final Set<String> COMMON = Set.of("model", "max_tokens", "max_completion_tokens", "temperature", "top_p",
      "top_k", "n", "stop", "seed", "stream", "stream_options", "presence_penalty", "frequency_penalty", "logit_bias",
      "response_format", "logprobs", "top_logprobs", "tools", "functions", "best_of", "suffix", "audio", "modalities",
      "prediction", "echo");
  private static final Set<String> IGNORED = Set.of("user", "metadata", "store", "service_tier", "parallel_tool_calls",
      "tool_choice", "reasoning_effort", "safety_identifier", "prompt_cache_key");

  private final Generator model;
  private final RandomGenerator seeds;
  private final Integer defaultMaxTokens;

  RequestParser(Generator model, RandomGenerator seeds, Integer defaultMaxTokens) {
    this.model = model;
    this.seeds = seeds;
    this.defaultMaxTokens = defaultMaxTokens;
  }

  ParsedRequest parse(JsonNode body, boolean chat) {
    if (!body.isObject())
      throw ApiError.invalid("invalid_type", null, "The request body must be a JSON object, got " + article(body) + ".");
    String modelName = string(body, "model", true);
    List<Generator.ChatTurn> turns = chat ? messages(body) : null;
    JsonNode promptNode = chat ? null : required(body, "prompt");

    Integer maxTokens = integer(body, "max_completion_tokens", 1, Long.MAX_VALUE);
    if (maxTokens == null) maxTokens = integer(body, "max_tokens", 1, Long.MAX_VALUE);
    double temperature = number(body, "temperature", 0, 2, false, 1);
    double topP = number(body, "top_p", 0, 1, true, 1);
    Integer topK = integer(body, "top_k", 0, Integer.MAX_VALUE);
    Integer n = integer(body, "n", Long.MIN_VALUE, Long.MAX_VALUE);
    if (n != null && n != 1) throw ApiError.unsupported("n", "'n' must be 1: this server returns one choice per request.");
    List<String> stop = stop(body);
    Long seed = null;
    JsonNode seedNode = present(body, "seed");
    if (seedNode != null) {
      if (!seedNode.isIntegralNumber()) throw ApiError.type("seed", "an integer", typeName(seedNode));
      if (!seedNode.canConvertToLong()) throw ApiError.invalid("invalid_value", "seed", seedNode + " is not a 64-bit integer - 'seed'");
      seed = seedNode.asLong();
    }
    boolean stream = bool(body, "stream", false);
    boolean includeUsage = false;
    JsonNode so = present(body, "stream_options");
    if (so != null) {
      if (!so.isObject()) throw ApiError.type("stream_options", "an object", typeName(so));
      includeUsage = bool(so, "include_usage", "stream_options.include_usage", false);
    }
    double presence = number(body, "presence_penalty", -2, 2, false, 0);
    double frequency = number(body, "frequency_penalty", -2, 2, false, 0);
    Map<Integer, Float> bias = logitBias(body);
    boolean logprobs;
    int topLogprobs;
    if (chat) {
      logprobs = bool(body, "logprobs", false);
      Integer t = integer(body, "top_logprobs", 0, 20);
      topLogprobs = t == null ? 0 : t;
    } else {
      Integer lp = integer(body, "logprobs", 0, 5);
      logprobs = lp != null;
      topLogprobs = lp == null ? 0 : lp;
    }
    JsonSchemaSubset.Node schema = responseFormat(body);
    refuseUnsupported(body, chat);

    if (!modelName.equals(model.name()))
      throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
          "The model '" + modelName + "' does not exist. Available: " + model.name() + ".");

    int[] prompt;
    if (chat) {
      try {
        prompt = model.encodeChat(turns);
      } catch (IllegalArgumentException e) {
        throw ApiError.unsupported("messages", e.getMessage());
      }
    } else {
      prompt = prompt(promptNode);
    }
    String promptParam = chat ? "messages" : "prompt";
    int limit = model.maxModelLen();
    if (maxTokens == null) {
      int room = limit - prompt.length;
      if (room < 1) throw contextError(prompt.length, 1, limit, promptParam);
      maxTokens = defaultMaxTokens != null ? Math.min(defaultMaxTokens, room) : room;
    } else if ((long) prompt.length + maxTokens > limit) {
      throw contextError(prompt.length, maxTokens, limit, promptParam);
    }
    boolean seedGiven = seed != null;
    long s = seedGiven ? seed : seeds.nextLong();
    List<String> ignored = new ArrayList<>();
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      boolean known = COMMON.contains(k) || (chat ? k.equals("messages") : k.equals("prompt"));
      if (!known || IGNORED.contains(k)) ignored.add(k);
    }
    Generator.Sampling sampling = new Generator.Sampling(temperature, topP, topK == null ? 0 : topK, s, presence, frequency, bias);
    return new ParsedRequest(chat, modelName, prompt, sampling, seedGiven, maxTokens, stop, stream, includeUsage, logprobs,
        topLogprobs, schema, List.copyOf(ignored));
  }

  /**
   * vLLM's {@code POST /tokenize}: {@code {"model", "prompt"}}, the prompt a string encoded as a
   * completions prompt is (special-token matching on, add_special_tokens true).
   */
  int[] tokenize(JsonNode body) {
    if (!body.isObject())
      throw ApiError.invalid("invalid_type", null, "The request body must be a JSON object, got " + article(body) + ".");
    String modelName = string(body, "model", true);
    JsonNode p = required(body, "prompt");
    if (!p.isTextual()) throw ApiError.type("prompt", "a string", typeName(p));
    checkModel(modelName);
    try {
      return model.encodeText(p.asText());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("invalid_value", "prompt", "The prompt cannot be encoded: " + e.getMessage() + ".");
    }
  }

  /** vLLM's {@code POST /detokenize}: {@code {"model", "tokens"}}, ids in [0, vocab_size). */
  int[] detokenize(JsonNode body) {
    if (!body.isObject())
      throw ApiError.invalid("invalid_type", null, "The request body must be a JSON object, got " + article(body) + ".");
    String modelName = string(body, "model", true);
    JsonNode t = required(body, "tokens");
    if (!t.isArray()) throw ApiError.type("tokens", "an array of token ids", typeName(t));
    int[] ids = new int[t.size()];
    for (int i = 0; i < t.size(); i++) {
      JsonNode x = t.get(i);
      if (!x.isIntegralNumber()) throw ApiError.type("tokens[" + i + "]", "an integer token id", typeName(x));
      long v = x.asLong();
      if (!x.canConvertToLong() || v < 0 || v >= model.vocabSize())
        throw ApiError.invalid("invalid_value", "tokens", "Token id " + x + " at tokens[" + i + "] is outside the vocabulary [0, "
            + model.vocabSize() + ").");
      ids[i] = (int) v;
    }
    checkModel(modelName);
    return ids;
  }

  private void checkModel(String modelName) {
    if (!modelName.equals(model.name()))
      throw new ApiError(404, "invalid_request_error", "model_not_found", "model",
          "The model '" + modelName + "' does not exist. Available: " + model.name() + ".");
  }

  private static ApiError contextError(int promptTokens, int completion, int limit, String param) {
    String where = param.equals("messages") ? "in the messages" : "in the prompt";
    return ApiError.invalid("context_length_exceeded", param, "This model's maximum context length is " + limit
        + " tokens. However, you requested " + (promptTokens + completion) + " tokens (" + promptTokens + " " + where + ", "
        + completion + " in the completion). Please reduce the length of the " + param + " or completion.");
  }

  private List<Generator.ChatTurn> messages(JsonNode body) {
    JsonNode m = required(body, "messages");
    if (!m.isArray()) throw ApiError.type("messages", "an array", typeName(m));
    if (m.isEmpty()) throw ApiError.invalid("invalid_value", "messages", "[] is too short - 'messages'");
    List<Generator.ChatTurn> out = new ArrayList<>();
    for (int i = 0; i < m.size(); i++) {
      JsonNode msg = m.get(i);
      String at = "messages[" + i + "]";
      if (!msg.isObject()) throw ApiError.type(at, "an object", typeName(msg));
      JsonNode role = msg.get("role");
      if (role == null || role.isNull()) throw ApiError.missing(at + ".role");
      if (!role.isTextual()) throw ApiError.type(at + ".role", "a string", typeName(role));
      String r = role.asText();
      switch (r) {
        case "system", "developer", "user", "assistant" -> { }
        case "tool", "function" -> throw ApiError.unsupported("messages", "Message " + (i + 1) + " has role '" + r
            + "'; the " + model.name() + " chat format supports system, user and assistant.");
        default -> throw ApiError.invalid("invalid_value", at + ".role", "'" + r
            + "' is not one of ['system', 'developer', 'user', 'assistant', 'tool', 'function'] - '" + at + ".role'");
      }
      JsonNode content = msg.get("content");
      if (content == null || content.isNull()) throw ApiError.missing(at + ".content");
      String text;
      if (content.isTextual()) {
        text = content.asText();
      } else if (content.isArray()) {
        List<String> parts = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
          JsonNode p = content.get(j);
          String pat = at + ".content[" + j + "]";
          if (!p.isObject()) throw ApiError.type(pat, "an object", typeName(p));
          String type = p.path("type").asText("");
          if (!type.equals("text"))
            throw ApiError.unsupported(pat + ".type", "Content part type '" + type + "' is not supported: this server accepts text parts only.");
          if (!p.path("text").isTextual()) throw ApiError.type(pat + ".text", "a string", typeName(p.path("text")));
          parts.add(p.get("text").asText());
        }
        text = String.join("\n", parts);
      } else {
        throw ApiError.type(at + ".content", "a string or an array of content parts", typeName(content));
      }
      out.add(new Generator.ChatTurn(r.equals("developer") ? "system" : r, text));
    }
    return out;
  }

  private int[] prompt(JsonNode p) {
    if (p.isTextual()) {
      int[] ids;
      try {
        ids = model.encodeText(p.asText());
      } catch (IllegalArgumentException e) {
        throw ApiError.invalid("invalid_value", "prompt", "The prompt cannot be encoded: " + e.getMessage() + ".");
      }
      if (ids.length == 0)
        throw ApiError.invalid("invalid_value", "prompt", "The prompt encodes to no tokens and this tokenizer adds no BOS - 'prompt'");
      return ids;
    }
    if (!p.isArray()) throw ApiError.type("prompt", "a string or an array of token ids", typeName(p));
    int[] ids = new int[p.size()];
    for (int i = 0; i < p.size(); i++) {
      JsonNode x = p.get(i);
      if (x.isTextual() || x.isArray())
        throw ApiError.unsupported("prompt", "'prompt' must be one string or one list of token ids: this server completes one prompt per request.");
      if (!x.isIntegralNumber()) throw ApiError.type("prompt[" + i + "]", "an integer token id", typeName(x));
      long v = x.asLong();
      if (!x.canConvertToLong() || v < 0 || v >= model.vocabSize())
        throw ApiError.invalid("invalid_value", "prompt", "Token id " + x + " at prompt[" + i + "] is outside the vocabulary [0, " + model.vocabSize() + ").");
      ids[i] = (int) v;
    }
    if (ids.length == 0) throw ApiError.invalid("invalid_value", "prompt", "[] is too short - 'prompt'");
    return ids;
  }

  private List<String> stop(JsonNode body) {
    JsonNode s = present(body, "stop");
    if (s == null) return List.of();
    List<String> out = new ArrayList<>();
    if (s.isTextual()) {
      out.add(s.asText());
    } else if (s.isArray()) {
      if (s.size() > 4) throw ApiError.invalid("invalid_value", "stop", s.size() + " stop sequences is more than the maximum of 4 - 'stop'");
      for (JsonNode x : s) {
        if (!x.isTextual()) throw ApiError.type("stop", "a string or an array of strings", "an array containing " + article(x));
        out.add(x.asText());
      }
    } else {
      throw ApiError.type("stop", "a string or an array of strings", typeName(s));
    }
    for (String x : out) if (x.isEmpty()) throw ApiError.invalid("invalid_value", "stop", "'' is too short - 'stop'");
    return List.copyOf(out);
  }

  private Map<Integer, Float> logitBias(JsonNode body) {
    JsonNode b = present(body, "logit_bias");
    if (b == null) return Map.of();
    if (!b.isObject()) throw ApiError.type("logit_bias", "an object", typeName(b));
    Map<Integer, Float> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id;
      try {
        id = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        throw ApiError.invalid("invalid_value", "logit_bias", "Key '" + e.getKey() + "' of 'logit_bias' is not a token id.");
      }
      if (id < 0 || id >= model.vocabSize())
        throw ApiError.invalid("invalid_value", "logit_bias", "Token id " + id + " in 'logit_bias' is outside the vocabulary [0, " + model.vocabSize() + ").");
      JsonNode v = e.getValue();
      if (!v.isNumber()) throw ApiError.type("logit_bias", "numbers as values", typeName(v));
      double d = v.asDouble();
      if (!(d >= -100 && d <= 100))
        throw ApiError.invalid("invalid_value", "logit_bias", format(d) + " for token " + id + " is outside [-100, 100] - 'logit_bias'");
      out.put(id, (float) d);
    }
    return Map.copyOf(out);
  }

  private static JsonSchemaSubset.Node responseFormat(JsonNode body) {
    JsonNode rf = present(body, "response_format");
    if (rf == null) return null;
    if (!rf.isObject()) throw ApiError.type("response_format", "an object", typeName(rf));
    String type = rf.path("type").asText("");
    switch (type) {
      case "text" -> {
        return null;
      }
      case "json_object" -> {
        return JsonSchemaSubset.ANY_OBJECT;
      }
      case "json_schema" -> {
        JsonNode js = rf.get("json_schema");
        if (js == null || !js.isObject()) throw ApiError.missing("response_format.json_schema");
        JsonNode schema = js.get("schema");
        if (schema == null || !schema.isObject()) throw ApiError.missing("response_format.json_schema.schema");
        try {
          return JsonSchemaSubset.compile(schema);
        } catch (JsonSchemaSubset.UnsupportedSchemaException e) {
          throw ApiError.invalid("unsupported_schema", "response_format", "response_format.json_schema.schema: " + e.getMessage() + ".");
        }
      }
      default -> throw ApiError.invalid("invalid_value", "response_format.type",
          "'" + type + "' is not one of ['text', 'json_object', 'json_schema'] - 'response_format.type'");
    }
  }

  private static void refuseUnsupported(JsonNode body, boolean chat) {
    for (String f : List.of("tools", "functions")) {
      JsonNode t = present(body, f);
      if (t != null && !(t.isArray() && t.isEmpty()))
        throw ApiError.unsupported(f, "'" + f + "' is not supported: this server does not call tools.");
    }
    Integer bestOf = integer(body, "best_of", Long.MIN_VALUE, Long.MAX_VALUE);
    if (bestOf != null && bestOf > 1) throw ApiError.unsupported("best_of", "'best_of' must be 1: this server returns one choice per request.");
    if (present(body, "suffix") != null) throw ApiError.unsupported("suffix", "'suffix' is not supported.");
    if (present(body, "audio") != null) throw ApiError.unsupported("audio", "'audio' is not supported: this server generates text only.");
    if (present(body, "prediction") != null) throw ApiError.unsupported("prediction", "'prediction' is not supported.");
    JsonNode mod = present(body, "modalities");
    if (mod != null) {
      if (!mod.isArray()) throw ApiError.type("modalities", "an array", typeName(mod));
      for (JsonNode m : mod)
        if (!"text".equals(m.asText(null))) throw ApiError.unsupported("modalities", "Modality " + m + " is not supported: this server generates text only.");
    }
    if (!chat && bool(body, "echo", false)) throw ApiError.unsupported("echo", "'echo' must be false: this server does not echo the prompt.");
  }

  // ---- field readers: absent and null mean "not given" (as OpenAI) ----

  private static JsonNode present(JsonNode body, String f) {
    JsonNode n = body.get(f);
    return n == null || n.isNull() ? null : n;
  }

  private static JsonNode required(JsonNode body, String f) {
    JsonNode n = present(body, f);
    if (n == null) throw ApiError.missing(f);
    return n;
  }

  private static String string(JsonNode body, String f, boolean required) {
    JsonNode n = required ? required(body, f) : present(body, f);
    if (n == null) return null;
    if (!n.isTextual()) throw ApiError.type(f, "a string", typeName(n));
    return n.asText();
  }

  private static boolean bool(JsonNode body, String f, boolean dflt) {
    return bool(body, f, f, dflt);
  }

  private static boolean bool(JsonNode body, String f, String param, boolean dflt) {
    JsonNode n = present(body, f);
    if (n == null) return dflt;
    if (!n.isBoolean()) throw ApiError.type(param, "a boolean", typeName(n));
    return n.asBoolean();
  }

  private static Integer integer(JsonNode body, String f, long min, long max) {
    JsonNode n = present(body, f);
    if (n == null) return null;
    if (!n.isIntegralNumber()) throw ApiError.type(f, "an integer", typeName(n));
    if (!n.canConvertToLong() || n.asLong() < min)
      throw ApiError.invalid("invalid_value", f, n + " is less than the minimum of " + min + " - '" + f + "'");
    if (n.asLong() > max) throw ApiError.invalid("invalid_value", f, n + " is greater than the maximum of " + max + " - '" + f + "'");
    return (int) Math.min(n.asLong(), Integer.MAX_VALUE);
  }

  private static double number(JsonNode body, String f, double min, double max, boolean minExclusive, double dflt) {
    JsonNode n = present(body, f);
    if (n == null) return dflt;
    if (!n.isNumber()) throw ApiError.type(f, "a number", typeName(n));
    double v = n.asDouble();
    if (Double.isNaN(v) || v < min || (minExclusive && v == min))
      throw ApiError.invalid("invalid_value", f, format(v) + " is less than " + (minExclusive ? "or equal to " : "") + "the minimum of " + format(min) + " - '" + f + "'");
    if (v > max) throw ApiError.invalid("invalid_value", f, format(v) + " is greater than the maximum of " + format(max) + " - '" + f + "'");
    return v;
  }

  static String format(double v) {
    if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  static String typeName(JsonNode n) {
    if (n == null || n.isMissingNode() || n.isNull()) return "null";
    if (n.isTextual()) return "a string";
    if (n.isIntegralNumber()) return "an integer";
    if (n.isNumber()) return "a number";
    if (n.isBoolean()) return "a boolean";
    if (n.isArray()) return "an array";
    return "an object";
  }

  private static String article(JsonNode n) {
    return typeName(n);
  }
}
