package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hand-written GPT-2 and Qwen2 scanners split exactly as java.util.regex does with
 * UNICODE_CHARACTER_CLASS (whose semantics the vectors confirm), on random strings drawn from the
 * characters where the alternatives differ: contractions in both cases, letters, numbers of
 * three categories, the White_Space characters, \r\n runs, punctuation, emoji, marks, surrogates.
 */
class RegexScannersTest {
  private static final String[] ATOMS = {
    "'", "'s", "'S", "'t", "'re", "'RE", "'ve", "'m", "'ll", "'LL", "'d", "'\u017F", "'x", "s", "e", "l", "d",
    "a", "Z", "\u00e9", "e\u0301", "\u0416", "\u4e2d", "\u3042", "\ud55c", "\u0645", "\u00df",
    "0", "7", "\u0663", "\u00b2", "\u2167", "12345",
    " ", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u0085", "\u000b", "\u200b", "\u2003",
    ".", ",", "!", "?", "-", "(", ")", "\"", "$", "<", ">", "_", "#", "\u2014", "\u00ab",
    "\ud83d\ude00", "\ud83d\udc68\u200d\ud83d\udc69", "\ud83c\uddeb\ud83c\uddf7", "\ud83d\udc4d\ud83c\udffd", "\ufe0f",
    "\ud800", "\udc00"
  };

  @Test
  void scannersSplitAsTheRegexEngineDoes() {
    Random random = new Random(18);
    for (String regex : List.of(PreTokenizer.GPT2_REGEX, PreTokenizer.QWEN2_REGEX)) {
      PreTokenizer fast = new PreTokenizer(List.of(PreTokenizer.Step.Split.of(regex)));
      PreTokenizer reference = new PreTokenizer(List.of(PreTokenizer.Step.Split.regexOnly(regex)));
      assertThat(((PreTokenizer.Step.Split) PreTokenizer.Step.Split.of(regex)).scanner()).isNotNull();
      for (int trial = 0; trial < 20_000; trial++) {
        StringBuilder b = new StringBuilder();
        int len = 1 + random.nextInt(12);
        for (int k = 0; k < len; k++) b.append(ATOMS[random.nextInt(ATOMS.length)]);
        String text = b.toString();
        assertThat(split(fast, text)).as("%s on \"%s\"", regex.equals(PreTokenizer.GPT2_REGEX) ? "gpt2" : "qwen2", text)
            .isEqualTo(split(reference, text));
      }
    }
  }

  private static List<String> split(PreTokenizer p, String text) {
    List<String> out = new ArrayList<>();
    p.split(text, out::add);
    return out;
  }
}
