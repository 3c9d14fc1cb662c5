package lmlab.tokenize;

import static lmlab.tokenize.TokenizerFixtures.ints;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Tiny Shakespeare's first 90 % / last 10 % of characters encoded whole (corpus_vectors.jsonl):
 * GPT-2 gives 301,966 / 36,059 tokens, nanoGPT's published counts; the ids' sum and SHA-256 pin
 * every id.
 */
class CorpusCountsTest {
  @TestFactory
  Stream<DynamicTest> tinyShakespeareSplits() throws Exception {
    String text = Files.readString(TokenizerFixtures.require(TokenizerFixtures.SHAKESPEARE));
    int[] cps = text.codePoints().toArray();
    int n = (int) (cps.length * 0.9);
    return TokenizerFixtures.jsonLines(TokenizerFixtures.SHARED.resolve("corpus_vectors.jsonl")).stream()
        .map(v -> DynamicTest.dynamicTest(v.get("tokenizer").asText() + " " + v.get("part").asText(), () -> {
          Tokenizer t = TokenizerFixtures.shared(v.get("tokenizer").asText());
          boolean train = v.get("part").asText().equals("train");
          String part = train ? new String(cps, 0, n) : new String(cps, n, cps.length - n);
          assertThat(part.codePointCount(0, part.length())).isEqualTo(v.get("chars").asInt());
          int[] ids = t.encode(part);
          assertThat(ids.length).isEqualTo(v.get("n_tokens").asInt());
          assertThat(Arrays.stream(ids).asLongStream().sum()).isEqualTo(v.get("sum_ids").asLong());
          assertThat(Arrays.copyOf(ids, 16)).containsExactly(ints(v.get("first_16")));
          assertThat(Arrays.copyOfRange(ids, ids.length - 16, ids.length)).containsExactly(ints(v.get("last_16")));
          ByteBuffer le = ByteBuffer.allocate(4 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
          for (int id : ids) le.putInt(id);
          String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(le.array()));
          assertThat(sha).isEqualTo(v.get("sha256_u32le").asText());
          assertThat(t.decode(ids)).isEqualTo(part);
        }));
  }
}
