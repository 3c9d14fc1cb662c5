package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lmlab.train.TrainerTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue #12 acceptance 3: kill -9 of `sweep run --jobs 2` mid-way, then running it again, equals an uninterrupted sweep. */
@Tag("slow")
class SweepKillResumeTest {
  static Path sweep(Path tmp, String name) throws Exception {
    Path f = tmp.resolve(name + ".json");
    Files.writeString(f, """
        {"name": "%s", "base": {"p": 11, "d_model": 32, "layers": 1, "heads": 4, "batch_size": 16, "steps": 121,
          "eval_period": 10, "eval_first": 3, "checkpoint_period": 20, "dropout": 0.1, "lr": 0.003},
         "grid": {"model": ["gpt"], "r_train": [0.3, 0.6]}, "seeds": [0, 42], "runs_dir": "%s"}
        """.formatted(name, tmp.resolve(name)));
    return f;
  }

  @Test
  void killedSweepResumesToTheUninterruptedMetrics(@TempDir Path tmp) throws Exception {
    // one thread per run in both sweeps, so results are comparable bit for bit
    MainTest.Run full = MainTest.run("sweep", "run", sweep(tmp, "full").toString(), "--jobs", "2");
    assertThat(full.code()).as(full.err()).isZero();

    Path f = sweep(tmp, "killed");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "lmlab.cli.Main", "sweep", "run", f.toString(), "--jobs", "2"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
    Path first = tmp.resolve("killed/model=gpt,r_train=0.3,seed=0/checkpoints/latest/trainer.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.isRegularFile(first) && new com.fasterxml.jackson.databind.ObjectMapper().readTree(first.toFile()).get("step").asLong() >= 40) break;
      Thread.sleep(50);
    }
    assertThat(p.isAlive()).as(Files.readString(tmp.resolve("killed.log"))).isTrue();
    p.destroyForcibly(); // SIGKILL: the children see their stdin close and checkpoint
    p.waitFor();
    Thread.sleep(3000); // let the children checkpoint and exit

    MainTest.Run resumed = MainTest.run("sweep", "run", f.toString(), "--jobs", "2");
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.err()).contains("4 of 4 runs completed");
    for (String id : List.of("model=gpt,r_train=0.3,seed=0", "model=gpt,r_train=0.3,seed=42",
        "model=gpt,r_train=0.6,seed=0", "model=gpt,r_train=0.6,seed=42")) {
      // steps 0 .. 3, 10, 20, ..., 120
      TrainerTest.assertSameMetrics(tmp.resolve("killed").resolve(id), tmp.resolve("full").resolve(id), 16);
    }
  }
}
