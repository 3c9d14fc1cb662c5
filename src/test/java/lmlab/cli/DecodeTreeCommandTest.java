package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import lmlab.cli.MainTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmlab decode-tree} on the course-style example and on malformed trees. */
class DecodeTreeCommandTest {
  static final String TREE = Path.of("examples", "decoding", "tree.json").toString();

  @TempDir Path tmp;

  @Test
  void theThreeStrategiesGiveThreeAnswers() throws Exception {
    Run greedy = MainTest.run("decode-tree", TREE);
    assertThat(greedy.code()).as(greedy.err()).isZero();
    assertThat(greedy.out()).startsWith("the cat sat <EOS>").contains("p = 0.110000");
    Run beam = MainTest.run("decode-tree", TREE, "--strategy", "beam", "--beams", "2");
    assertThat(beam.code()).as(beam.err()).isZero();
    assertThat(beam.out().lines().toList()).hasSize(2);
    assertThat(beam.out()).startsWith("a cat ran <EOS>").contains("p = 0.162000");
    Run exact = MainTest.run("decode-tree", TREE, "--strategy", "exhaustive", "--beams", "3", "--format", "json");
    assertThat(exact.code()).as(exact.err()).isZero();
    JsonNode seqs = new ObjectMapper().readTree(exact.out()).get("sequences");
    assertThat(seqs).hasSize(3);
    assertThat(seqs.get(0).get("text").asText()).isEqualTo("one cat purred <EOS>");
    assertThat(seqs.get(0).get("probability").asDouble()).isCloseTo(0.19, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(seqs.get(1).get("text").asText()).isEqualTo("a cat ran <EOS>");
  }

  @Test
  void badTreesAndOptionsAreOneLineErrors() throws Exception {
    Path over = tmp.resolve("over.json");
    Files.writeString(over, "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"prob\": 0.7}, "
        + "{\"token\": \"b\", \"logprob\": -0.5}]}");
    Run r = MainTest.run("decode-tree", over.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err()).startsWith("lmlab: " + over).contains("node '<BOS>'").contains("1.30653066");
    Run beams = MainTest.run("decode-tree", TREE, "--strategy", "beam", "--beams", "0");
    assertThat(beams.code()).isEqualTo(2);
    assertThat(beams.err()).startsWith("lmlab: --beams must be >= 1, got 0");
    Run greedyBeams = MainTest.run("decode-tree", TREE, "--beams", "2");
    assertThat(greedyBeams.code()).isEqualTo(2);
    assertThat(greedyBeams.err()).startsWith("lmlab: --beams applies to --strategy beam or exhaustive, not greedy");
    Run tooMany = MainTest.run("decode-tree", TREE, "--strategy", "exhaustive", "--max-new-tokens", "8");
    assertThat(tooMany.code()).isEqualTo(1);
    assertThat(tooMany.err()).startsWith("lmlab: exhaustive search: N^T = 12^8 = 429981696 sequences is above the limit");
  }
}
