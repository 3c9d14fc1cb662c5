package lmlab.tokenize;

import java.util.List;
import java.util.OptionalInt;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>{@link #bytes} is the one decoding primitive: {@link #decode} and {@link StreamingDecoder}
 * concatenate the bytes of the ids and read them as UTF-8 (lossy), so whole and incremental
 * decoding agree by construction.
 */
public interface Tokenizer {
  /**
   * Encodes text. addSpecialTokens adds the post-processor's tokens (Llama 3's BOS; nothing for
   * GPT-2 and Qwen); splitSpecialTokens encodes special added tokens as plain text instead of
   * matching them.
   */
  int[] encode(String text, boolean addSpecialTokens, boolean splitSpecialTokens);

  /** Encodes text with added/special tokens matched and nothing added around it. */
  default int[] encode(String text) {
    return encode(text, false, false);
  }

  /**
   * The bytes id stands for (empty for an id below {@link #vocabSize} that has no token); a
   * special token gives its bytes too. Fails for an id outside [0, vocabSize).
   */
  byte[] bytes(int id);

  /** True when id is an added token flagged special (dropped by skipSpecialTokens). */
  boolean isSpecial(int id);

  /** Ids are valid in [0, vocabSize): the largest token id + 1, or the model's padded size. */
  int vocabSize();

  /** The token string of id as the vocabulary spells it ('Ġworld'), or null when id has none. */
  String piece(int id);

  /** The id of a token string, or empty. */
  OptionalInt id(String piece);

  /** Tokens matched in the text before the model (special or not), in id order. */
  List<AddedToken> addedTokens();

  /** bos/eos/pad tokens and the chat template from the tokenizer's configuration. */
  TokenizerConfig config();

  /** One line for logs: the kind and size ("byte-level BPE, 50257 tokens (tokenizer.json)"). */
  String describe();

  /**
   * This tokenizer for a model whose embedding has n rows: ids in [vocabSize(), n) decode to
   * the empty string (Qwen pads its embedding past the last token). Fails when n is smaller than
   * the vocabulary.
   */
  Tokenizer withModelVocabSize(int n);

  /** decode(ids, false). */
  default String decode(int[] ids) {
    return decode(ids, false);
  }

  /** The text of ids; each maximal invalid UTF-8 subpart becomes one U+FFFD. */
  default String decode(int[] ids, boolean skipSpecialTokens) {
    StreamingDecoder d = streamingDecoder(skipSpecialTokens);
    StringBuilder out = new StringBuilder();
    for (int id : ids) out.append(d.next(id));
    return out.append(d.finish()).toString();
  }

  /** An incremental decoder that holds back an incomplete UTF-8 character. */
  default StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
    return new StreamingDecoder(this, skipSpecialTokens);
  }

  /** The piece of id or a failure naming it (for display). */
  default String pieceOrThrow(int id) {
    bytes(id); // range check
    String p = piece(id);
    return p != null ? p : "";
  }
}
