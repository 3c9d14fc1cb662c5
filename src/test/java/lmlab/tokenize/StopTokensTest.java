package lmlab.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StopTokensTest {
  @Test
  void generationConfigThenConfigThenTheTokenizersEos(@TempDir Path dir) throws Exception {
    Tokenizer qwen3 = TokenizerFixtures.shared("qwen3");
    assertThat(StopTokens.eosId(qwen3)).hasValue(151645); // <|im_end|>
    assertThat(StopTokens.of(dir, qwen3)).containsExactly(151645);
    Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 151643}");
    assertThat(StopTokens.of(dir, qwen3)).containsExactly(151643);
    Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [151645, 151643]}");
    assertThat(StopTokens.of(dir, qwen3)).containsExactly(151645, 151643);
    Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
    assertThatThrownBy(() -> StopTokens.of(dir, qwen3)).hasMessageContaining("generation_config.json")
        .hasMessageContaining("eos_token_id");
  }

  @Test
  void bareGpt2FilesEndAtEndOfText() {
    Tokenizer gpt2 = TokenizerFixtures.shared("gpt2");
    assertThat(StopTokens.eosId(gpt2)).hasValue(50256);
    assertThat(gpt2.isSpecial(50256)).isTrue();
    assertThat(gpt2.decode(new int[] {15496, 50256}, true)).isEqualTo("Hello");
  }
}
