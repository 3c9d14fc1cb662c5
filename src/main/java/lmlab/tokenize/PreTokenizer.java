package lmlab.tokenize;

import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits normalised text into pre-tokens, the units BPE merges within. A list of steps applied in
 * order (Hugging Face's Sequence): a regex split whose matches and the text between them are all
 * pre-tokens (behaviour Isolated), and the prefix space of ByteLevel's add_prefix_space.
 *
 * <p>The patterns are Oniguruma's; {@link Pattern#UNICODE_CHARACTER_CLASS} gives java.util.regex
 * the same meaning of \s (Unicode White_Space), while \p{L} and \p{N} are general categories in
 * both, and (?i:) folds case through Unicode in both.
 */
public final class PreTokenizer {
  /** GPT-2's pattern (encoder.py), also ByteLevel's with use_regex true. */
  public static final String GPT2_REGEX =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  /** The Qwen2 / Qwen2.5 / Qwen3 pattern: case-insensitive contractions, single digits. */
  public static final String QWEN2_REGEX =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+"
          + "|\\s+(?!\\S)|\\s+";

  /** One step of the sequence. */
  public sealed interface Step {
    /**
     * Split on a regex, keeping matches and gaps as pre-tokens. The GPT-2 and Qwen2 regexes run
     * on hand-written scanners with the same matches ({@link RegexScanners}); scanner is null for
     * any other regex.
     */
    record Split(Pattern pattern, RegexScanners.Scanner scanner) implements Step {
      public static Split of(String regex) {
        return new Split(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS), RegexScanners.forRegex(regex));
      }

      /** The same split through java.util.regex only (to check the scanners against). */
      static Split regexOnly(String regex) {
        return new Split(Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS), null);
      }
    }

    /** Prepend one space to a piece that does not start with one. */
    record PrefixSpace() implements Step {}
  }

  private final Step[] steps;

  public PreTokenizer(List<Step> steps) {
    this.steps = steps.toArray(Step[]::new);
  }

  public static PreTokenizer gpt2() {
    return new PreTokenizer(List.of(Step.Split.of(GPT2_REGEX)));
  }

  public static PreTokenizer qwen2() {
    return new PreTokenizer(List.of(Step.Split.of(QWEN2_REGEX)));
  }

  /** Calls out with each pre-token of piece, in order. */
  public void split(String piece, Consumer<String> out) {
    apply(0, piece, out);
  }

  private void apply(int step, String piece, Consumer<String> out) {
    if (step == steps.length) {
      out.accept(piece);
      return;
    }
    switch (steps[step]) {
      case Step.PrefixSpace p -> apply(step + 1, piece.startsWith(" ") ? piece : " " + piece, out);
      case Step.Split s when s.scanner() != null -> {
        // The known regexes match at every position: consecutive matches tile the piece.
        int n = piece.length();
        for (int i = 0; i < n; ) {
          int end = s.scanner().end(piece, i);
          apply(step + 1, i == 0 && end == n ? piece : piece.substring(i, end), out);
          i = end;
        }
      }
      case Step.Split s -> {
        Matcher m = s.pattern().matcher(piece);
        int last = 0;
        while (m.find()) {
          if (m.start() > last) apply(step + 1, piece.substring(last, m.start()), out);
          if (m.end() > m.start()) apply(step + 1, piece.substring(m.start(), m.end()), out);
          last = m.end();
        }
        if (last < piece.length()) apply(step + 1, last == 0 ? piece : piece.substring(last), out);
      }
    }
  }
}
