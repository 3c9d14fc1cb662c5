package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeCommandTest {
  private static final String TINY = "src/test/resources/tokenizers/tiny_qwen2/vocab_merges";
  private static final Path GPT2 = Path.of("..", "shared", "fixtures", "tokenizers", "gpt2");

  @Test
  void printsIdsAndPiecesAsTextOrJson() throws Exception {
    MainTest.Run text = MainTest.run("tokenize", "--model", TINY, "lower newer<|endoftext|>");
    assertThat(text.code()).as(text.err()).isZero();
    assertThat(text.out().lines().toList())
        .containsExactly("75\tl", "78\to", "86\tw", "260\ter", "220\tĠ", "77\tn", "68\te", "86\tw", "260\ter",
            "270\t<|endoftext|>");
    assertThat(text.err()).contains("tokenizer: byte-level BPE, 271 tokens");
    MainTest.Run json = MainTest.run("tokenize", "--model", TINY, "--format", "json", " ###");
    assertThat(json.code()).as(json.err()).isZero();
    JsonNode row = new ObjectMapper().readTree(json.out());
    assertThat(row.get("count").asInt()).isEqualTo(2);
    assertThat(row.get("ids").toString()).isEqualTo("[268,269]");
    assertThat(row.get("pieces").toString()).isEqualTo("[\"Ġ#\",\"##\"]");
  }

  @Test
  void specialTokensCanBeEncodedAsText() {
    MainTest.Run r = MainTest.run("tokenize", "--model", TINY, "--special-tokens", "text", "<|endoftext|>");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).doesNotContain("270\t");
  }

  @Test
  void dashReadsAnyBytesFromStandardInput() {
    if (!Files.isDirectory(GPT2)) {
      System.out.println("skipped: " + GPT2.toAbsolutePath().normalize() + " is absent");
      return;
    }
    var before = TokenizeCommand.stdin;
    try {
      // "Hello" + an invalid byte + " world": the byte becomes U+FFFD, as from_utf8_lossy does
      TokenizeCommand.stdin = () -> new ByteArrayInputStream(new byte[] {'H', 'e', 'l', 'l', 'o', (byte) 0xFF, ' ', 'w',
          'o', 'r', 'l', 'd'});
      MainTest.Run r = MainTest.run("tokenize", "--model", GPT2.toString(), "--format", "json", "-");
      assertThat(r.code()).as(r.err()).isZero();
      MainTest.Run expected = MainTest.run("tokenize", "--model", GPT2.toString(), "--format", "json", "Hello\uFFFD world");
      assertThat(r.out()).isEqualTo(expected.out());
    } finally {
      TokenizeCommand.stdin = before;
    }
  }

  @Test
  void decodesIds() {
    MainTest.Run r = MainTest.run("tokenize", "--model", TINY, "--decode", "75,78,86", "270", "268");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("low<|endoftext|> #\n");
    MainTest.Run skip = MainTest.run("tokenize", "--model", TINY, "--decode", "--skip-special", "75", "270");
    assertThat(skip.out()).isEqualTo("l\n");
    MainTest.Run bad = MainTest.run("tokenize", "--model", TINY, "--decode", "75", "999");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err().lines().toList().getLast()).startsWith("lmlab: token id 999 is outside the vocabulary [0, 271)");
  }

  @Test
  void errorsAreOneLine(@TempDir Path empty) {
    MainTest.Run none = MainTest.run("tokenize", "--model", empty.toString(), "hi");
    assertThat(none.code()).isEqualTo(1);
    assertThat(none.err().lines().toList()).hasSize(1);
    assertThat(none.err()).contains("lmlab: ").contains("tokenizer.json").contains("merges.txt");
    MainTest.Run format = MainTest.run("tokenize", "--model", TINY, "--format", "xml", "hi");
    assertThat(format.code()).isEqualTo(2);
    assertThat(format.err()).contains("--format must be text or json, got 'xml'");
    MainTest.Run ids = MainTest.run("tokenize", "--model", TINY, "--decode", "7x");
    assertThat(ids.code()).isEqualTo(2);
    assertThat(ids.err()).contains("'7x'");
  }
}
