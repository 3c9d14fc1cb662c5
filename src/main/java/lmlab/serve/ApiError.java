package lmlab.serve;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of serving.md's error table: HTTP status, OpenAI {@code type}, {@code code}, {@code
 * param} and a message naming the field, the value and what was expected. Thrown anywhere while
 * a request is validated or served and turned into the JSON error body by the handler.
 */
public final class ApiError extends RuntimeException {
  public final int status;
  public final String type;
  public final String code;
  public final String param;
  public final Map<String, String> headers = new LinkedHashMap<>();

  public ApiError(int status, String type, String code, String param, String message) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }

  public ApiError header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  static ApiError invalid(String code, String param, String message) {
    return new ApiError(400, "invalid_request_error", code, param, message);
  }

  static ApiError missing(String field) {
    return invalid("missing_parameter", field, "Missing required parameter: '" + field + "'.");
  }

  static ApiError type(String field, String expected, String got) {
    return invalid("invalid_type", field, "Invalid type for '" + field + "': expected " + expected + ", got " + got + ".");
  }

  static ApiError unsupported(String field, String message) {
    return invalid("unsupported_parameter", field, message);
  }

  static ApiError serverError(String code, String message) {
    return new ApiError(503, "server_error", code, null, message);
  }

  /** {@code {"error": {"message", "type", "param", "code"}}}. */
  public ObjectNode body() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode e = root.putObject("error");
    e.put("message", getMessage()).put("type", type).put("param", param).put("code", code);
    return root;
  }
}
