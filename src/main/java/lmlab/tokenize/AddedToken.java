package lmlab.tokenize;

/**
 * A token matched in the raw text before pre-tokenisation (Hugging Face {@code AddedToken}).
 * special: dropped by skip-special decoding and not matched with split-special encoding;
 * singleWord: only when no word character touches the match; lstrip/rstrip: the match absorbs
 * the whitespace before/after it; normalized: matched in the normalised text instead of the raw.
 */
public record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
    boolean normalized) {
  public AddedToken {
    if (content.isEmpty()) throw new IllegalArgumentException("added token " + id + " has empty content");
  }

  /** A special token with every flag off, as GPT-2's and Qwen's control tokens. */
  public static AddedToken special(int id, String content) {
    return new AddedToken(id, content, true, false, false, false, false);
  }
}
