package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Run ids of a sweep (experiments.md): a {@code run_name} pattern with {@code {key}} placeholders,
 * or by default Hydra's override_dirname ({@code key=value} per grid key in file order, then
 * {@code seed=<s>}, joined by ","). Values: integers as is; floats as the shortest decimal that
 * reads back to the same double, in exponent form below 1e-4 ({@code 1e-05}, as Python's repr);
 * lists joined by "+"; every character other than letters, digits and {@code . _ + -}
 * percent-encoded.
 */
public final class RunIds {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]+)}");

  private RunIds() {}

  /** The id of one run: pattern (null: the default) filled from settings; gridKeys in file order. */
  public static String id(String pattern, List<String> gridKeys, Map<String, JsonNode> point, long seed) {
    return id(pattern, gridKeys, point, seed, Map.of());
  }

  /**
   * As above; a placeholder that is not a grid key may name a setting of the run as the sweep
   * resolved it (base and scale), e.g. {@code {stages}} in the text experiments' ids (text.md:
   * {@code <position>-kv<n_kv>-S<block sizes>}, where the block sizes are base settings that the
   * scale changes).
   */
  public static String id(String pattern, List<String> gridKeys, Map<String, JsonNode> point, long seed,
      Map<String, JsonNode> settings) {
    if (pattern == null) {
      List<String> parts = new ArrayList<>();
      for (String k : gridKeys) parts.add(encode(k) + "=" + value(point.get(k)));
      parts.add("seed=" + seed);
      return String.join(",", parts);
    }
    Matcher m = PLACEHOLDER.matcher(pattern);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String key = m.group(1);
      String v;
      if (key.equals("seed")) v = Long.toString(seed);
      else if (point.containsKey(key)) v = value(point.get(key));
      else if (settings.containsKey(key)) v = value(settings.get(key));
      else throw new IllegalArgumentException("run_name '" + pattern + "': {" + key + "} is neither a grid key, a setting nor seed");
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** One value as it appears in a run id. */
  public static String value(JsonNode v) {
    if (v == null || v.isNull()) return "null";
    if (v.isIntegralNumber()) return v.asText();
    if (v.isNumber()) return encode(shortest(v.asDouble()));
    if (v.isObject() && v.has("block_size")) return value(v.get("block_size")); // a stage (text.md): its block size
    if (v.isArray()) {
      List<String> parts = new ArrayList<>();
      v.forEach(x -> parts.add(value(x)));
      return String.join("+", parts);
    }
    return encode(v.asText());
  }

  /** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
  public static String shortest(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros(); // Java's shortest digits
    String digits = b.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - b.scale(); // d = 0.digits... × 10^(exp+1)
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 16) {
      String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mant + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }
    String plain = b.abs().toPlainString();
    if (!plain.contains(".")) plain = plain + ".0";
    return sign + plain;
  }

  /** Percent-encodes every byte other than letters, digits and . _ + -. */
  public static String encode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == '+' || c == '-') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }
}
