package lmlab.decode.structured;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON-Schema subset that constrained decoding enforces (serving.md, Structured output),
 * compiled from a schema document into a tree of {@link Node}s. Anything outside the subset is
 * refused with the keyword and its JSON pointer, so an accepted schema is always enforced in full
 * (llama.cpp skips unknown keywords silently; lmlab does not).
 */
public final class JsonSchemaSubset {
  /** A schema outside the subset, or an unsatisfiable one. */
  public static final class UnsupportedSchemaException extends IllegalArgumentException {
    public UnsupportedSchemaException(String message) {
      super(message);
    }
  }

  public enum Type { OBJECT, ARRAY, STRING, INTEGER, NUMBER, BOOLEAN, NULL }

  /**
   * One schema: the allowed types, or an enum of canonical JSON texts; for objects the properties
   * in order and which are required; for arrays the item schema and bounds.
   */
  public record Node(
      Set<Type> types,
      List<String> enumTexts,
      LinkedHashMap<String, Node> properties,
      Set<String> required,
      Node items,
      int minItems,
      int maxItems) {

    public boolean isEnum() {
      return enumTexts != null;
    }

    /** The json_object mode's "any JSON value": objects with any keys, arrays of anything. */
    public boolean isAny() {
      return this == ANY || this == ANY_OBJECT;
    }

    // Identity, not the record's deep comparison: automaton states hold nodes and are hashed per step.
    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /** Any JSON value (json_object mode wraps it in an object at the top). */
  public static final Node ANY = new Node(EnumSet.allOf(Type.class), null, new LinkedHashMap<>(), Set.of(), null, 0, Integer.MAX_VALUE);

  /** json_object: any JSON object. */
  public static final Node ANY_OBJECT = new Node(EnumSet.of(Type.OBJECT), null, new LinkedHashMap<>(), Set.of(), null, 0, Integer.MAX_VALUE);

  private static final Set<String> IGNORED = Set.of("title", "description", "$schema", "default", "strict");
  private static final Set<String> KNOWN = Set.of("type", "properties", "required", "additionalProperties", "items",
      "minItems", "maxItems", "enum");

  private JsonSchemaSubset() {}

  public static Node compile(JsonNode schema) {
    return compile(schema, "");
  }

  private static Node compile(JsonNode s, String at) {
    String where = at.isEmpty() ? "/" : at;
    if (!s.isObject()) throw new UnsupportedSchemaException("schema at " + where + " must be an object");
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KNOWN.contains(k) && !IGNORED.contains(k))
        throw new UnsupportedSchemaException("keyword '" + k + "' at " + where + " is not supported");
    }
    if (s.has("enum")) {
      JsonNode e = s.get("enum");
      if (!e.isArray()) throw new UnsupportedSchemaException("'enum' at " + where + " must be an array");
      if (e.isEmpty()) throw new UnsupportedSchemaException("'enum' at " + where + " is empty: no value can match");
      List<String> texts = new ArrayList<>();
      for (JsonNode v : e) {
        if (v.isObject() || v.isArray())
          throw new UnsupportedSchemaException("'enum' at " + where + " may hold strings, numbers, booleans and null only");
        String t = v.toString();
        if (!texts.contains(t)) texts.add(t);
      }
      if (texts.size() > 64) throw new UnsupportedSchemaException("'enum' at " + where + " has more than 64 values");
      for (String k : List.of("properties", "items", "minItems", "maxItems", "required"))
        if (s.has(k)) throw new UnsupportedSchemaException("keyword '" + k + "' at " + where + " is not supported beside 'enum'");
      if (s.has("type")) {
        Set<Type> types = types(s.get("type"), where);
        texts.removeIf(t -> !types.contains(typeOf(t)) && !(types.contains(Type.NUMBER) && typeOf(t) == Type.INTEGER));
        if (texts.isEmpty()) throw new UnsupportedSchemaException("'enum' at " + where + " has no value of the given 'type'");
      }
      return new Node(EnumSet.noneOf(Type.class), List.copyOf(texts), null, Set.of(), null, 0, Integer.MAX_VALUE);
    }
    if (!s.has("type")) throw new UnsupportedSchemaException("schema at " + where + " needs 'type' or 'enum'");
    Set<Type> types = types(s.get("type"), where);
    LinkedHashMap<String, Node> props = new LinkedHashMap<>();
    Set<String> required = new java.util.LinkedHashSet<>();
    if (s.has("additionalProperties")) {
      JsonNode ap = s.get("additionalProperties");
      if (!ap.isBoolean() || ap.asBoolean())
        throw new UnsupportedSchemaException("'additionalProperties' at " + where + " must be false (additional properties are never generated)");
    }
    if (s.has("properties")) {
      if (!s.get("properties").isObject()) throw new UnsupportedSchemaException("'properties' at " + where + " must be an object");
      if (s.get("properties").size() > 64) throw new UnsupportedSchemaException("'properties' at " + where + " has more than 64 keys");
      for (Iterator<Map.Entry<String, JsonNode>> it = s.get("properties").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        props.put(e.getKey(), compile(e.getValue(), at + "/properties/" + e.getKey().replace("~", "~0").replace("/", "~1")));
      }
    }
    if (s.has("required")) {
      if (!s.get("required").isArray()) throw new UnsupportedSchemaException("'required' at " + where + " must be an array");
      for (JsonNode r : s.get("required")) {
        if (!r.isTextual() || !props.containsKey(r.asText()))
          throw new UnsupportedSchemaException("'required' at " + where + " names " + r + ", which is not in 'properties'");
        required.add(r.asText());
      }
    }
    Node items = null;
    if (s.has("items")) items = compile(s.get("items"), at + "/items");
    int min = s.has("minItems") ? count(s.get("minItems"), "minItems", where) : 0;
    int max = s.has("maxItems") ? count(s.get("maxItems"), "maxItems", where) : Integer.MAX_VALUE;
    if (min > max) throw new UnsupportedSchemaException("'minItems' " + min + " > 'maxItems' " + max + " at " + where + ": no array can match");
    if (types.contains(Type.ARRAY) && items == null && min > 0)
      throw new UnsupportedSchemaException("'items' is needed at " + where + " when 'minItems' > 0");
    return new Node(types, null, props, required, items, min, max);
  }

  private static int count(JsonNode n, String k, String where) {
    if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0)
      throw new UnsupportedSchemaException("'" + k + "' at " + where + " must be a non-negative integer");
    return n.asInt();
  }

  private static Set<Type> types(JsonNode t, String where) {
    Set<Type> out = EnumSet.noneOf(Type.class);
    List<JsonNode> list = new ArrayList<>();
    if (t.isArray()) t.forEach(list::add);
    else list.add(t);
    for (JsonNode x : list) {
      try {
        out.add(Type.valueOf(x.asText().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new UnsupportedSchemaException("'type' " + x + " at " + where + " is not one of object, array, string, integer, number, boolean, null");
      }
      if (!x.isTextual()) throw new UnsupportedSchemaException("'type' at " + where + " must be a string or a list of strings");
    }
    if (out.isEmpty()) throw new UnsupportedSchemaException("'type' at " + where + " is empty");
    return out;
  }

  static Type typeOf(String jsonText) {
    char c = jsonText.charAt(0);
    if (c == '"') return Type.STRING;
    if (c == 't' || c == 'f') return Type.BOOLEAN;
    if (c == 'n') return Type.NULL;
    return jsonText.matches("-?\\d+") ? Type.INTEGER : Type.NUMBER;
  }
}
