package lmlab.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.lab.Tasks;
import lmlab.train.Task;
import org.junit.jupiter.api.Test;

class RunSpecTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Map<String, JsonNode> settings(Object... kv) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], JSON.valueToTree(kv[i + 1]));
    return m;
  }

  @Test
  void theRegistryFindsTasksByNameOrAlias() {
    assertThat(Tasks.names()).contains("arith");
    assertThat(Tasks.get("ARITH")).isSameAs(Tasks.get("arithmetic"));
    assertThatThrownBy(() -> Tasks.get("chess")).hasMessage("unknown task 'chess'; tasks: " + String.join(", ", Tasks.names()));
  }

  @Test
  void aRunIsResolvedFromFlatSettings() {
    RunSpec r = RunSpec.of(settings("task", "arith", "p", 7, "orders", "2,3", "model", "lstm-lm", "d_model", 16,
        "steps", 3, "seed", 5, "runs_dir", "/tmp/x"), "r1");
    assertThat(r.task().vocabSize()).isEqualTo(15);
    assertThat(r.task().sequenceLength()).isEqualTo(8);
    assertThat(r.task().monitor()).isEqualTo(Task.Monitor.max("val_acc"));
    assertThat(r.task().describe()).containsEntry("seed", 5L); // the split follows the run's seed
    assertThat(r.modelOverrides()).containsEntry("vocab_size", "15").containsEntry("embedding_size", "16");
    assertThat(r.train().steps()).isEqualTo(3);
    assertThat(r.dir().toString()).isEqualTo("/tmp/x/r1");
    assertThat(r.runConfig().at("/task/name").asText()).isEqualTo("arithmetic");
    assertThat(r.runConfig().at("/model/preset").asText()).isEqualTo("lstm-lm");
    assertThat(RunSpec.of(settings("p", 7, "data_seed", 9, "seed", 5), "r").task().describe()).containsEntry("seed", 9L);
  }

  @Test
  void badSettingsNameTheKey() {
    assertThatThrownBy(() -> RunSpec.of(settings("colour", "red"), "r")).hasMessageStartingWith("unknown key 'colour'");
    assertThatThrownBy(() -> RunSpec.of(settings("task", "chess"), "r")).hasMessageStartingWith("unknown task 'chess'");
    assertThatThrownBy(() -> RunSpec.of(settings("lr", "fast"), "r")).hasMessageContaining("lr must be a number");
    assertThatThrownBy(() -> RunSpec.of(settings("p", 7, "set", Map.of("vocab_size", 3)), "r"))
        .hasMessageContaining("the arithmetic task needs 15 (n = max(p, q) numbers + 8 tokens)");
    assertThatThrownBy(() -> RunSpec.of(settings("p", 7, "set", Map.of("max_position_embeddings", 4)), "r"))
        .hasMessageContaining("max_position_embeddings = 4 is shorter than the sequences (6 input tokens)");
  }
}
