package lmlab.lab.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** text.md "Data": the vocabulary, the split and the windows; bad files are one-line errors naming them. */
class TextDataTest {
  @Test
  void tinyShakespeareFactsOfTheSpec() {
    boolean present = Files.isRegularFile(TextFixtures.SHAKESPEARE);
    if (!present) System.out.println("skipped: " + TextFixtures.SHAKESPEARE + " is absent");
    assumeTrue(present);
    TextData d = TextData.load(TextFixtures.SHAKESPEARE, 0.9);
    assertThat(d.sha256()).isEqualTo("86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed");
    assertThat(d.size()).isEqualTo(1_115_394);
    assertThat(d.vocab().vocabSize()).isEqualTo(65);
    assertThat(String.join("", d.vocab().chars()))
        .isEqualTo("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    assertThat(d.vocab().id("\n").getAsInt()).isZero();
    assertThat(d.vocab().id(" ").getAsInt()).isEqualTo(1);
    assertThat(d.vocab().id("A").getAsInt()).isEqualTo(13);
    assertThat(d.vocab().id("a").getAsInt()).isEqualTo(39);
    assertThat(d.nTrain()).isEqualTo(1_003_854);
    assertThat(d.nVal()).isEqualTo(111_540);
    assertThat(d.windows(true, 128, 0)).hasSize(871);
    assertThat(d.windows(true, 256, 0)).hasSize(435);
    assertThat(d.windows(false, 128, 0)).hasSize(871).startsWith(0, 128, 256);
    assertThat(d.windows(true, 128, 16)).hasSize(16).startsWith(1_003_854, 1_003_854 + 128);
    assertThat(TextData.load(TextFixtures.SHAKESPEARE, 1.0).nTrain()).isEqualTo(1_115_394);
  }

  @Test
  void vocabularyIsTheSortedDistinctCodePoints(@TempDir Path tmp) throws IOException {
    Path f = tmp.resolve("u.txt");
    Files.writeString(f, "bé a\nbé😀");
    TextData d = TextData.load(f, 0.5);
    assertThat(d.vocab().chars()).containsExactly("\n", " ", "a", "b", "é", "😀");
    assertThat(d.size()).isEqualTo(8); // code points, not UTF-16 units or bytes
    assertThat(d.ids()).containsExactly(3, 4, 1, 2, 0, 3, 4, 5);
    assertThat(d.nTrain()).isEqualTo(4);
  }

  @Test
  void badFilesAreOneLineErrorsNamingThem(@TempDir Path tmp) throws IOException {
    Path missing = tmp.resolve("missing.txt");
    assertThatThrownBy(() -> TextData.load(missing, 0.9)).hasMessage("data file " + missing + ": no such file");
    Path empty = Files.write(tmp.resolve("empty.txt"), new byte[0]);
    assertThatThrownBy(() -> TextData.load(empty, 0.9)).hasMessage("data file " + empty + " is empty; expected UTF-8 text");
    Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
    assertThatThrownBy(() -> TextData.load(latin1, 0.9))
        .hasMessage("data file " + latin1 + " is not UTF-8: malformed byte 0xE9 at byte offset 3; expected UTF-8 text");
  }
}
