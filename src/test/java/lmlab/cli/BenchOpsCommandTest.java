package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOpsCommandTest {
  @Test
  void printsOneJsonObjectPerOpAndNothingElse() throws Exception {
    MainTest.Run r = MainTest.run("bench", "ops", "--batch", "2", "--seq", "8", "--reps", "1", "--warmup", "0");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(BenchOpsCommand.Op.values().length);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode n = json.readTree(line);
      assertThat(n.get("bench").asText()).isEqualTo("ops");
      assertThat(n.get("fwd_ms").asDouble()).isPositive();
      assertThat(n.get("fwd_bwd_ms").asDouble()).isPositive();
      assertThat(n.get("alloc_bytes").asLong()).isPositive();
      assertThat(n.has("fwd_gbps") || n.has("fwd_gflops")).isTrue();
    }
    assertThat(json.readTree(lines.get(0)).get("op").asText()).isEqualTo("softmax");
    assertThat(json.readTree(lines.get(0)).get("shape").toString()).isEqualTo("[2,6,8,8]");
  }

  @Test
  void subsetOfOps() {
    MainTest.Run r = MainTest.run("bench", "ops", "--ops", "layer-norm,GELU", "--batch", "1", "--seq", "4", "--reps", "1", "--warmup", "0");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{\"bench\":\"ops\""));
  }

  @Test
  void unknownOpNamesTheValueAndTheChoices() {
    MainTest.Run r = MainTest.run("bench", "ops", "--ops", "softmax,conv2d");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'conv2d' is not an op").contains("layer_norm");
  }

  @Test
  void nonPositiveRepsAreRejected() {
    MainTest.Run r = MainTest.run("bench", "ops", "--reps", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--reps must be >= 1, got 0");
  }
}
