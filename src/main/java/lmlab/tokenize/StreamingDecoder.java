package lmlab.tokenize;

/**
 * Decodes a token stream one id at a time, emitting text only up to the last complete UTF-8
 * character: a character split across tokens (GPT-2 spells '😀' with two tokens) comes out whole
 * once its last byte arrives. The concatenated results of {@link #next} and {@link #finish} equal
 * {@link Tokenizer#decode} of the whole sequence.
 */
public final class StreamingDecoder {
  private final Tokenizer tokenizer;
  private final boolean skipSpecialTokens;
  private final Utf8Decoder utf8 = new Utf8Decoder();
  private final StringBuilder out = new StringBuilder();

  StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = skipSpecialTokens;
  }

  /** The text completed by id (possibly empty). */
  public String next(int id) {
    byte[] b = tokenizer.bytes(id);
    if (skipSpecialTokens && tokenizer.isSpecial(id)) return "";
    out.setLength(0);
    utf8.decode(b, 0, b.length, out);
    return out.toString();
  }

  /** True when bytes of an incomplete character are held back. */
  public boolean holdsBack() {
    return utf8.pending();
  }

  /** Ends the sequence: held-back bytes become one U+FFFD (else the empty string). */
  public String finish() {
    out.setLength(0);
    utf8.finish(out);
    return out.toString();
  }
}
