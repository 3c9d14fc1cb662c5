package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The character tokenizer of the text task: nanoGPT's shakespeare_char ids (tokenizers.md). */
class CharTokenizerTest {
  private static CharTokenizer shakespeare() throws Exception {
    return CharTokenizer.fromText(Files.readString(TokenizerFixtures.require(TokenizerFixtures.SHAKESPEARE)));
  }

  @Test
  void tinyShakespeareGivesNanoGptsIds() throws Exception {
    CharTokenizer t = shakespeare();
    assertThat(t.vocabSize()).isEqualTo(65);
    assertThat(t.encode("First Citizen:\n")).containsExactly(18, 47, 56, 57, 58, 1, 15, 47, 58, 47, 64, 43, 52, 10, 0);
    assertThat(t.encode("Hello, world!")).containsExactly(20, 43, 50, 50, 53, 6, 1, 61, 53, 56, 50, 42, 2);
    assertThat(t.decode(t.encode("Hello, world!"))).isEqualTo("Hello, world!");
    assertThat(t.piece(13)).isEqualTo("A");
    assertThat(t.id("a")).hasValue(39);
  }

  @Test
  void unknownCharactersAndIdsAreNamed() throws Exception {
    CharTokenizer t = shakespeare();
    assertThatThrownBy(() -> t.encode("First Citizen: caf\u00e9"))
        .hasMessage("character '\u00e9' (U+00E9) at offset 18 is not in the 65-character vocabulary");
    assertThatThrownBy(() -> t.decode(new int[] {65})).hasMessageContaining("token id 65").hasMessageContaining("65");
  }

  @Test
  void writesAndReadsVocabJsonThroughTheDirectoryLoader(@TempDir Path dir) {
    CharTokenizer t = CharTokenizer.fromText("h\u00e9llo \ud83d\ude00\n");
    t.write(dir.resolve("vocab.json"));
    Tokenizer back = TokenizerFiles.load(dir);
    assertThat(back).isInstanceOf(CharTokenizer.class);
    assertThat(((CharTokenizer) back).chars()).containsExactly("\n", " ", "h", "l", "o", "\u00e9", "\ud83d\ude00");
    assertThat(back.encode("h\u00e9llo \ud83d\ude00")).containsExactly(2, 5, 3, 3, 4, 1, 6);
    assertThat(back.decode(back.encode("h\u00e9llo \ud83d\ude00\n"))).isEqualTo("h\u00e9llo \ud83d\ude00\n");
  }

  @Test
  void badVocabFilesAreNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("vocab.json"), "{\"type\": \"char\", \"chars\": [\"a\", \"bc\"]}");
    assertThatThrownBy(() -> TokenizerFiles.load(dir)).hasMessageContaining("chars[1]").hasMessageContaining("one character");
    Files.writeString(dir.resolve("vocab.json"), "{\"type\": \"char\", \"chars\": [\"a\", \"a\"]}");
    assertThatThrownBy(() -> TokenizerFiles.load(dir)).hasMessageContaining("repeats");
  }
}
