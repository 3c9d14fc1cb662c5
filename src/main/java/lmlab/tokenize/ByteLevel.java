package lmlab.tokenize;

/**
 * GPT-2's byte-to-symbol table ({@code bytes_to_unicode} in OpenAI's {@code encoder.py}): every
 * byte gets a printable character so that a vocabulary of strings can hold arbitrary bytes.
 * Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF stand for themselves; the other 68 bytes, in
 * increasing order, map to U+0100, U+0101, ... (space → 'Ġ' U+0120, '\n' → 'Ċ' U+010A).
 */
public final class ByteLevel {
  private static final char[] SYMBOL = new char[256];
  private static final int[] BYTE = new int[0x144];

  static {
    java.util.Arrays.fill(BYTE, -1);
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      SYMBOL[b] = (char) (printable ? b : 0x100 + next++);
      BYTE[SYMBOL[b]] = b;
    }
  }

  private ByteLevel() {}

  /** The symbol character of byte b (0..255). */
  public static char symbol(int b) {
    return SYMBOL[b & 0xFF];
  }

  /** The byte a symbol character stands for, or -1 if c is not a byte symbol. */
  public static int byteOf(char c) {
    return c < BYTE.length ? BYTE[c] : -1;
  }

  /** The symbol string of some bytes: one character per byte. */
  public static String symbols(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) out[i] = SYMBOL[bytes[i] & 0xFF];
    return new String(out);
  }

  /** The bytes a token's symbols stand for, or null when some character is not a byte symbol. */
  public static byte[] bytes(String symbols) {
    byte[] out = new byte[symbols.length()];
    for (int i = 0; i < out.length; i++) {
      int b = byteOf(symbols.charAt(i));
      if (b < 0) return null;
      out[i] = (byte) b;
    }
    return out;
  }
}
