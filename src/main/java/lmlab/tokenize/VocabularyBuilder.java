package lmlab.tokenize;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the {@link BpeModel} from a vocabulary and merge list read from some file, with the load
 * checks of tokenizers.md: ids unique and non-negative, all 256 byte symbols present, every
 * merge's parts and product in the vocabulary. Errors name the file, the entry and what was
 * expected.
 */
final class VocabularyBuilder {
  private final String vocabSource;
  private final String vocabName;
  private final Map<String, Integer> vocab = new HashMap<>();
  private final Map<Integer, String> byId = new HashMap<>();
  private int maxId = -1;
  private final List<int[]> merges = new ArrayList<>();

  /**
   * vocabSource names the vocabulary in errors ("DIR/vocab.json", "DIR/tokenizer.json model.vocab"),
   * vocabName shortly in merge errors that already name the file ("vocab.json", "model.vocab").
   */
  VocabularyBuilder(String vocabSource, String vocabName) {
    this.vocabSource = vocabSource;
    this.vocabName = vocabName;
  }

  void add(String token, int id) {
    if (id < 0) throw new TokenizerException(vocabSource + ": token '" + token + "' has id " + id + "; ids must be >= 0");
    String other = byId.putIfAbsent(id, token);
    if (other != null) {
      throw new TokenizerException(vocabSource + ": id " + id + " is given to both '" + other + "' and '" + token
          + "'; expected unique ids");
    }
    vocab.put(token, id);
    maxId = Math.max(maxId, id);
  }

  Integer id(String token) {
    return vocab.get(token);
  }

  String token(int id) {
    return byId.get(id);
  }

  /** Checks that the 256 byte symbols are all tokens. */
  void checkByteSymbols() {
    for (int b = 0; b < 256; b++) {
      String s = String.valueOf(ByteLevel.symbol(b));
      if (!vocab.containsKey(s)) {
        throw new TokenizerException(String.format("%s lacks the byte symbol '%s' (byte 0x%02X); a byte-level "
            + "vocabulary holds all 256 byte symbols", vocabSource, s, b));
      }
    }
  }

  /** Adds the next merge; where names it in errors ("merges.txt line 3", "tokenizer.json model.merges[1]"). */
  void merge(String left, String right, String where) {
    Integer l = vocab.get(left);
    Integer r = vocab.get(right);
    String missing = l == null ? left : r == null ? right : null;
    if (missing != null) {
      throw new TokenizerException(where + " ('" + left + "', '" + right + "'): '" + missing + "' is not in "
          + vocabName + "; expected both parts of a merge in the vocabulary");
    }
    Integer result = vocab.get(left + right);
    if (result == null) {
      throw new TokenizerException(where + " ('" + left + "', '" + right + "') produces '" + left + right
          + "', which is not in " + vocabName + "; expected every merge's product in the vocabulary");
    }
    merges.add(new int[] {l, r, result});
  }

  BpeModel build(boolean ignoreMerges) {
    String[] pieces = new String[maxId + 1];
    byId.forEach((id, t) -> pieces[id] = t);
    int n = merges.size();
    int[] left = new int[n], right = new int[n], result = new int[n];
    for (int i = 0; i < n; i++) {
      int[] m = merges.get(i);
      left[i] = m[0];
      right[i] = m[1];
      result[i] = m[2];
    }
    return new BpeModel(vocab, pieces, left, right, result, ignoreMerges);
  }
}
