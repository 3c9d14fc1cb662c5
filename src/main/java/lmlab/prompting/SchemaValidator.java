package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Validates a JSON value against the JSON-Schema subset of serving.md (type, properties,
 * required, additionalProperties false, items, minItems, maxItems, enum) and lists every error as
 * a JSON pointer with what was expected ({@code /answers/1/final_answer: expected number}).
 * Independent of the constrained decoder's automaton, so each can check the other.
 */
public final class SchemaValidator {
  private SchemaValidator() {}

  public static List<String> validate(JsonNode schema, JsonNode value) {
    List<String> errors = new ArrayList<>();
    check(schema, value, "", errors);
    return errors;
  }

  private static void check(JsonNode schema, JsonNode v, String path, List<String> errors) {
    String at = path.isEmpty() ? "/" : path;
    JsonNode type = schema.get("type");
    if (type != null) {
      boolean ok = false;
      List<String> names = new ArrayList<>();
      if (type.isArray()) for (JsonNode t : type) names.add(t.asText());
      else names.add(type.asText());
      for (String t : names) ok |= hasType(v, t);
      if (!ok) {
        errors.add(at + ": expected " + String.join(" or ", names));
        return;
      }
    }
    JsonNode en = schema.get("enum");
    if (en != null) {
      boolean found = false;
      for (JsonNode e : en) found |= sameValue(e, v);
      if (!found) {
        List<String> vals = new ArrayList<>();
        for (JsonNode e : en) vals.add(e.isTextual() ? e.asText() : e.toString());
        errors.add(at + ": expected one of " + String.join(", ", vals));
        return;
      }
    }
    if (v.isObject()) {
      JsonNode props = schema.path("properties");
      for (JsonNode r : schema.path("required"))
        if (!v.has(r.asText())) errors.add(at + ": missing key '" + r.asText() + "'");
      for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (props.has(k)) check(props.get(k), v.get(k), path + "/" + escape(k), errors);
        else if (!schema.path("additionalProperties").asBoolean(false))
          errors.add(at + ": unexpected key '" + k + "'");
      }
    } else if (v.isArray()) {
      int n = v.size();
      int min = schema.path("minItems").asInt(0);
      int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : Integer.MAX_VALUE;
      if (n < min || n > max) {
        String want = min == max ? "" + min : n < min ? "at least " + min : "at most " + max;
        errors.add(at + ": expected " + want + " items, got " + n);
      }
      JsonNode items = schema.get("items");
      if (items != null) for (int i = 0; i < n; i++) check(items, v.get(i), path + "/" + i, errors);
    }
  }

  /** JSON Pointer escaping (RFC 6901). */
  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  static boolean hasType(JsonNode v, String type) {
    return switch (type) {
      case "object" -> v.isObject();
      case "array" -> v.isArray();
      case "string" -> v.isTextual();
      case "number" -> v.isNumber();
      case "integer" -> isInteger(v);
      case "boolean" -> v.isBoolean();
      case "null" -> v.isNull();
      default -> false;
    };
  }

  /** An integer in JSON Schema's sense: a number with no fractional part (1.0 counts). */
  static boolean isInteger(JsonNode v) {
    if (v.isIntegralNumber()) return true;
    if (!v.isNumber()) return false;
    BigDecimal d = v.decimalValue();
    return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
  }

  static boolean sameValue(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
    return a.equals(b);
  }
}
