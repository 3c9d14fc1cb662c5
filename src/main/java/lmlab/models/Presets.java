package lmlab.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The preset configurations: JSON resources {@code lmlab/presets/NAME.json} on the class path,
 * each a config.json (its {@code _comment} says where the sizes come from and is dropped on
 * reading).
 */
final class Presets {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Presets() {}

  /** The preset's JSON object; a missing resource is a build error (every listed preset ships). */
  static ObjectNode load(String name) {
    String path = "/lmlab/presets/" + name + ".json";
    try (InputStream in = Presets.class.getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("preset resource " + path + " is missing from the build");
      JsonNode n = JSON.readTree(in);
      ObjectNode o = (ObjectNode) n;
      o.remove("_comment");
      return o;
    } catch (IOException e) {
      throw new UncheckedIOException("preset resource " + path + ": " + e.getMessage(), e);
    }
  }
}
