package lmlab.prompting;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses a model's reply to a group of P questions as prompting.md prescribes: the first fenced
 * block if any, JSON from the first brace or bracket, else YAML; strict validation against the
 * answer schema, then lenient normalisation (course field names, a bare list, one answer object),
 * matching by question id or position, and the numeric reading of each final answer.
 */
public final class ReplyParser {
  private static final Pattern FENCE =
      Pattern.compile("```(?:[jJ][sS][oO][nN]|[yY][aA][mM][lL]|[yY][mM][lL])?\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern STRING_NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
  private static final Set<String> DIFFICULTIES = Set.of("easy", "medium", "hard");
  private static final Set<String> ANSWER_KEYS = Set.of("question_id", "reasoning_process", "final_answer", "difficulty");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
  private static final ObjectMapper YAML =
      YAMLMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

  public static final String NO_VALUE = "no JSON or YAML value found";

  private ReplyParser() {}

  public static ParsedReply parse(String reply, int perPrompt) {
    String text = reply;
    boolean fenced = false;
    Matcher f = FENCE.matcher(reply);
    if (f.find()) {
      text = f.group(1);
      fenced = true;
    }
    text = text.strip();

    JsonNode value = null;
    String format = "none";
    boolean trailing = false;
    int start = firstOpening(text);
    if (start >= 0) {
      try (JsonParser p = JSON.createParser(text.substring(start))) {
        JsonNode v = JSON.readTree(p);
        if (v != null) {
          int end = start + (int) p.currentLocation().getCharOffset();
          value = v;
          format = "json";
          trailing = start > 0 || !text.substring(Math.min(end, text.length())).isBlank();
        }
      } catch (java.io.IOException | RuntimeException e) {
        value = null;
      }
    }
    if (value == null) {
      try {
        JsonNode v = YAML.readTree(text);
        if (v != null && (v.isObject() || v.isArray())) {
          value = v;
          format = "yaml";
        }
      } catch (java.io.IOException | RuntimeException e) {
        value = null;
      }
    }
    if (value == null)
      return new ParsedReply("none", fenced, false, false, List.of(NO_VALUE), false, List.of(NO_VALUE), List.of());

    JsonNode schema = AnswerSchema.schema(perPrompt);
    List<String> strictErrors = new ArrayList<>();
    if (fenced) strictErrors.add("reply is inside a code fence");
    if (trailing) strictErrors.add("reply has text before or after the JSON value");
    if (format.equals("yaml")) strictErrors.add("reply is not JSON");
    strictErrors.addAll(SchemaValidator.validate(schema, value));
    if (value.isObject() && value.path("answers").isArray() && !idsUsable(value.get("answers"), perPrompt))
      strictErrors.add(idRule(perPrompt));

    List<String> errors = new ArrayList<>();
    JsonNode answers = lenientAnswers(normaliseKeys(value), errors);
    List<ParsedReply.QuestionAnswer> matched = new ArrayList<>();
    if (answers != null) {
      ObjectNode doc = JsonNodeFactory.instance.objectNode();
      doc.set("answers", answers);
      errors.addAll(SchemaValidator.validate(schema, doc));
      JsonNode[] byQuestion = new JsonNode[perPrompt];
      if (idsUsable(answers, perPrompt)) {
        for (JsonNode a : answers) byQuestion[a.get("question_id").asInt() - 1] = a;
      } else {
        errors.add(idRule(perPrompt));
        if (answers.size() == perPrompt) {
          errors.add("question_id values unusable; answers matched by position");
          for (int q = 0; q < perPrompt; q++) byQuestion[q] = answers.get(q);
        } else {
          errors.add("question_id values unusable and " + answers.size() + " entries for " + perPrompt
              + " questions; no answer matched");
        }
      }
      for (int q = 0; q < perPrompt; q++) matched.add(readAnswer(q + 1, byQuestion[q]));
    }
    boolean usable = matched.stream().anyMatch(a -> a.answer() != null);
    return new ParsedReply(
        format, fenced, trailing, strictErrors.isEmpty(), List.copyOf(strictErrors), usable, List.copyOf(errors),
        List.copyOf(matched));
  }

  private static String idRule(int perPrompt) {
    return "/answers: question_id values must be 1.." + perPrompt + ", each once";
  }

  private static int firstOpening(String s) {
    int a = s.indexOf('{');
    int b = s.indexOf('[');
    return a < 0 ? b : b < 0 ? a : Math.min(a, b);
  }

  /** Every entry an object with an integer question_id in 1 … P, none repeated. */
  static boolean idsUsable(JsonNode answers, int perPrompt) {
    Set<Integer> seen = new HashSet<>();
    for (JsonNode a : answers) {
      JsonNode id = a.path("question_id");
      if (!SchemaValidator.isInteger(id)) return false;
      java.math.BigDecimal d = id.decimalValue();
      if (d.compareTo(java.math.BigDecimal.ONE) < 0 || d.compareTo(java.math.BigDecimal.valueOf(perPrompt)) > 0) return false;
      if (!seen.add(d.intValue())) return false;
    }
    return true;
  }

  /** Keys lower-cased, spaces and hyphens turned into '_', difficulty_classification read as difficulty. */
  static JsonNode normaliseKeys(JsonNode v) {
    if (v.isObject()) {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String k = e.getKey().strip().toLowerCase(Locale.ROOT).replace(' ', '_').replace('-', '_');
        if (k.equals("difficulty_classification")) k = "difficulty";
        o.set(k, normaliseKeys(e.getValue()));
      }
      return o;
    }
    if (v.isArray()) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      for (JsonNode x : v) a.add(normaliseKeys(x));
      return a;
    }
    return v;
  }

  /** A top-level list, an object with 'answers', or one answer object; null (with an error) otherwise. */
  private static JsonNode lenientAnswers(JsonNode v, List<String> errors) {
    if (v.isArray()) return v;
    if (v.isObject() && v.has("answers")) {
      if (v.get("answers").isArray()) return v.get("answers");
      errors.add("/answers: expected array");
      return null;
    }
    if (v.isObject()) {
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); )
        if (ANSWER_KEYS.contains(it.next())) return JsonNodeFactory.instance.arrayNode().add(v);
    }
    errors.add("/: expected an object with 'answers', a list of answers or one answer object");
    return null;
  }

  private static ParsedReply.QuestionAnswer readAnswer(int q, JsonNode a) {
    if (a == null || !a.isObject()) return new ParsedReply.QuestionAnswer(q, null, null, null, 0, "no answer");
    JsonNode d = a.get("difficulty");
    String difficulty = d != null && d.isTextual() && DIFFICULTIES.contains(d.asText()) ? d.asText() : null;
    JsonNode r = a.get("reasoning_process");
    int steps = r == null ? 0 : r.isArray() ? r.size() : r.isTextual() ? 1 : 0;
    JsonNode fa = a.get("final_answer");
    String answer = null;
    String flexible = null;
    String note = null;
    if (fa == null || fa.isNull()) {
      note = "no final_answer";
    } else if (fa.isNumber()) {
      answer = Extraction.canonical(fa.decimalValue());
      flexible = answer;
    } else if (fa.isTextual()) {
      String s = fa.asText().strip().replace(",", "").replace("$", "");
      if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
      if (STRING_NUMBER.matcher(s).matches()) {
        answer = Extraction.decimal(s);
        flexible = answer;
        note = "final_answer was a string";
      } else {
        flexible = Extraction.flexibleAnswer(fa.asText());
        note = "final_answer not numeric";
      }
    } else {
      note = "final_answer not numeric";
    }
    return new ParsedReply.QuestionAnswer(q, answer, flexible, difficulty, steps, note);
  }
}
