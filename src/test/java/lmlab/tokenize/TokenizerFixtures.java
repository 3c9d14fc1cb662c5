package lmlab.tokenize;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared tokenizer fixtures (../shared/fixtures/tokenizers, large real files read in place)
 * and the small ones copied to src/test/resources/tokenizers. Tests that need an absent file are
 * skipped with a printed reason.
 */
final class TokenizerFixtures {
  static final Path SHARED = Path.of("..", "shared", "fixtures", "tokenizers");
  static final Path RESOURCES = Path.of("src", "test", "resources", "tokenizers");
  static final Path SHAKESPEARE = Path.of("..", "shared", "data", "tinyshakespeare.txt");
  static final ObjectMapper JSON = new ObjectMapper();

  private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

  private TokenizerFixtures() {}

  /** Skips the calling test (with a printed reason) unless path exists. */
  static Path require(Path path) {
    if (!Files.exists(path)) {
      String reason = "skipped: " + path.toAbsolutePath().normalize() + " is absent";
      System.out.println(reason);
      assumeTrue(false, reason);
    }
    return path;
  }

  /** The gpt2 or qwen3 tokenizer of the shared fixtures, loaded once per JVM. */
  static Tokenizer shared(String name) {
    Path dir = require(SHARED.resolve(name));
    return LOADED.computeIfAbsent(name, n -> TokenizerFiles.load(dir));
  }

  static List<JsonNode> jsonLines(Path file) {
    try {
      return Files.readAllLines(require(file)).stream().filter(l -> !l.isBlank()).map(TokenizerFixtures::parse).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
    return out;
  }

  /** decode through the streaming decoder, one id at a time. */
  static String streamed(Tokenizer t, int[] ids, boolean skipSpecial) {
    StreamingDecoder d = t.streamingDecoder(skipSpecial);
    StringBuilder out = new StringBuilder();
    for (int id : ids) out.append(d.next(id));
    return out.append(d.finish()).toString();
  }
}
