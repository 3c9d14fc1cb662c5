package lmlab.tokenize;

/**
 * Hand-written matchers for the two pre-tokenizer regexes in use, giving the same pre-tokens as
 * {@link java.util.regex.Pattern} with UNICODE_CHARACTER_CLASS (a property test checks this on
 * random mixed-script text) at several times its speed. Both regexes match at every position
 * (every character is whitespace, a letter, a number or something else), so a scanner only
 * answers: where does the match that starts at i end? Alternatives are tried left to right, as
 * the regex engine does; each comment quotes the alternative it implements.
 */
final class RegexScanners {
  private RegexScanners() {}

  /** The end of the regex's match starting at i (i < s.length()). */
  interface Scanner {
    int end(String s, int i);
  }

  /** The scanner of a known regex, or null. */
  static Scanner forRegex(String regex) {
    if (regex.equals(PreTokenizer.GPT2_REGEX)) return RegexScanners::gpt2;
    if (regex.equals(PreTokenizer.QWEN2_REGEX)) return RegexScanners::qwen2;
    return null;
  }

  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  static int gpt2(String s, int i) {
    int n = s.length();
    char c = s.charAt(i);
    if (c == '\'') {
      int e = contraction(s, i, false);
      if (e > 0) return e;
    }
    int j = c == ' ' ? i + 1 : i;
    if (j < n) {
      int cp = s.codePointAt(j);
      int cls = classOf(cp);
      if (cls == LETTER || cls == NUMBER || cls == OTHER) { // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
        int k = j + Character.charCount(cp);
        while (k < n) {
          int q = s.codePointAt(k);
          if (classOf(q) != cls) break;
          k += Character.charCount(q);
        }
        return k;
      }
    }
    return whitespace(s, i);
  }

  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  static int qwen2(String s, int i) {
    int n = s.length();
    int cp = s.codePointAt(i);
    if (cp == '\'') {
      int e = contraction(s, i, true);
      if (e > 0) return e;
    }
    int cls = classOf(cp);
    int next = i + Character.charCount(cp);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (cls == LETTER) return letters(s, next);
    if (cls != NUMBER && cp != '\r' && cp != '\n' && next < n && classOf(s.codePointAt(next)) == LETTER) {
      return letters(s, next);
    }
    // \p{N}
    if (cls == NUMBER) return next;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    int j = cp == ' ' ? next : i;
    if (j < n && classOf(s.codePointAt(j)) == OTHER) {
      int k = j;
      while (k < n) {
        int q = s.codePointAt(k);
        if (classOf(q) != OTHER) break;
        k += Character.charCount(q);
      }
      while (k < n && (s.charAt(k) == '\r' || s.charAt(k) == '\n')) k++;
      return k;
    }
    // \s*[\r\n]+ : the whitespace run, given back until it ends just after its last \r or \n
    if (cls == SPACE) {
      int k = spaceRunEnd(s, i);
      for (int p = k - 1; p >= i; p--) {
        char q = s.charAt(p);
        if (q == '\r' || q == '\n') return p + 1;
      }
    }
    return whitespace(s, i);
  }

  /** \s+(?!\S)|\s+ at i (s[i] is whitespace here). */
  private static int whitespace(String s, int i) {
    int k = spaceRunEnd(s, i);
    if (k == s.length()) return k;
    // (?!\S): the run is followed by a non-space, so give back its last character, if the run keeps one
    int last = s.codePointBefore(k);
    int shorter = k - Character.charCount(last);
    return shorter > i ? shorter : k;
  }

  private static int spaceRunEnd(String s, int i) {
    int k = i;
    int n = s.length();
    while (k < n) {
      int q = s.codePointAt(k);
      if (!AddedTokenMatcher.isWhiteSpace(q)) break;
      k += Character.charCount(q);
    }
    return k;
  }

  private static int letters(String s, int k) {
    int n = s.length();
    while (k < n) {
      int q = s.codePointAt(k);
      if (!Character.isLetter(q)) break;
      k += Character.charCount(q);
    }
    return k;
  }

  /** The end of 's|'t|'re|'ve|'m|'ll|'d at i (s[i] is the apostrophe), or -1. */
  private static int contraction(String s, int i, boolean ignoreCase) {
    int n = s.length();
    if (i + 1 >= n) return -1;
    int a = fold(s.charAt(i + 1), ignoreCase);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 >= n) return -1;
    int b = fold(s.charAt(i + 2), ignoreCase);
    if ((a == 'r' || a == 'v') && b == 'e') return i + 3;
    if (a == 'l' && b == 'l') return i + 3;
    return -1;
  }

  /** Simple case folding for the letters of the contractions: ASCII, and U+017F long s → s. */
  private static int fold(char c, boolean ignoreCase) {
    if (!ignoreCase) return c;
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c == '\u017F') return 's';
    return c;
  }

  static final int SPACE = 0, LETTER = 1, NUMBER = 2, OTHER = 3;

  /** \s, \p{L}, \p{N}, or anything else. */
  static int classOf(int cp) {
    if (cp < 128) return ASCII[cp];
    if (AddedTokenMatcher.isWhiteSpace(cp)) return SPACE;
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
      default -> OTHER;
    };
  }

  private static final byte[] ASCII = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII[c] = (byte) (AddedTokenMatcher.isWhiteSpace(c) ? SPACE
          : Character.isLetter(c) ? LETTER : Character.isDigit(c) ? NUMBER : OTHER);
    }
  }
}
