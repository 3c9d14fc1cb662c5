package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reads of a Hugging Face config.json with errors that name the field, for the families
 * without an lmlab dialect of their own (mamba2, gla). {@link #ignored} lists the keys a family
 * carries that change nothing here; {@link #checkKeys} rejects every other key the reader did not
 * read.
 */
final class HfFields {
  final JsonNode json;
  final String type;
  private final Set<String> read = new TreeSet<>();

  HfFields(JsonNode json, String type) {
    this.json = json;
    this.type = type;
  }

  private JsonNode find(String... keys) {
    for (String k : keys) read.add(k);
    for (String k : keys) {
      JsonNode v = json.get(k);
      if (v != null && !v.isNull()) return v;
    }
    return null;
  }

  int positive(String... keys) {
    JsonNode v = find(keys);
    if (v == null) {
      throw new IllegalArgumentException("config: missing field '" + keys[0] + "'"
          + (keys.length > 1 ? " (or '" + String.join("', '", List.of(keys).subList(1, keys.length)) + "')" : "")
          + ", needed for model_type " + type);
    }
    return check(keys[0], v);
  }

  Integer optionalPositive(String key) {
    JsonNode v = find(key);
    return v == null ? null : check(key, v);
  }

  int positiveOr(String key, int fallback) {
    Integer v = optionalPositive(key);
    return v != null ? v : fallback;
  }

  private static int check(String key, JsonNode v) {
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
      throw new IllegalArgumentException("config: field '" + key + "' must be a positive integer, got " + v);
    }
    return v.intValue();
  }

  double number(String key, double fallback) {
    JsonNode v = find(key);
    if (v == null) return fallback;
    if (!v.isNumber() || v.doubleValue() <= 0) {
      throw new IllegalArgumentException("config: field '" + key + "' must be a positive number, got " + v);
    }
    return v.doubleValue();
  }

  boolean bool(String key, boolean fallback) {
    JsonNode v = find(key);
    if (v == null) return fallback;
    if (!v.isBoolean()) throw new IllegalArgumentException("config: field '" + key + "' must be true or false, got " + v);
    return v.booleanValue();
  }

  String optionalText(String key, String fallback) {
    JsonNode v = find(key);
    if (v == null) return fallback;
    if (!v.isTextual()) throw new IllegalArgumentException("config: field '" + key + "' must be a string, got " + v);
    return v.asText();
  }

  /** The raw value of a key (marked as read), or null when absent or null. */
  JsonNode raw(String key) {
    return find(key);
  }

  void divides(String divisorKey, int divisor, String key, int value) {
    if (value % divisor != 0) {
      throw new IllegalArgumentException("config: contradictory fields: " + divisorKey + " = " + divisor
          + " does not divide " + key + " = " + value);
    }
  }

  /**
   * Every key that is neither read nor in ignored is an error naming it; returns the ignored keys
   * present (sorted), to list.
   */
  List<String> checkKeys(Set<String> ignored) {
    List<String> present = new ArrayList<>();
    for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (read.contains(k) || k.equals("model_type")) continue;
      if (ignored.contains(k)) {
        present.add(k);
        continue;
      }
      throw new IllegalArgumentException("config: key '" + k + "' is not supported for model_type " + type
          + " (it would change the model; lmlab reads " + String.join(", ", read) + " and ignores "
          + String.join(", ", new TreeSet<>(ignored)) + ")");
    }
    present.sort(null);
    return present;
  }
}
