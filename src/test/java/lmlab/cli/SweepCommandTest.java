package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Two tiny runs (p = 7, 6 steps) of one sweep. */
  static Path sweepFile(Path tmp, long steps) throws Exception {
    Path f = tmp.resolve("sweep.json");
    Files.writeString(f, """
        {"name": "t", "base": {"p": 7, "d_model": 16, "layers": 1, "heads": 2, "batch_size": 8, "steps": %d,
          "eval_period": 5, "eval_first": 0},
         "grid": {"lr": [0.001, 0.002]}, "seeds": [0], "runs_dir": "%s"}
        """.formatted(steps, tmp.resolve("t")));
    return f;
  }

  @Test
  void aSweepTrainsItsRunsAndRunningItAgainTrainsNothing(@TempDir Path tmp) throws Exception {
    Path f = sweepFile(tmp, 6);
    MainTest.Run list = MainTest.run("sweep", "list", f.toString());
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).contains("0\tlr=0.001,seed=0\tlr=0.001 seed=0").contains("2 runs (full scale)");

    MainTest.Run r = MainTest.run("sweep", "run", f.toString(), "--jobs", "2");
    assertThat(r.code()).as(r.err()).isZero();
    Path dir = tmp.resolve("t");
    assertThat(r.out().strip()).isEqualTo(dir.toString());
    assertThat(r.err()).contains("2 runs in " + dir + ": 0 completed, 2 to train").contains("2 of 2 runs completed");
    JsonNode sweep = JSON.readTree(dir.resolve("sweep.json").toFile());
    assertThat(sweep.get("name").asText()).isEqualTo("t");
    assertThat(sweep.get("grid").get("lr")).hasSize(2); // the description as given
    assertThat(sweep.get("runs").get(1).get("id").asText()).isEqualTo("lr=0.002,seed=0");
    assertThat(sweep.at("/runs/1/settings/lr").asDouble()).isEqualTo(0.002);
    for (String id : new String[] {"lr=0.001,seed=0", "lr=0.002,seed=0"}) {
      Path run = dir.resolve(id);
      assertThat(run.resolve("summary.json")).isRegularFile();
      assertThat(run.resolve(".lock")).doesNotExist();
      assertThat(JSON.readTree(run.resolve("config.json").toFile()).at("/train/lr").asDouble())
          .isEqualTo(id.contains("0.001") ? 0.001 : 0.002);
      assertThat(dir.resolve("logs").resolve(id + ".log")).isRegularFile();
    }
    long before = Files.getLastModifiedTime(dir.resolve("lr=0.001,seed=0/metrics.jsonl")).toMillis();

    MainTest.Run again = MainTest.run("sweep", "run", f.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).contains("2 completed, 0 to train");
    assertThat(Files.getLastModifiedTime(dir.resolve("lr=0.001,seed=0/metrics.jsonl")).toMillis()).isEqualTo(before);

    // --threads is each run's thread count, whatever --jobs is
    try {
      MainTest.Run threads = MainTest.run("--threads", "3", "sweep", "run", f.toString(), "--jobs", "2");
      assertThat(threads.code()).as(threads.err()).isZero();
      assertThat(threads.err()).contains("3 threads each");
    } finally {
      lmlab.kernels.Parallel.useDefaultThreads();
    }

    MainTest.Run status = MainTest.run("sweep", "status", dir.toString());
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("lr=0.002,seed=0\tcompleted\t5/6").contains("2 runs: 2 completed");

    // the same sweep with other settings is refused, naming the first differing key
    Path changed = sweepFile(tmp, 7);
    MainTest.Run bad = MainTest.run("sweep", "run", changed.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).startsWith("lmlab: run " + dir.resolve("lr=0.001,seed=0") + " was made from other settings: "
        + "train.steps (6.0 in the run, 7.0 in the sweep); a changed sweep needs a new name (--name)");
  }

  @Test
  void badInputIsOneLine(@TempDir Path tmp) throws Exception {
    MainTest.Run none = MainTest.run("sweep", "run", "no-such-sweep");
    assertThat(none.code()).isEqualTo(1);
    assertThat(none.err()).startsWith("lmlab: 'no-such-sweep' is neither a sweep file nor a built-in experiment");
    Path f = tmp.resolve("s.json");
    Files.writeString(f, "{\"name\": \"x\", \"grid\": {\"model\": [\"gpt\"]}, \"base\": {\"lr\": \"fast\"}}");
    MainTest.Run type = MainTest.run("sweep", "list", f.toString());
    assertThat(type.code()).isEqualTo(1);
    assertThat(type.err()).isEqualTo("lmlab: sweep x: run model=gpt,seed=0: train settings: lr must be a number, got \"fast\"\n");
    MainTest.Run shard = MainTest.run("sweep", "run", f.toString(), "--shard", "2/2");
    assertThat(shard.code()).isEqualTo(2);
    assertThat(shard.err()).contains("--shard must be i/n with 0 <= i < n, got '2/2'");
    MainTest.Run notSweep = MainTest.run("sweep", "status", tmp.toString());
    assertThat(notSweep.code()).isEqualTo(1);
    assertThat(notSweep.err()).startsWith("lmlab: " + tmp + " is not a sweep directory: it has no sweep.json");
    MainTest.Run grid = MainTest.run("sweep", "list", "--name", "g", "--grid", "r_train=0.1,0.9", "--seeds", "0",
        "--set", "steps=11");
    assertThat(grid.code()).as(grid.err()).isZero();
    assertThat(grid.out()).contains("r_train=0.1,seed=0").contains("2 runs (full scale) in runs/g");
  }

  @Test
  void experimentListNamesTheBuiltInsAndTheirRunCounts() {
    // the text experiments' runs are checked against their data file when listed
    assumeTrue(Files.exists(lmlab.lab.text.TextFixtures.SHAKESPEARE), "skipped: ../shared/data/tinyshakespeare.txt absent");
    MainTest.Run r = MainTest.run("experiment", "list");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("grok-sanity\t4 runs").contains("grok-data\t36 runs").contains("grok-orders\t4 runs")
        .contains("grok-size\t36 runs").contains("grok-compute\t20 runs").contains("grok-wd\t8 runs")
        .contains("grok-all\t108 runs");
    MainTest.Run bad = MainTest.run("experiment", "run", "grok-everything");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).startsWith("lmlab: unknown experiment 'grok-everything'; built-ins: grok-sanity");
  }
}
