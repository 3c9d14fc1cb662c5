package lmlab.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * The character tokenizer of the text task (text.md): the distinct code points of the training
 * text sorted by value, id = rank ({@code chars = sorted(list(set(data)))}, minGPT chargpt.py).
 * Stored in a checkpoint as {@code vocab.json}: {@code {"type": "char", "chars": [...]}}.
 */
public final class CharTokenizer implements Tokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final int[] codePoints;
  private final Map<Integer, Integer> ids = new HashMap<>();
  private final byte[][] bytes;
  private final String source;

  /** chars: the vocabulary in id order, each a distinct single code point. */
  public CharTokenizer(List<String> chars, String source) {
    this.source = source;
    codePoints = new int[chars.size()];
    bytes = new byte[chars.size()][];
    for (int i = 0; i < chars.size(); i++) {
      String c = chars.get(i);
      if (c.isEmpty() || c.codePointCount(0, c.length()) != 1) {
        throw new TokenizerException(source + ": chars[" + i + "] is \"" + c + "\"; expected exactly one character");
      }
      int cp = c.codePointAt(0);
      Integer before = ids.putIfAbsent(cp, i);
      if (before != null) {
        throw new TokenizerException(source + ": chars[" + i + "] repeats chars[" + before + "] " + describe(cp)
            + "; expected distinct characters");
      }
      codePoints[i] = cp;
      bytes[i] = c.getBytes(StandardCharsets.UTF_8);
    }
  }

  /** The vocabulary of a text: its distinct code points, sorted. */
  public static CharTokenizer fromText(String text) {
    TreeSet<Integer> set = new TreeSet<>();
    text.codePoints().forEach(set::add);
    return new CharTokenizer(set.stream().map(Character::toString).toList(), "text");
  }

  /** Reads {"type": "char", "chars": [...]}. */
  public static CharTokenizer read(Path file) {
    return fromJson(Json.read(file), file.toString());
  }

  static CharTokenizer fromJson(JsonNode root, String source) {
    if (!root.path("type").asText("").equals("char")) {
      throw new TokenizerException(source + ": type is " + Json.describe(root.get("type")) + "; expected \"char\"");
    }
    JsonNode chars = root.path("chars");
    if (!chars.isArray()) throw new TokenizerException(source + ": chars is " + Json.describe(root.get("chars"))
        + "; expected a list of characters");
    List<String> list = new java.util.ArrayList<>();
    for (int i = 0; i < chars.size(); i++) {
      if (!chars.get(i).isTextual()) {
        throw new TokenizerException(source + ": chars[" + i + "] is " + chars.get(i) + "; expected a one-character string");
      }
      list.add(chars.get(i).asText());
    }
    return new CharTokenizer(list, source);
  }

  /** Writes vocab.json atomically (a temporary file in the same folder, then a move). */
  public void write(Path file) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", "char");
    ArrayNode chars = root.putArray("chars");
    for (int cp : codePoints) chars.add(Character.toString(cp));
    Path dir = file.toAbsolutePath().getParent();
    try {
      Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
      try {
        Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** The vocabulary in id order. */
  public List<String> chars() {
    return java.util.Arrays.stream(codePoints).mapToObj(Character::toString).toList();
  }

  @Override
  public int[] encode(String text, boolean addSpecialTokens, boolean splitSpecialTokens) {
    int[] out = new int[text.codePointCount(0, text.length())];
    int k = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      Integer id = ids.get(cp);
      if (id == null) {
        throw new TokenizerException("character " + describe(cp) + " at offset " + k + " is not in the "
            + codePoints.length + "-character vocabulary");
      }
      out[k++] = id;
      i += Character.charCount(cp);
    }
    return out;
  }

  private static String describe(int cp) {
    String shown = Character.isISOControl(cp) || Character.isWhitespace(cp) ? "" : "'" + Character.toString(cp) + "' ";
    return shown + String.format("(U+%04X)", cp);
  }

  @Override
  public byte[] bytes(int id) {
    if (id < 0 || id >= codePoints.length) {
      throw new TokenizerException("token id " + id + " is outside the " + codePoints.length
          + "-character vocabulary [0, " + codePoints.length + ")");
    }
    return bytes[id];
  }

  @Override
  public boolean isSpecial(int id) {
    return false;
  }

  @Override
  public int vocabSize() {
    return codePoints.length;
  }

  @Override
  public String piece(int id) {
    return id >= 0 && id < codePoints.length ? Character.toString(codePoints[id]) : null;
  }

  @Override
  public OptionalInt id(String piece) {
    if (piece.isEmpty() || piece.codePointCount(0, piece.length()) != 1) return OptionalInt.empty();
    Integer id = ids.get(piece.codePointAt(0));
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public List<AddedToken> addedTokens() {
    return List.of();
  }

  @Override
  public TokenizerConfig config() {
    return TokenizerConfig.NONE;
  }

  @Override
  public String describe() {
    return "character vocabulary, " + codePoints.length + " characters (" + source + ")";
  }

  @Override
  public Tokenizer withModelVocabSize(int n) {
    if (n != codePoints.length) {
      throw new TokenizerException("the model's vocabulary has " + n + " ids but the character vocabulary (" + source
          + ") has " + codePoints.length + "; expected the same size");
    }
    return this;
  }
}
