package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.Normalizer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * decode(encode(s)) == s for GPT-2 and NFC(s) for Qwen, and encode(decode(ids)) == ids for ids
 * produced by encode, on random strings over mixed scripts, emoji and whitespace; and streaming
 * decoding equals whole decoding.
 */
class RoundTripPropertyTest {
  private static final String[] ATOMS = {
    "Hello", " world", "'s", "'LL", "don't", "\u00e9", "e\u0301", "A\u030a", "\u0416\u0438\u0437\u043d\u044c",
    "\u4e2d\u6587", "\u3053\u3093\u306b\u3061\u306f", "\ud55c\uad6d\uc5b4", "\u0645\u0631\u062d\u0628\u0627",
    "\u03b1\u03b2", "0", "2024", "3.14", "\u0663", "\u00b2", " ", "   ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u3000",
    "\u2003", "\u200b", "\u2028", ".", "...", "!?", "<<", ">>", "{\"a\": 1}", "$", "_", "\ud83d\ude00",
    "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67", "\ud83c\uddeb\ud83c\uddf7", "\ud83d\udc4d\ud83c\udffd",
    "\u2764\ufe0f", "\ud800\udf48", "<|im_start", "|>", "\u0000", "\u007f", "\ufffd"
  };

  @Test
  void gpt2RoundTripsExactly() {
    check(TokenizerFixtures.shared("gpt2"), false, 1);
  }

  @Test
  void qwen3RoundTripsToNfc() {
    check(TokenizerFixtures.shared("qwen3"), true, 2);
  }

  @Test
  void tinyQwen2RoundTripsToNfc() {
    check(TokenizerFiles.load(TokenizerFixtures.RESOURCES.resolve("tiny_qwen2/json_list_merges")), true, 3);
  }

  private static void check(Tokenizer t, boolean nfc, long seed) {
    Random random = new Random(seed);
    for (int trial = 0; trial < 3000; trial++) {
      StringBuilder b = new StringBuilder();
      int len = 1 + random.nextInt(16);
      for (int k = 0; k < len; k++) b.append(ATOMS[random.nextInt(ATOMS.length)]);
      String s = b.toString();
      int[] ids = t.encode(s);
      String expected = nfc ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
      assertThat(t.decode(ids)).as("decode(encode(\"%s\"))", s).isEqualTo(expected);
      assertThat(TokenizerFixtures.streamed(t, ids, false)).isEqualTo(expected);
      assertThat(t.encode(t.decode(ids))).as("encode(decode(ids)) of \"%s\"", s).containsExactly(ids);
    }
  }
}
