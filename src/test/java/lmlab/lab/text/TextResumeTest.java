package lmlab.lab.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.runs.RunSpec;
import lmlab.train.RunDirectory;
import lmlab.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume of the text task (as the arithmetic task's): a run stopped mid-stage or at a
 * stage boundary and resumed writes the same losses, evaluations and samples as one that was not.
 */
class TextResumeTest {
  /** Two stages (6 updates at S 8, 4 at S 16): steps 0 … 10. */
  static Map<String, JsonNode> staged(Path data, Path runs, String name) {
    Map<String, JsonNode> s = TextFixtures.tiny(data, runs, name);
    s.remove("block_size");
    s.put("stages", TextFixtures.json("[{\"iters\": 6, \"block_size\": 8}, {\"iters\": 4, \"block_size\": 16}]"));
    s.put("eval_period", TextFixtures.json("4"));
    return s;
  }

  @Test
  void stoppedAndResumedRunsEqualAnUninterruptedOne(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 4000);
    Path full = RunSpec.of(staged(data, tmp, "full"), null).start().run().runDir();
    for (long stop : new long[] {6, 9}) { // at the stage boundary (before the optimizer reset) and inside stage 2
      RunSpec spec = RunSpec.of(staged(data, tmp, "stop" + stop), null);
      Trainer first = spec.start().stopAt(stop);
      assertThat(first.run().status()).isEqualTo(Trainer.Status.INTERRUPTED);
      Path dir = spec.dir();
      Trainer resumed = Trainer.resume(dir, RunSpec.taskOf(dir, Trainer.readRunConfig(dir)));
      assertThat(resumed.step()).isEqualTo(stop);
      assertThat(resumed.run().status()).isEqualTo(Trainer.Status.COMPLETED);
      assertSameRun(dir, full);
    }
  }

  /** steps.jsonl (losses, lr, block size, memory), metrics.jsonl and samples.jsonl agree; times aside. */
  static void assertSameRun(Path a, Path b) throws IOException {
    List<ObjectNode> sa = RunDirectory.readLines(a.resolve(RunDirectory.STEPS));
    List<ObjectNode> sb = RunDirectory.readLines(b.resolve(RunDirectory.STEPS));
    assertThat(sa).hasSize(10).hasSameSizeAs(sb);
    for (int i = 0; i < sa.size(); i++) {
      for (String k : List.of("step", "loss", "lr", "block_size", "kv_bytes", "attn_core_bytes")) {
        assertThat(sa.get(i).get(k)).as("%s steps.jsonl line %d %s", a, i, k).isEqualTo(sb.get(i).get(k));
      }
    }
    assertThat(sa.get(5).get("block_size").asInt()).isEqualTo(8);
    assertThat(sa.get(6).get("block_size").asInt()).isEqualTo(16);
    List<ObjectNode> ma = RunDirectory.readLines(a.resolve(RunDirectory.METRICS));
    List<ObjectNode> mb = RunDirectory.readLines(b.resolve(RunDirectory.METRICS));
    // steps 0, 4, 6 (the end of stage 1), 8, 10
    assertThat(ma.stream().map(l -> l.get("step").asInt()).toList()).containsExactly(0, 4, 6, 8, 10);
    assertThat(mb).hasSameSizeAs(ma);
    for (int i = 0; i < ma.size(); i++) {
      ma.get(i).remove("elapsed_s");
      mb.get(i).remove("elapsed_s");
      assertThat(ma.get(i)).as("%s metrics line %d", a, i).isEqualTo(mb.get(i));
    }
    assertThat(ma.getFirst().has("val_loss_S8") && ma.getFirst().has("val_loss_S16")).isTrue();
    List<String> samplesA = Files.exists(a.resolve(TextTask.SAMPLES)) ? Files.readAllLines(a.resolve(TextTask.SAMPLES)) : List.of();
    List<String> samplesB = Files.exists(b.resolve(TextTask.SAMPLES)) ? Files.readAllLines(b.resolve(TextTask.SAMPLES)) : List.of();
    assertThat(samplesA).isEqualTo(samplesB).hasSize(2); // the end of each stage
    assertThat(TextFixtures.JSON.readTree(samplesA.getFirst()).get("step").asInt()).isEqualTo(6);
    JsonNode logs = TextFixtures.JSON.readTree(a.resolve(TextTask.TRAIN_LOGS).toFile());
    assertThat(logs.get("train_losses")).hasSize(10);
    assertThat(logs.get("attention_computation_time")).hasSize(10);
    assertThat(logs.get("attention_computation_memory")).hasSize(10);
    assertThat(a.resolve("checkpoints/latest/vocab.json")).isRegularFile();
  }
}
