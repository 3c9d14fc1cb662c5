package lmlab.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model directory's {@code generation_config.json}: the decoding defaults its authors ship
 * (transformers' {@code GenerationConfig}), honoured by {@code lmlab generate} and {@code lmlab chat}
 * where no flag overrides them. Qwen2.5-Instruct ships {@code do_sample} true, temperature 0.7,
 * top_p 0.8, top_k 20, repetition_penalty 1.05 and two eos ids; GPT-2 only its eos id (so greedy, as
 * transformers' default {@code do_sample} false). Absent keys are null; an absent file is
 * {@link #NONE}. End-of-sequence ids are read by {@link lmlab.tokenize.StopTokens}.
 *
 * @param doSample sample (true) or pick the most likely token (false); null when not given
 * @param temperature softmax temperature, > 0
 * @param topK keep the k most likely tokens (0: all)
 * @param topP keep the smallest set of tokens whose probability reaches p, in (0, 1]
 * @param minP keep tokens with probability at least min_p times the largest, in [0, 1]
 * @param repetitionPenalty CTRL's penalty on tokens already present, > 0 (1: none)
 * @param maxNewTokens how many tokens to generate at most
 */
public record GenerationConfig(Boolean doSample, Double temperature, Integer topK, Double topP, Double minP,
    Double repetitionPenalty, Integer maxNewTokens) {
  public static final String FILE = "generation_config.json";
  public static final GenerationConfig NONE = new GenerationConfig(null, null, null, null, null, null, null);

  private static final ObjectMapper JSON = new ObjectMapper();

  /** dir/generation_config.json, or {@link #NONE} when the file is absent. Errors name the file and the key. */
  public static GenerationConfig read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) return NONE;
    JsonNode j;
    try {
      j = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    if (j == null || !j.isObject()) throw new IOException(file + ": expected a JSON object");
    try {
      return new GenerationConfig(bool(j, "do_sample"), positive(j, "temperature"), topK(j), unit(j, "top_p", false),
          unit(j, "min_p", true), positive(j, "repetition_penalty"), maxNewTokens(j));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** The keys given, for a one-line note ("do_sample=true temperature=0.7 ..."). */
  public String describe() {
    List<String> s = new ArrayList<>();
    if (doSample != null) s.add("do_sample=" + doSample);
    if (temperature != null) s.add("temperature=" + temperature);
    if (topK != null) s.add("top_k=" + topK);
    if (topP != null) s.add("top_p=" + topP);
    if (minP != null) s.add("min_p=" + minP);
    if (repetitionPenalty != null) s.add("repetition_penalty=" + repetitionPenalty);
    if (maxNewTokens != null) s.add("max_new_tokens=" + maxNewTokens);
    return String.join(" ", s);
  }

  private static JsonNode value(JsonNode j, String key) {
    JsonNode v = j.get(key);
    return v == null || v.isNull() ? null : v;
  }

  private static Boolean bool(JsonNode j, String key) {
    JsonNode v = value(j, key);
    if (v == null) return null;
    if (!v.isBoolean()) throw new IllegalArgumentException(key + " is " + v + "; expected true or false");
    return v.asBoolean();
  }

  private static Double number(JsonNode j, String key) {
    JsonNode v = value(j, key);
    if (v == null) return null;
    if (!v.isNumber()) throw new IllegalArgumentException(key + " is " + v + "; expected a number");
    return v.asDouble();
  }

  private static Double positive(JsonNode j, String key) {
    Double d = number(j, key);
    if (d != null && !(d > 0)) throw new IllegalArgumentException(key + " is " + d + "; expected a number > 0");
    return d;
  }

  private static Double unit(JsonNode j, String key, boolean zeroAllowed) {
    Double d = number(j, key);
    if (d != null && !(d <= 1 && (zeroAllowed ? d >= 0 : d > 0))) {
      throw new IllegalArgumentException(key + " is " + d + "; expected a number in " + (zeroAllowed ? "[0, 1]" : "(0, 1]"));
    }
    return d;
  }

  private static Integer topK(JsonNode j) {
    JsonNode v = value(j, "top_k");
    if (v == null) return null;
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
      throw new IllegalArgumentException("top_k is " + v + "; expected an integer >= 0");
    }
    return v.asInt();
  }

  private static Integer maxNewTokens(JsonNode j) {
    JsonNode v = value(j, "max_new_tokens");
    if (v == null) return null;
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
      throw new IllegalArgumentException("max_new_tokens is " + v + "; expected an integer >= 1");
    }
    return v.asInt();
  }
}
