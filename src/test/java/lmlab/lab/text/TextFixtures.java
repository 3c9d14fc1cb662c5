package lmlab.lab.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Small texts and tiny chargpt-shaped settings for the text task's tests. */
public final class TextFixtures {
  public static final Path SHAKESPEARE = Path.of("../shared/data/tinyshakespeare.txt");
  static final ObjectMapper JSON = new ObjectMapper();

  private TextFixtures() {}

  /** A deterministic text of n characters from a few words (no shared data needed). */
  public static Path text(Path dir, int n) throws IOException {
    String[] words = {"O God, ", "my lord", "! ", "the king", "\n", "What? ", "speak, ", "Romeo", "; ", "and ", "thee "};
    StringBuilder sb = new StringBuilder();
    long x = 12345;
    while (sb.length() < n) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      sb.append(words[(int) ((x >>> 33) % words.length)]);
    }
    Path f = dir.resolve("text.txt");
    Files.writeString(f, sb.substring(0, n));
    return f;
  }

  /** Settings of a tiny run: chargpt with 1 layer, d 32, 2 heads, block 16, batch 4. */
  public static Map<String, JsonNode> tiny(Path data, Path runsDir, String name) {
    Map<String, JsonNode> s = new LinkedHashMap<>();
    s.put("task", JSON.getNodeFactory().textNode("text"));
    s.put("data", JSON.getNodeFactory().textNode(data.toString()));
    s.put("set", JSON.createObjectNode().put("num_hidden_layers", 1).put("hidden_size", 32).put("num_attention_heads", 2));
    s.put("block_size", JSON.getNodeFactory().numberNode(16));
    s.put("batch_size", JSON.getNodeFactory().numberNode(4));
    s.put("eval_windows", JSON.getNodeFactory().numberNode(4));
    s.put("sample_chars", JSON.getNodeFactory().numberNode(20));
    s.put("runs_dir", JSON.getNodeFactory().textNode(runsDir.toString()));
    s.put("run_name", JSON.getNodeFactory().textNode(name));
    return s;
  }

  public static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
