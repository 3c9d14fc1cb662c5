package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lmlab.lab.text.TextFixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 1 (text.md): a text run killed with SIGKILL mid-way (a separate JVM) and resumed
 * writes the same losses, evaluations and samples as an uninterrupted run. Two stages, so the
 * kill may also fall after the optimizer reset. Slow: two trainings and a JVM start.
 */
@Tag("slow")
class TextKillResumeTest {
  @Test
  void sigkillThenResumeMatchesAnUninterruptedRun(@TempDir Path tmp) throws Exception {
    Path data = TextFixtures.text(tmp, 20000);
    Path config = tmp.resolve("run.json");
    Files.writeString(config, "{\"task\": \"text\", \"stages\": [{\"iters\": 40, \"block_size\": 16}, {\"iters\": 40, \"block_size\": 32}],"
        + " \"set\": {\"num_hidden_layers\": 1, \"hidden_size\": 48}}");
    String[] common = {"--config", config.toString(), "--data", data.toString(), "--batch-size", "8", "--eval-period", "10",
        "--eval-windows", "4", "--runs-dir", tmp.toString()};
    List<String> full = new ArrayList<>(List.of("train", "--run-name", "full"));
    full.addAll(List.of(common));
    MainTest.Run r = MainTest.run(full.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();

    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "lmlab.cli.Main", "train", "--run-name", "killed"));
    cmd.addAll(List.of(common));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
    Path trainer = tmp.resolve("killed/checkpoints/latest/trainer.json");
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.isRegularFile(trainer) && json.readTree(trainer.toFile()).get("step").asLong() >= 50) break;
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("the child should still be running: " + Files.readString(tmp.resolve("killed.log"))).isTrue();
    p.destroyForcibly(); // SIGKILL
    p.waitFor();
    long at = json.readTree(trainer.toFile()).get("step").asLong();
    assertThat(at).isBetween(50L, 79L);

    MainTest.Run resumed = MainTest.run("train", "--resume", tmp.resolve("killed").toString());
    assertThat(resumed.code()).as(resumed.err()).isZero();
    List<String> a = Files.readAllLines(tmp.resolve("killed/steps.jsonl"));
    List<String> b = Files.readAllLines(tmp.resolve("full/steps.jsonl"));
    assertThat(a).hasSize(80).hasSameSizeAs(b);
    for (int i = 0; i < a.size(); i++) {
      var x = json.readTree(a.get(i));
      var y = json.readTree(b.get(i));
      for (String k : List.of("step", "loss", "lr", "block_size", "kv_bytes", "attn_core_bytes")) {
        assertThat(x.get(k)).as("steps.jsonl line %d %s", i, k).isEqualTo(y.get(k));
      }
    }
    List<String> ma = Files.readAllLines(tmp.resolve("killed/metrics.jsonl"));
    List<String> mb = Files.readAllLines(tmp.resolve("full/metrics.jsonl"));
    assertThat(ma).hasSameSizeAs(mb);
    for (int i = 0; i < ma.size(); i++) {
      var x = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(ma.get(i));
      var y = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(mb.get(i));
      x.remove("elapsed_s");
      y.remove("elapsed_s");
      assertThat(x).as("metrics line %d", i).isEqualTo(y);
    }
    assertThat(Files.readAllLines(tmp.resolve("killed/samples.jsonl"))).isEqualTo(Files.readAllLines(tmp.resolve("full/samples.jsonl")))
        .hasSize(2);
  }
}
