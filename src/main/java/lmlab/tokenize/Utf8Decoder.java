package lmlab.tokenize;

/**
 * Lossy, incremental UTF-8 decoding: each maximal invalid subpart becomes one U+FFFD, as Rust's
 * {@code from_utf8_lossy} and the WHATWG Encoding Standard's UTF-8 decoder do (the algorithm
 * below is the WHATWG one). Bytes of an incomplete character stay in the state until later bytes
 * complete it, so decoding a byte string in pieces gives the same text as decoding it whole.
 */
public final class Utf8Decoder {
  private int needed, seen, codePoint;
  private int lower = 0x80, upper = 0xBF;

  /** Decodes bytes[from, to) into out, keeping an incomplete trailing character pending. */
  public void decode(byte[] bytes, int from, int to, StringBuilder out) {
    for (int i = from; i < to; i++) {
      int b = bytes[i] & 0xFF;
      if (needed == 0) {
        if (b <= 0x7F) {
          out.append((char) b);
        } else if (b >= 0xC2 && b <= 0xDF) {
          needed = 1;
          codePoint = b & 0x1F;
        } else if (b >= 0xE0 && b <= 0xEF) {
          if (b == 0xE0) lower = 0xA0;
          if (b == 0xED) upper = 0x9F;
          needed = 2;
          codePoint = b & 0x0F;
        } else if (b >= 0xF0 && b <= 0xF4) {
          if (b == 0xF0) lower = 0x90;
          if (b == 0xF4) upper = 0x8F;
          needed = 3;
          codePoint = b & 0x07;
        } else {
          out.append('\uFFFD');
        }
        continue;
      }
      if (b < lower || b > upper) {
        // The pending sequence was a maximal invalid subpart; b starts afresh.
        reset();
        out.append('\uFFFD');
        i--;
        continue;
      }
      lower = 0x80;
      upper = 0xBF;
      codePoint = (codePoint << 6) | (b & 0x3F);
      if (++seen == needed) {
        out.appendCodePoint(codePoint);
        reset();
      }
    }
  }

  /** True when bytes of an incomplete character are pending. */
  public boolean pending() {
    return needed != 0;
  }

  /** Ends the stream: pending bytes of an incomplete character become one U+FFFD. */
  public void finish(StringBuilder out) {
    if (needed != 0) {
      out.append('\uFFFD');
      reset();
    }
  }

  private void reset() {
    needed = seen = codePoint = 0;
    lower = 0x80;
    upper = 0xBF;
  }

  /** Decodes a whole byte string. */
  public static String decodeLossy(byte[] bytes, int length) {
    StringBuilder out = new StringBuilder(length);
    Utf8Decoder d = new Utf8Decoder();
    d.decode(bytes, 0, length, out);
    d.finish(out);
    return out.toString();
  }
}
