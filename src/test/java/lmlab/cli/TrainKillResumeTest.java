package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lmlab.train.TrainerTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 3 of issue 4: a run killed with SIGKILL mid-way (a separate JVM) and resumed ends
 * with the same metrics as an uninterrupted run. Slow: two trainings and a JVM start.
 */
@Tag("slow")
class TrainKillResumeTest {
  @Test
  void sigkillThenResumeMatchesAnUninterruptedRun(@TempDir Path tmp) throws Exception {
    String[] common = {"--p", "11", "--d-model", "32", "--layers", "1", "--heads", "4", "--batch-size", "64",
        "--steps", "301", "--eval-period", "20", "--eval-first", "0", "--dropout", "0.1", "--lr", "0.003", "--runs-dir", tmp.toString()};
    List<String> full = new ArrayList<>(List.of("train", "--run-name", "full"));
    full.addAll(List.of(common));
    MainTest.Run r = MainTest.run(full.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();

    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "lmlab.cli.Main", "train", "--run-name", "killed"));
    cmd.addAll(List.of(common));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile())
        .start();
    Path trainer = tmp.resolve("killed/checkpoints/latest/trainer.json");
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.isRegularFile(trainer) && json.readTree(trainer.toFile()).get("step").asLong() >= 100) break;
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as("the child should still be running: " + Files.readString(tmp.resolve("killed.log")))
        .isTrue();
    p.destroyForcibly(); // SIGKILL
    p.waitFor();
    long at = json.readTree(trainer.toFile()).get("step").asLong();
    assertThat(at).isBetween(100L, 299L);

    MainTest.Run resumed = MainTest.run("train", "--resume", tmp.resolve("killed").toString());
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.err()).contains("resuming");
    TrainerTest.assertSameMetrics(tmp.resolve("killed"), tmp.resolve("full"), 16);
  }
}
