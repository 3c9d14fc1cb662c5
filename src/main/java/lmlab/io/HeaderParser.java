package lmlab.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses and validates a safetensors JSON header against the size of the data section that
 * follows it, so that every entry it returns can be read without further checks.
 */
final class HeaderParser {
  static final String METADATA = "__metadata__";

  // Duplicate keys would make "which tensor is meant" ambiguous, so they are an error.
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  record Header(Map<String, String> metadata, Map<String, TensorEntry> entries) {}

  private final String source;

  private HeaderParser(String source) {
    this.source = source;
  }

  /** The validated header; dataLength is the number of bytes after the header. */
  static Header parse(String source, byte[] headerBytes, long dataLength) throws SafetensorsException {
    return new HeaderParser(source).parse(headerBytes, dataLength);
  }

  private Header parse(byte[] headerBytes, long dataLength) throws SafetensorsException {
    JsonNode root = json(headerBytes);
    Map<String, String> metadata = new TreeMap<>();
    Map<String, TensorEntry> entries = new TreeMap<>();
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (field.getKey().equals(METADATA)) {
        metadata = metadata(field.getValue());
      } else {
        entries.put(field.getKey(), entry(field.getKey(), field.getValue(), dataLength));
      }
    }
    checkNoOverlap(entries.values());
    return new Header(metadata, entries);
  }

  private JsonNode json(byte[] headerBytes) throws SafetensorsException {
    String text;
    try {
      // Decode strictly first: a lenient decoder would turn bad bytes into U+FFFD silently.
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(headerBytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw fail("header is not valid UTF-8 (" + e + "); expected UTF-8 JSON");
    }
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (Exception e) {
      throw fail("header is not valid JSON: " + oneLine(e.getMessage()) + "; expected a JSON object");
    }
    if (root == null || !root.isObject()) {
      String kind = root == null || root.isMissingNode() ? "empty" : root.getNodeType().toString().toLowerCase();
      throw fail("header is " + kind + " JSON; expected a JSON object of tensor entries");
    }
    return root;
  }

  private Map<String, String> metadata(JsonNode node) throws SafetensorsException {
    if (!node.isObject()) {
      throw fail("__metadata__ is " + describe(node) + "; expected an object of string -> string");
    }
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      if (!e.getValue().isTextual()) {
        throw fail("__metadata__ value of \"" + e.getKey() + "\" is " + describe(e.getValue())
            + "; expected a string (metadata is string -> string)");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  private TensorEntry entry(String name, JsonNode node, long dataLength) throws SafetensorsException {
    String where = "tensor \"" + name + "\"";
    if (!node.isObject()) {
      throw fail(where + " is " + describe(node) + "; expected an object with dtype, shape, data_offsets");
    }
    JsonNode dtypeNode = required(node, "dtype", where);
    if (!dtypeNode.isTextual()) {
      throw fail(where + " has dtype " + describe(dtypeNode) + "; expected a string");
    }
    DType dtype = DType.parse(dtypeNode.textValue());
    if (dtype == null) {
      throw fail(where + " has unknown dtype \"" + dtypeNode.textValue() + "\"; supported: " + DType.supported());
    }
    int[] shape = shape(required(node, "shape", where), where);
    long[] offsets = offsets(required(node, "data_offsets", where), where);
    long begin = offsets[0];
    long end = offsets[1];
    if (end > dataLength) {
      throw fail(where + " ends at byte " + end + " but the data section holds only " + dataLength
          + " bytes; the file is truncated");
    }
    long expected = byteSize(shape, dtype);
    if (end - begin != expected) {
      throw fail(where + " has " + (end - begin) + " bytes (data_offsets [" + begin + ", " + end + "]) but "
          + dtype + " shape " + shapeStr(shape) + " needs "
          + (expected < 0 ? "more than 2^63" : expected + " (numel x " + dtype.size() + ")"));
    }
    return new TensorEntry(name, dtype, shape, begin, end);
  }

  private JsonNode required(JsonNode node, String key, String where) throws SafetensorsException {
    JsonNode v = node.get(key);
    if (v == null) throw fail(where + " has no \"" + key + "\"; expected dtype, shape and data_offsets");
    return v;
  }

  private int[] shape(JsonNode node, String where) throws SafetensorsException {
    if (!node.isArray()) throw fail(where + " has shape " + describe(node) + "; expected an array of sizes");
    int[] shape = new int[node.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode s = node.get(i);
      if (!s.isIntegralNumber()) {
        throw fail(where + " has shape entry " + s + "; expected non-negative integers");
      }
      if (!s.canConvertToLong() || s.longValue() < 0) {
        throw fail(where + " has negative size " + s + " in shape " + node + "; expected sizes >= 0");
      }
      if (s.longValue() > Integer.MAX_VALUE) {
        throw fail(where + " has size " + s + " in shape " + node + "; sizes above " + Integer.MAX_VALUE + " are not supported");
      }
      shape[i] = (int) s.longValue();
    }
    return shape;
  }

  /** numel * dtype size, or -1 when that overflows a long (a forged header). */
  private static long byteSize(int[] shape, DType dtype) {
    long n = dtype.size();
    for (int s : shape) if (s == 0) return 0;
    try {
      for (int s : shape) n = Math.multiplyExact(n, s);
    } catch (ArithmeticException e) {
      return -1;
    }
    return n;
  }

  private long[] offsets(JsonNode node, String where) throws SafetensorsException {
    if (!node.isArray() || node.size() != 2) {
      throw fail(where + " has data_offsets " + node + "; expected [begin, end]");
    }
    long[] out = new long[2];
    for (int i = 0; i < 2; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
        throw fail(where + " has data_offsets " + node + "; expected [begin, end] of non-negative integers");
      }
      out[i] = v.longValue();
    }
    if (out[0] > out[1]) {
      throw fail(where + " has data_offsets " + node + " with begin > end; expected [begin, end] with begin <= end");
    }
    return out;
  }

  private void checkNoOverlap(Iterable<TensorEntry> entries) throws SafetensorsException {
    List<TensorEntry> sorted = new ArrayList<>();
    for (TensorEntry e : entries) if (e.end() > e.begin()) sorted.add(e); // empty ranges overlap nothing
    sorted.sort(Comparator.comparingLong(TensorEntry::begin));
    for (int i = 1; i < sorted.size(); i++) {
      TensorEntry a = sorted.get(i - 1);
      TensorEntry b = sorted.get(i);
      if (b.begin() < a.end()) {
        throw fail("tensors \"" + a.name() + "\" [" + a.begin() + ", " + a.end() + "] and \"" + b.name() + "\" ["
            + b.begin() + ", " + b.end() + "] overlap; expected disjoint data_offsets");
      }
    }
  }

  private static String describe(JsonNode node) {
    String kind = node.getNodeType().toString().toLowerCase();
    String text = node.toString();
    return kind + " " + (text.length() > 60 ? text.substring(0, 60) + "..." : text);
  }

  static String shapeStr(int[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) b.append(i > 0 ? ", " : "").append(shape[i]);
    return b.append(']').toString();
  }

  private static String oneLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private SafetensorsException fail(String what) {
    return new SafetensorsException(source + ": " + what);
  }
}
