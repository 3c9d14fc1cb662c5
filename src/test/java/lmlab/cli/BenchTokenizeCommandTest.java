package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchTokenizeCommandTest {
  @Test
  void printsOneJsonLineWithTheSpeed(@TempDir Path dir) throws Exception {
    Path text = dir.resolve("t.txt");
    Files.writeString(text, "lower newer 010;}\n".repeat(200));
    MainTest.Run r = MainTest.run("bench", "tokenize", "--tokenizer", "src/test/resources/tokenizers/tiny_qwen2/vocab_merges",
        "--text", text.toString(), "--runs", "1");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode row = new ObjectMapper().readTree(r.out());
    assertThat(row.get("bench").asText()).isEqualTo("tokenize");
    assertThat(row.get("bytes").asInt()).isEqualTo(18 * 200);
    // per line: l o w er Ġ n e w er Ġ 0 1 0 ;}Ċ (tiny_qwen2's vectors)
    assertThat(row.get("tokens").asInt()).isEqualTo(14 * 200);
    assertThat(row.get("mb_per_s").asDouble()).isPositive();
    assertThat(row.get("tokens_per_s").asDouble()).isPositive();
    assertThat(row.get("cpu_mb_per_s").asDouble()).isPositive();
  }

  @Test
  void aMissingTextFileIsNamed(@TempDir Path dir) {
    MainTest.Run r = MainTest.run("bench", "tokenize", "--tokenizer", "src/test/resources/tokenizers/tiny_qwen2/vocab_merges",
        "--text", dir.resolve("absent.txt").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("absent.txt");
  }
}
