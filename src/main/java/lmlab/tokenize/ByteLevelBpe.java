package lmlab.tokenize;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;

/**
 * Byte-level BPE as GPT-2, Qwen2/2.5/3 and Llama 3 ship it. Encoding (tokenizers.md): added
 * tokens first, NFC when the file asks, pre-tokenisation by regex, bytes to symbols, the BPE
 * merge loop, then the post-processor's special tokens. Decoding concatenates the bytes each token
 * stands for and reads them as UTF-8, each invalid subpart becoming U+FFFD.
 */
public final class ByteLevelBpe implements Tokenizer {
  /** The text normaliser: none (GPT-2) or NFC (Qwen). */
  public enum Normalization { NONE, NFC }

  private final BpeModel model;
  private final Normalization normalization;
  private final PreTokenizer preTokenizer;
  private final List<AddedToken> addedTokens;
  private final AddedTokenMatcher rawMatcher, rawMatcherNonSpecial, normalizedMatcher, normalizedMatcherNonSpecial;
  private final int[] prefixIds, suffixIds;
  private final TokenizerConfig config;
  private final String source;
  private final String[] addedContent; // by id - addedBase; null where not added
  private final boolean[] special;
  private final byte[][] tokenBytes;
  private final int tokenCount;
  private final int vocabSize;

  /**
   * prefixIds/suffixIds: what add_special_tokens puts around the text (TemplateProcessing's single
   * template, or the config's BOS). source names the files for {@link #describe}.
   */
  ByteLevelBpe(BpeModel model, Normalization normalization, PreTokenizer preTokenizer, List<AddedToken> addedTokens,
      int[] prefixIds, int[] suffixIds, TokenizerConfig config, String source) {
    this.model = model;
    this.normalization = normalization;
    this.preTokenizer = preTokenizer;
    List<AddedToken> sorted = new ArrayList<>(addedTokens);
    sorted.sort(Comparator.comparingInt(AddedToken::id));
    this.addedTokens = List.copyOf(sorted);
    this.rawMatcher = new AddedTokenMatcher(sorted.stream().filter(t -> !t.normalized()).toList());
    this.rawMatcherNonSpecial = new AddedTokenMatcher(sorted.stream().filter(t -> !t.normalized() && !t.special()).toList());
    this.normalizedMatcher = new AddedTokenMatcher(sorted.stream().filter(AddedToken::normalized).toList());
    this.normalizedMatcherNonSpecial = new AddedTokenMatcher(
        sorted.stream().filter(t -> t.normalized() && !t.special()).toList());
    this.prefixIds = prefixIds.clone();
    this.suffixIds = suffixIds.clone();
    this.config = config;
    this.source = source;
    String[] pieces = model.pieces();
    int count = pieces.length;
    for (AddedToken t : sorted) count = Math.max(count, t.id() + 1);
    this.tokenCount = count;
    this.vocabSize = count;
    this.addedContent = new String[count];
    this.special = new boolean[count];
    this.tokenBytes = new byte[count][];
    for (int id = 0; id < pieces.length; id++) {
      if (pieces[id] != null) tokenBytes[id] = ByteLevel.bytes(pieces[id]);
    }
    for (AddedToken t : sorted) {
      addedContent[t.id()] = t.content();
      special[t.id()] = t.special();
      // An added token that is also a vocabulary token keeps the vocabulary's bytes (same content).
      if (tokenBytes[t.id()] == null) tokenBytes[t.id()] = t.content().getBytes(StandardCharsets.UTF_8);
    }
  }

  private ByteLevelBpe(ByteLevelBpe base, int vocabSize) {
    this.model = base.model;
    this.normalization = base.normalization;
    this.preTokenizer = base.preTokenizer;
    this.addedTokens = base.addedTokens;
    this.rawMatcher = base.rawMatcher;
    this.rawMatcherNonSpecial = base.rawMatcherNonSpecial;
    this.normalizedMatcher = base.normalizedMatcher;
    this.normalizedMatcherNonSpecial = base.normalizedMatcherNonSpecial;
    this.prefixIds = base.prefixIds;
    this.suffixIds = base.suffixIds;
    this.config = base.config;
    this.source = base.source;
    this.addedContent = base.addedContent;
    this.special = base.special;
    this.tokenBytes = base.tokenBytes;
    this.tokenCount = base.tokenCount;
    this.vocabSize = vocabSize;
  }

  @Override
  public int[] encode(String text, boolean addSpecialTokens, boolean splitSpecialTokens) {
    IntList out = new IntList();
    if (addSpecialTokens) for (int id : prefixIds) out.add(id);
    AddedTokenMatcher raw = splitSpecialTokens ? rawMatcherNonSpecial : rawMatcher;
    AddedTokenMatcher normalized = splitSpecialTokens ? normalizedMatcherNonSpecial : normalizedMatcher;
    AddedTokenMatcher.Sink modelSink = new AddedTokenMatcher.Sink() {
      @Override
      public void text(String piece) {
        preTokenizer.split(piece, word -> model.encodeWord(word, out));
      }

      @Override
      public void token(int id) {
        out.add(id);
      }
    };
    raw.split(text, new AddedTokenMatcher.Sink() {
      @Override
      public void text(String piece) {
        normalized.split(normalize(piece), modelSink);
      }

      @Override
      public void token(int id) {
        out.add(id);
      }
    });
    if (addSpecialTokens) for (int id : suffixIds) out.add(id);
    return out.toArray();
  }

  private String normalize(String piece) {
    if (normalization == Normalization.NONE) return piece;
    // Below U+0300 every character is a starter that composes with nothing before it: NFC is the identity.
    for (int i = 0; i < piece.length(); i++) {
      if (piece.charAt(i) >= 0x300) return Normalizer.normalize(piece, Normalizer.Form.NFC);
    }
    return piece;
  }

  @Override
  public byte[] bytes(int id) {
    if (id < 0 || id >= vocabSize) {
      throw new TokenizerException("token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
    }
    if (id >= tokenCount || tokenBytes[id] == null) return new byte[0];
    return tokenBytes[id];
  }

  @Override
  public boolean isSpecial(int id) {
    return id >= 0 && id < tokenCount && special[id];
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public String piece(int id) {
    if (id < 0 || id >= tokenCount) return null;
    if (addedContent[id] != null) return addedContent[id];
    String[] pieces = model.pieces();
    return id < pieces.length ? pieces[id] : null;
  }

  @Override
  public OptionalInt id(String piece) {
    for (AddedToken t : addedTokens) if (t.content().equals(piece)) return OptionalInt.of(t.id());
    Integer id = model.vocab().get(piece);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  @Override
  public List<AddedToken> addedTokens() {
    return addedTokens;
  }

  @Override
  public TokenizerConfig config() {
    return config;
  }

  @Override
  public String describe() {
    return "byte-level BPE, " + tokenCount + " tokens, " + model.merges() + " merges"
        + (normalization == Normalization.NFC ? ", NFC" : "") + " (" + source + ")";
  }

  @Override
  public Tokenizer withModelVocabSize(int n) {
    if (n < tokenCount) {
      throw new TokenizerException("the model's vocabulary has " + n + " ids but the tokenizer (" + source + ") has "
          + tokenCount + " tokens; expected at least " + tokenCount);
    }
    return new ByteLevelBpe(this, n);
  }

  /** Forgets cached pre-tokens, so that a benchmark measures the merge loop too. */
  public void clearCache() {
    model.clearCache();
  }
}
