package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lmlab.train.TrainerTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #12 acceptance 4 against a real one-node Slurm (../shared/tools/slurm-local): the tiny
 * sweep through --executor slurm equals the local executor's runs; a point made to fail shows as
 * failed with its exit code and log; running again submits nothing but it, and only with
 * --retry-failed. Skipped with the reason when the cluster cannot start here.
 */
@Tag("slow")
class SlurmExecutorTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path SLURM_LOCAL = Path.of("..", "shared", "tools", "slurm-local");
  static final Map<String, String> ENV = new LinkedHashMap<>();

  @BeforeAll
  static void startSlurm() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "slurm-local needs root; running as "
        + System.getProperty("user.name"));
    assumeTrue(Files.isExecutable(SLURM_LOCAL), SLURM_LOCAL + " is absent");
    assumeTrue(onPath("slurmctld") || onPath("apt-get"), "neither slurmctld nor apt-get is on this machine");
    Out start = exec(List.of(SLURM_LOCAL.toString(), "start"), Map.of(), 600);
    assertThat(start.code()).as("slurm-local start: " + start.text()).isZero();
    Out env = exec(List.of(SLURM_LOCAL.toString(), "env"), Map.of(), 30);
    for (String l : env.text().split("\n")) {
      l = l.strip();
      if (!l.startsWith("export ")) continue;
      String kv = l.substring(7);
      int eq = kv.indexOf('=');
      ENV.put(kv.substring(0, eq), kv.substring(eq + 1).replaceAll("^['\"]|['\"]$", ""));
    }
    assertThat(ENV).containsKey("SLURM_CONF");
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
    return false;
  }

  record Out(int code, String text) {}

  static Out exec(List<String> cmd, Map<String, String> env, long seconds) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("SBATCH_") || k.startsWith("SLURM_"));
    pb.environment().putAll(env);
    Path log = Files.createTempFile("slurm-test", ".log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " took more than " + seconds + " s: " + Files.readString(log));
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    Files.delete(log);
    return new Out(p.exitValue(), text);
  }

  /** lmlab in a child JVM with the cluster's environment. */
  static Out lmlab(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "lmlab.cli.Main"));
    cmd.addAll(List.of(args));
    return exec(cmd, ENV, 900);
  }

  static Path sweep(Path tmp, String name) throws IOException {
    Path f = tmp.resolve(name + ".json");
    Files.writeString(f, """
        {"name": "%s", "base": {"p": 7, "d_model": 16, "layers": 1, "heads": 2, "batch_size": 8},
         "grid": {"lr": [0.001, 0.003, 1e30]}, "seeds": [0], "runs_dir": "%s"}
        """.formatted(name, tmp.resolve(name)));
    return f;
  }

  @Test
  void aSlurmSweepEqualsTheLocalOneAndAFailedPointIsResubmittedAlone(@TempDir Path tmp) throws Exception {
    Out local = lmlab("sweep", "run", sweep(tmp, "local").toString(), "--scale", "tiny", "--jobs", "2");
    assertThat(local.code()).as(local.text()).isEqualTo(1); // the lr 1e30 point fails
    Path f = sweep(tmp, "slurm");
    Out slurm = lmlab("sweep", "run", f.toString(), "--scale", "tiny", "--executor", "slurm", "--cpus-per-task", "1");
    assertThat(slurm.code()).as(slurm.text()).isEqualTo(1);
    Path dir = tmp.resolve("slurm");
    assertThat(dir.resolve("slurm/array.sbatch")).isRegularFile();
    assertThat(Files.readString(dir.resolve("slurm/array.sbatch"))).contains("#SBATCH --cpus-per-task=1")
        .contains("sweep run-one " + dir.toAbsolutePath() + " --index $SLURM_ARRAY_TASK_ID --threads 1");
    long job = JSON.readTree(Files.readAllLines(dir.resolve("slurm/jobs.jsonl")).getFirst()).get("job").asLong();
    String failed = "lr=1e+30,seed=0";
    assertThat(slurm.text()).contains("1 run not completed: " + failed + " (exit 1, log " + dir.resolve("slurm/" + job + "_1.out"));
    // tiny scale: the first and last lr (0.001 and the failing 1e30)
    for (String id : List.of("lr=0.001,seed=0")) {
      TrainerTest.assertSameMetrics(dir.resolve(id), tmp.resolve("local").resolve(id), 3);
    }
    Out status = lmlab("sweep", "status", dir.toString());
    assertThat(status.code()).as(status.text()).isZero();
    assertThat(status.text()).contains(failed + "\tfailed").contains("FAILED exit 1 " + dir.resolve("slurm/" + job + "_1.out"))
        .contains("COMPLETED exit 0");

    Out again = lmlab("sweep", "run", f.toString(), "--scale", "tiny", "--executor", "slurm");
    assertThat(again.code()).as(again.text()).isZero();
    assertThat(again.text()).contains("nothing to submit");
    Out retry = lmlab("sweep", "run", f.toString(), "--scale", "tiny", "--executor", "slurm", "--retry-failed");
    assertThat(retry.code()).as(retry.text()).isEqualTo(1);
    List<String> jobs = Files.readAllLines(dir.resolve("slurm/jobs.jsonl"));
    assertThat(jobs).hasSize(2);
    JsonNode second = JSON.readTree(jobs.get(1));
    assertThat(second.get("indices").toString()).isEqualTo("[1]");
  }

  @Test
  void missingSlurmToolsAreOneLine(@TempDir Path tmp) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "lmlab.cli.Main",
        "sweep", "run", sweep(tmp, "x").toString(), "--executor", "slurm"));
    Map<String, String> env = new LinkedHashMap<>(ENV);
    env.put("PATH", "/nonexistent");
    Out o = exec(cmd, env, 120);
    assertThat(o.code()).isEqualTo(1);
    assertThat(o.text()).contains("lmlab: sbatch not found on PATH");
  }

  @Test
  void cancelledRunsResumeFromTheirCheckpoints(@TempDir Path tmp) throws Exception {
    Path f = tmp.resolve("c.json");
    Files.writeString(f, """
        {"name": "c", "base": {"p": 7, "d_model": 16, "layers": 1, "heads": 2, "batch_size": 8, "steps": 2001,
          "eval_period": 10, "eval_first": 0},
         "grid": {"lr": [0.001]}, "seeds": [0], "runs_dir": "%s"}
        """.formatted(tmp.resolve("c")));
    Out submit = lmlab("sweep", "run", f.toString(), "--executor", "slurm", "--detach");
    assertThat(submit.code()).as(submit.text()).isZero();
    Path trainer = tmp.resolve("c/lr=0.001,seed=0/checkpoints/latest/trainer.json");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline && !(Files.isRegularFile(trainer) && JSON.readTree(trainer.toFile()).get("step").asLong() >= 20)) {
      Thread.sleep(200);
    }
    Out cancel = lmlab("sweep", "cancel", tmp.resolve("c").toString());
    assertThat(cancel.code()).as(cancel.text()).isZero();
    assertThat(cancel.text()).contains("cancelled jobs");
    Out status = null;
    for (int i = 0; i < 60; i++) {
      status = lmlab("sweep", "status", tmp.resolve("c").toString());
      if (status.text().contains("CANCELLED")) break;
      Thread.sleep(1000);
    }
    assertThat(status.text()).contains("\tinterrupted\t").contains("CANCELLED");
    JsonNode at = JSON.readTree(trainer.toFile());
    assertThat(at.get("complete").asBoolean()).isFalse();
    assertThat(at.get("step").asLong()).isBetween(20L, 1999L);
  }
}
