package lmlab.tokenize;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading the JSON files of a tokenizer directory, with errors that name the file and position. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private Json() {}

  static JsonNode read(Path file) {
    String name = file.getFileName().toString();
    try {
      return MAPPER.readTree(Files.newInputStream(file));
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at != null ? " at line " + at.getLineNr() + ", column " + at.getColumnNr() : "";
      throw new TokenizerException(file + ": not valid JSON" + where + ": " + e.getOriginalMessage().lines().findFirst()
          .orElse(""));
    } catch (IOException e) {
      throw new TokenizerException(name + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** A string field, or the "content" of an AddedToken object (bos_token may be either), or null. */
  static String tokenString(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (node.isTextual()) return node.asText();
    if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
    return null;
  }

  static String describe(JsonNode node) {
    return node == null ? "absent" : node.toString();
  }
}
