package lmlab.decode.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * GPT-2's vocabulary as byte strings, read straight from vocab.json: each token string is in
 * GPT-2's byte-to-unicode alphabet (Radford et al. 2019, encoder.py bytes_to_unicode), which is
 * inverted here. Test-only; lmlab.tokenize owns real tokenizers.
 */
final class Gpt2Vocab {
  static final Path FILE = Path.of("../shared/fixtures/tokenizers/gpt2/vocab.json");
  static final int END_OF_TEXT = 50256;

  private Gpt2Vocab() {}

  static byte[][] load() throws IOException {
    int[] unicodeToByte = new int[0x200];
    java.util.Arrays.fill(unicodeToByte, -1);
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      if (printable) unicodeToByte[b] = b;
      else unicodeToByte[256 + n++] = b;
    }
    JsonNode vocab = new ObjectMapper().readTree(Files.readString(FILE));
    byte[][] out = new byte[vocab.size()][];
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id = e.getValue().asInt();
      if (id == END_OF_TEXT) continue; // special: never inside a value
      String s = e.getKey();
      byte[] b = new byte[s.length()];
      for (int i = 0; i < s.length(); i++) b[i] = (byte) unicodeToByte[s.charAt(i)];
      out[id] = b;
    }
    return out;
  }
}
