package lmlab.lab.text;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import lmlab.tokenize.CharTokenizer;

/**
 * A text file as the text task reads it (text.md, "Data"): UTF-8, a character is a code point;
 * the vocabulary is the distinct characters of the whole file sorted by code point, id = rank
 * ({@code chars = sorted(list(set(data)))}, minGPT chargpt.py line 56); the first
 * ⌊train_fraction · N⌋ characters train, the rest validate (nanoGPT's shakespeare_char).
 *
 * @param ids every character's id, in file order
 * @param nTrain characters of the training split (the first ones)
 * @param sha256 of the file's bytes, recorded so a resumed run can check it reads the same text
 */
public record TextData(Path file, CharTokenizer vocab, int[] ids, int nTrain, String sha256) {

  /** Characters of the file (N). */
  public int size() {
    return ids.length;
  }

  /** Characters of the validation split (N − n_train). */
  public int nVal() {
    return ids.length - nTrain;
  }

  /**
   * Reads file; errors name it: missing, empty, not UTF-8 (with the byte offset). trainFraction in
   * (0, 1].
   */
  public static TextData load(Path file, double trainFraction) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("data file " + file + ": no such file");
    } catch (IOException e) {
      throw new IllegalArgumentException("data file " + file + ": cannot read it (" + e.getMessage() + ")");
    }
    if (bytes.length == 0) throw new IllegalArgumentException("data file " + file + " is empty; expected UTF-8 text");
    String text = decode(file, bytes);
    CharTokenizer vocab = CharTokenizer.fromText(text);
    int[] ids = vocab.encode(text, false, false);
    int nTrain = (int) Math.floor(trainFraction * ids.length);
    return new TextData(file, vocab, ids, nTrain, sha256(bytes));
  }

  /** Strict UTF-8: a malformed or unmappable byte is an error naming the file and its offset. */
  private static String decode(Path file, byte[] bytes) {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      return d.decode(in).toString();
    } catch (MalformedInputException e) {
      throw new IllegalArgumentException("data file " + file + " is not UTF-8: malformed byte 0x"
          + String.format("%02X", bytes[in.position()] & 0xFF) + " at byte offset " + in.position() + "; expected UTF-8 text");
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("data file " + file + " is not UTF-8 (" + e + "); expected UTF-8 text");
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Non-overlapping evaluation windows of split (train: from its start; val: after it) at block
   * size s: window j starts at j·s, j = 0 … ⌊(n_val − 1)/s⌋ − 1, the same count for both splits,
   * capped at cap (0: no cap). Returns the start offsets into ids.
   */
  public int[] windows(boolean validation, int s, int cap) {
    int count = Math.max(0, (nVal() - 1) / s);
    if (cap > 0) count = Math.min(count, cap);
    if (!validation) count = Math.min(count, Math.max(0, (nTrain - 1) / s));
    int base = validation ? nTrain : 0;
    int[] out = new int[count];
    for (int j = 0; j < count; j++) out[j] = base + j * s;
    return out;
  }
}
