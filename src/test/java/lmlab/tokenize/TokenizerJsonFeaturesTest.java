package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer.json features no shipped fixture exercises, on a small synthetic byte-level
 * vocabulary (256 byte symbols, then "ab" = 256, "xyz" = 257, "Ġab" = 258): ignore_merges,
 * TemplateProcessing, added-token flags, split_special_tokens, add_prefix_space.
 */
class TokenizerJsonFeaturesTest {
  @TempDir Path dir;

  private ObjectNode base() {
    ObjectNode root = TokenizerFixtures.JSON.createObjectNode();
    root.putArray("added_tokens");
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
    root.putObject("decoder").put("type", "ByteLevel");
    root.putNull("post_processor");
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE").putNull("dropout").put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.symbol(b)), b);
    vocab.put("ab", 256).put("xyz", 257).put("Ġab", 258);
    ArrayNode merges = model.putArray("merges");
    merges.add("a b");
    merges.add("Ġ ab");
    return root;
  }

  private Tokenizer load(ObjectNode root) throws Exception {
    Files.writeString(dir.resolve("tokenizer.json"), root.toString());
    return TokenizerFiles.load(dir);
  }

  private static int b(char c) {
    return ByteLevel.symbol(c);
  }

  @Test
  void ignoreMergesEmitsAWholeVocabularyWord() throws Exception {
    ObjectNode root = base();
    assertThat(load(root).encode("xyz")).containsExactly(b('x'), b('y'), b('z'));
    ((ObjectNode) root.get("model")).put("ignore_merges", true);
    assertThat(load(root).encode("xyz ab")).containsExactly(257, 258);
  }

  @Test
  void templateProcessingAddsItsSpecialTokensOnlyWhenAsked() throws Exception {
    ObjectNode root = base();
    root.withArray("added_tokens").addObject().put("id", 259).put("content", "<s>").put("special", true);
    ObjectNode post = root.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ObjectNode s = post.putObject("special_tokens").putObject("<s>");
    s.put("id", "<s>");
    s.putArray("ids").add(259);
    s.putArray("tokens").add("<s>");
    Tokenizer t = load(root);
    assertThat(t.encode("ab", true, false)).containsExactly(259, 256);
    assertThat(t.encode("ab")).containsExactly(256);
    assertThat(t.decode(new int[] {259, 256}, true)).isEqualTo("ab");
  }

  @Test
  void addedTokenFlags() throws Exception {
    ObjectNode root = base();
    ArrayNode added = root.withArray("added_tokens");
    added.addObject().put("id", 259).put("content", "[L]").put("lstrip", true).put("special", true);
    added.addObject().put("id", 260).put("content", "[R]").put("rstrip", true);
    added.addObject().put("id", 261).put("content", "W").put("single_word", true);
    added.addObject().put("id", 262).put("content", "[LONG]");
    added.addObject().put("id", 263).put("content", "[LONG");
    Tokenizer t = load(root);
    assertThat(t.encode("ab  [L]")).containsExactly(256, 259); // the spaces before [L] are absorbed
    assertThat(t.encode("[R]  ab")).containsExactly(260, 256);
    assertThat(t.encode("W ab")).containsExactly(261, 258);
    assertThat(t.encode("aW")).containsExactly(b('a'), b('W')); // a word character touches W
    assertThat(t.encode("[LONG]")).containsExactly(262); // longest match at one place
    assertThat(t.encode("ab[L]", false, true)).doesNotContain(259); // special tokens as text
    assertThat(t.encode("[R]", false, true)).containsExactly(260); // a non-special one still matches
    assertThat(t.isSpecial(259)).isTrue();
    assertThat(t.isSpecial(260)).isFalse();
    assertThat(t.decode(new int[] {260, 259}, true)).isEqualTo("[R]");
  }

  @Test
  void addPrefixSpace() throws Exception {
    ObjectNode root = base();
    ((ObjectNode) root.get("pre_tokenizer")).put("add_prefix_space", true);
    assertThat(load(root).encode("ab")).containsExactly(258);
  }

  @Test
  void unsupportedPiecesAreNamed() throws Exception {
    ObjectNode root = base();
    root.putObject("normalizer").put("type", "Lowercase");
    assertThatThrownBy(() -> load(root)).hasMessageContaining("normalizer.type").hasMessageContaining("Lowercase");
    ObjectNode split = base();
    ObjectNode seq = split.putObject("pre_tokenizer");
    seq.put("type", "Sequence");
    ObjectNode s = seq.putArray("pretokenizers").addObject();
    s.put("type", "Split").put("behavior", "Removed").putObject("pattern").put("Regex", "\\s+");
    assertThatThrownBy(() -> load(split)).hasMessageContaining("behavior").hasMessageContaining("Isolated");
    ObjectNode dec = base();
    dec.putObject("decoder").put("type", "WordPiece");
    assertThatThrownBy(() -> load(dec)).hasMessageContaining("decoder").hasMessageContaining("WordPiece");
  }
}
