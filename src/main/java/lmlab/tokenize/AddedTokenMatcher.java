package lmlab.tokenize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost match first and, among matches that start at one place,
 * the longest (the leftmost-longest rule of Hugging Face's Aho–Corasick trie). The text between
 * matches goes on to normalisation and pre-tokenisation.
 */
final class AddedTokenMatcher {
  /** Receives the pieces of a split, in order. */
  interface Sink {
    void text(String text);

    void token(int id);
  }

  /** Candidates by first UTF-16 unit, longest first. */
  private final Map<Character, AddedToken[]> byFirst = new HashMap<>();
  private final boolean[] asciiFirst = new boolean[128];

  AddedTokenMatcher(List<AddedToken> tokens) {
    Map<Character, List<AddedToken>> groups = new HashMap<>();
    for (AddedToken t : tokens) groups.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
    groups.forEach((c, list) -> {
      list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
      byFirst.put(c, list.toArray(AddedToken[]::new));
      if (c < 128) asciiFirst[c] = true;
    });
  }

  boolean isEmpty() {
    return byFirst.isEmpty();
  }

  /** Splits text into added tokens and the text around them. */
  void split(String text, Sink sink) {
    if (byFirst.isEmpty()) {
      if (!text.isEmpty()) sink.text(text);
      return;
    }
    int n = text.length();
    int start = 0;
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      AddedToken match = null;
      if (c < 128 ? asciiFirst[c] : byFirst.containsKey(c)) {
        for (AddedToken t : byFirst.get(c)) {
          if (text.startsWith(t.content(), i)) {
            match = t;
            break;
          }
        }
      }
      if (match == null) {
        i++;
        continue;
      }
      int mStart = i, mEnd = i + match.content().length();
      if (match.singleWord()
          && ((mStart > 0 && isWordCharacter(text.codePointBefore(mStart)))
              || (mEnd < n && isWordCharacter(text.codePointAt(mEnd))))) {
        i = mEnd; // a rejected match still consumes its text, as a non-overlapping trie search does
        continue;
      }
      if (match.lstrip()) {
        while (mStart > start && isWhiteSpace(text.codePointBefore(mStart))) {
          mStart -= Character.charCount(text.codePointBefore(mStart));
        }
      }
      if (match.rstrip()) {
        while (mEnd < n && isWhiteSpace(text.codePointAt(mEnd))) mEnd += Character.charCount(text.codePointAt(mEnd));
      }
      if (mStart > start) sink.text(text.substring(start, mStart));
      sink.token(match.id());
      start = i = mEnd;
    }
    if (start < n) sink.text(start == 0 ? text : text.substring(start));
  }

  /** Unicode White_Space (the definition of \s in Oniguruma and of Rust's char::is_whitespace). */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
        || cp == 0x3000;
  }

  /** Unicode \w: alphabetic, marks, decimal digits, connector punctuation, join controls. */
  static boolean isWordCharacter(int cp) {
    if (Character.isAlphabetic(cp) || Character.isDigit(cp)) return true;
    int type = Character.getType(cp);
    return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
        || type == Character.COMBINING_SPACING_MARK || type == Character.CONNECTOR_PUNCTUATION
        || cp == 0x200C || cp == 0x200D;
  }
}
