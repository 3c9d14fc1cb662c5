package lmlab.tokenize;

import static lmlab.tokenize.TokenizerFixtures.ints;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every line of vectors.jsonl and decode_vectors.jsonl (GPT-2 and Qwen3 ids from independent
 * implementations) and tiny_qwen2's vectors in its three layouts.
 */
class ByteLevelBpeVectorsTest {
  @TestFactory
  Stream<DynamicTest> encodeVectors() {
    return TokenizerFixtures.jsonLines(TokenizerFixtures.SHARED.resolve("vectors.jsonl")).stream()
        .map(v -> DynamicTest.dynamicTest(v.get("tokenizer").asText() + " " + v.get("name").asText(), () -> {
          Tokenizer t = TokenizerFixtures.shared(v.get("tokenizer").asText());
          String text = v.get("text").asText();
          int[] expected = ints(v.get("ids"));
          assertThat(t.encode(text)).as("ids of %s", v.get("name")).containsExactly(expected);
          List<String> tokens = new ArrayList<>();
          for (JsonNode s : v.get("tokens")) tokens.add(s.asText());
          List<String> pieces = new ArrayList<>();
          for (int id : expected) pieces.add(t.piece(id));
          assertThat(pieces).as("tokens").isEqualTo(tokens);
          assertThat(t.decode(expected)).as("decoded").isEqualTo(v.get("decoded").asText());
          assertThat(t.decode(expected, true)).as("decoded_skip_special").isEqualTo(v.get("decoded_skip_special").asText());
          assertThat(TokenizerFixtures.streamed(t, expected, false)).isEqualTo(v.get("decoded").asText());
          assertThat(TokenizerFixtures.streamed(t, expected, true)).isEqualTo(v.get("decoded_skip_special").asText());
        }));
  }

  @TestFactory
  Stream<DynamicTest> decodeVectors() {
    return TokenizerFixtures.jsonLines(TokenizerFixtures.SHARED.resolve("decode_vectors.jsonl")).stream()
        .map(v -> DynamicTest.dynamicTest(v.get("tokenizer").asText() + " " + v.get("name").asText(), () -> {
          Tokenizer t = TokenizerFixtures.shared(v.get("tokenizer").asText());
          int[] ids = ints(v.get("ids"));
          assertThat(t.decode(ids)).isEqualTo(v.get("decoded").asText());
          assertThat(t.decode(ids, true)).isEqualTo(v.get("decoded_skip_special").asText());
          assertThat(TokenizerFixtures.streamed(t, ids, false)).isEqualTo(v.get("decoded").asText());
          assertThat(TokenizerFixtures.streamed(t, ids, true)).isEqualTo(v.get("decoded_skip_special").asText());
        }));
  }

  @TestFactory
  Stream<DynamicTest> tinyQwen2InAllThreeLayouts() {
    List<JsonNode> vectors = TokenizerFixtures.jsonLines(TokenizerFixtures.RESOURCES.resolve("tiny_qwen2/vectors.jsonl"));
    return Stream.of("json_string_merges", "json_list_merges", "vocab_merges").flatMap(layout -> {
      Tokenizer t = TokenizerFiles.load(TokenizerFixtures.RESOURCES.resolve("tiny_qwen2").resolve(layout));
      return vectors.stream().map(v -> DynamicTest.dynamicTest(layout + " " + v.get("text").asText(), () -> {
        assertThat(t.vocabSize()).isEqualTo(271);
        assertThat(t.encode(v.get("text").asText())).containsExactly(ints(v.get("ids")));
        assertThat(t.decode(ints(v.get("ids")))).isEqualTo(v.get("decoded").asText());
      }));
    });
  }
}
