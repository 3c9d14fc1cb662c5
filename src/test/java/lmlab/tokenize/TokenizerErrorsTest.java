package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every broken directory of errors/ fails to load with a one-line message holding cases.json's strings. */
class TokenizerErrorsTest {
  private static final Path ERRORS = TokenizerFixtures.RESOURCES.resolve("errors");

  @TestFactory
  Stream<DynamicTest> everyBrokenDirectoryIsNamedInItsError() throws Exception {
    JsonNode cases = TokenizerFixtures.JSON.readTree(ERRORS.resolve("cases.json").toFile());
    assertThat(cases.size()).isEqualTo(11);
    return StreamSupport.stream(cases.spliterator(), false).map(c -> DynamicTest.dynamicTest(c.get("dir").asText(), () -> {
      Path dir = ERRORS.resolve(c.get("dir").asText());
      Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> TokenizerFiles.load(dir));
      assertThat(e).as(c.get("why").asText()).isInstanceOf(TokenizerException.class);
      assertThat(e.getMessage()).doesNotContain("\n");
      for (JsonNode m : c.get("error_mentions")) assertThat(e.getMessage()).as(c.get("why").asText()).contains(m.asText());
    }));
  }

  @Test
  void aMissingDirectoryAndAVocabWithoutMergesAreNamed() {
    assertThatThrownBy(() -> TokenizerFiles.load(ERRORS.resolve("no_such_dir")))
        .isInstanceOf(TokenizerException.class).hasMessageContaining("no_such_dir").hasMessageContaining("not a directory");
  }

  @Test
  void idsOutsideTheVocabularyAreErrorsAndPaddedIdsDecodeToNothing() {
    Tokenizer t = TokenizerFiles.load(TokenizerFixtures.RESOURCES.resolve("tiny_qwen2/json_list_merges"));
    assertThatThrownBy(() -> t.decode(new int[] {271})).hasMessage("token id 271 is outside the vocabulary [0, 271)");
    assertThatThrownBy(() -> t.decode(new int[] {-1})).hasMessageContaining("token id -1");
    Tokenizer padded = t.withModelVocabSize(300);
    assertThat(padded.decode(new int[] {75, 271, 299, 78})).isEqualTo("lo");
    assertThatThrownBy(() -> padded.decode(new int[] {300})).hasMessageContaining("token id 300");
    assertThatThrownBy(() -> t.withModelVocabSize(270)).hasMessageContaining("270").hasMessageContaining("271");
  }
}
