package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainCommandTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** A small gpt on p = 7 addition: a second or two. */
  static String[] tiny(Path runs, String name, String... more) {
    List<String> a = new java.util.ArrayList<>(List.of("train", "--p", "7", "--d-model", "32", "--layers", "1",
        "--heads", "4", "--batch-size", "32", "--lr", "0.003", "--runs-dir", runs.toString(), "--run-name", name,
        // the settings before the course defaults, which these tests pin
        "--batch-sampling", "replacement", "--clip", "0", "--eval-first", "0"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  @Test
  void trainsAndWritesTheRunDirectory(@TempDir Path tmp) throws Exception {
    MainTest.Run r = MainTest.run(tiny(tmp, "a", "--steps", "21", "--eval-period", "10"));
    assertThat(r.code()).as(r.err()).isZero();
    Path dir = tmp.resolve("a");
    assertThat(r.out().strip()).isEqualTo(dir.toString());
    assertThat(r.err()).contains("step 0/20").contains("step 20/20").contains("val_acc").contains("t_f(A_val)")
        .contains("wall");
    for (String f : List.of("config.json", "metrics.jsonl", "summary.json", "checkpoints/latest/trainer.json",
        "checkpoints/latest/model.safetensors", "checkpoints/latest/optimizer.safetensors")) {
      assertThat(dir.resolve(f)).isRegularFile();
    }
    assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).hasSize(3);
    JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
    assertThat(config.at("/model/preset").asText()).isEqualTo("gpt");
    assertThat(config.at("/model/config/vocab_size").asInt()).isEqualTo(15); // 7 numbers + 8
    assertThat(config.at("/model/config/hidden_size").asInt()).isEqualTo(32);
    assertThat(config.at("/task/operator").asText()).isEqualTo("+");
    assertThat(config.at("/train/weight_decay").asDouble()).isEqualTo(1.0);
    assertThat(config.at("/train/batch_size").asInt()).isEqualTo(32);
    JsonNode summary = JSON.readTree(dir.resolve("summary.json").toFile());
    assertThat(summary.at("/run_metrics/t_f_L_train").isNumber()).isTrue();

    MainTest.Run again = MainTest.run("train", "--resume", dir.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).contains("already complete");
  }

  @Test
  void configFileWithFlagsOverridingIt(@TempDir Path tmp) throws Exception {
    Path cfg = tmp.resolve("run.json");
    Files.writeString(cfg, """
        {"p": 5, "operator": "*", "steps": 2, "lr": 0.01, "batch_size": 8, "d_model": 16, "layers": 1, "heads": 2,
         "train": {"weight_decay": 0.5}}
        """);
    MainTest.Run r = MainTest.run("train", "--config", cfg.toString(), "--lr", "0.02", "--runs-dir", tmp.toString(),
        "--run-name", "c");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode config = JSON.readTree(tmp.resolve("c/config.json").toFile());
    assertThat(config.at("/task/p").asInt()).isEqualTo(5);
    assertThat(config.at("/task/operator").asText()).isEqualTo("*");
    assertThat(config.at("/train/lr").asDouble()).isEqualTo(0.02);
    assertThat(config.at("/train/weight_decay").asDouble()).isEqualTo(0.5);
    assertThat(config.at("/train/steps").asLong()).isEqualTo(2);

    Files.writeString(cfg, "{\"learning_rate\": 1}");
    MainTest.Run bad = MainTest.run("train", "--config", cfg.toString(), "--runs-dir", tmp.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("unknown key 'learning_rate'");
  }

  @Test
  void lstmLm(@TempDir Path tmp) throws Exception {
    MainTest.Run r = MainTest.run("train", "--model", "lstm-lm", "--p", "5", "--d-model", "16", "--layers", "1",
        "--steps", "3", "--batch-size", "8", "--runs-dir", tmp.toString(), "--run-name", "l");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode config = JSON.readTree(tmp.resolve("l/config.json").toFile());
    assertThat(config.at("/model/config/model_type").asText()).isEqualTo("lstm-lm");
    assertThat(config.at("/model/config/embedding_size").asInt()).isEqualTo(16);
    assertThat(config.at("/model/config/vocab_size").asInt()).isEqualTo(13);
  }

  @Test
  void resumeContinuesAStoppedRun(@TempDir Path tmp) throws Exception {
    // stop a run at step 7 through the trainer (as SIGINT would), then continue it from the CLI
    var task = new lmlab.lab.arith.ArithmeticTask(lmlab.lab.arith.ArithmeticConfig.builder().p(5).build());
    var spec = lmlab.models.Models.preset("gpt", java.util.Map.of("vocab_size", "13", "hidden_size", "16",
        "num_hidden_layers", "1", "num_attention_heads", "2"));
    var cfg = lmlab.train.TrainConfig.defaults().with("steps", 11).with("eval_period", 5).with("batch_size", 8)
        .with("eval_first", 0); // pinned: the test predates eval_first
    Path dir = tmp.resolve("s");
    lmlab.train.Trainer.start(dir, null, spec, task, cfg).stopAt(7).run();
    MainTest.Run r = MainTest.run("train", "--resume", dir.toString(), "--lr", "5");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("resuming " + dir + " at step 7 of 11").contains("--lr ignored with --resume");
    assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).hasSize(3);
    assertThat(JSON.readTree(dir.resolve("summary.json").toFile()).get("status").asText()).isEqualTo("completed");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--r-train|1.5|r_train must lie strictly between 0 and 1",
    "--r-train|0|r_train must lie strictly between 0 and 1",
    "--p|1|p must be >= 2",
    "--operator|%|unknown operator '%'",
    "--orders|4|orders must be 2, 3 or 2,3",
    "--optimizer|adam|unknown optimizer 'adam'",
    "--schedule|linear|unknown schedule 'linear'",
    "--steps|0|steps must be >= 1",
  })
  void badSettingsAreUsageErrors(String flag, String value, String message, @TempDir Path tmp) {
    MainTest.Run r = MainTest.run("train", flag, value, "--runs-dir", tmp.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).startsWith("lmlab: ").contains(message);
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void divisionNeedsAPrimeModulus(@TempDir Path tmp) {
    MainTest.Run r = MainTest.run("train", "--operator", "/", "--p", "8", "--runs-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("operator / needs a prime modulus q").contains("q = 8");
    MainTest.Run q = MainTest.run("train", "--operator", "/", "--p", "7", "--q", "9", "--runs-dir", tmp.toString());
    assertThat(q.code()).isEqualTo(2);
    assertThat(q.err()).contains("prime").contains("q = 9");
  }

  @Test
  void headsWithARecurrentModelIsAUsageError(@TempDir Path tmp) {
    MainTest.Run r = MainTest.run("train", "--model", "lstm-lm", "--heads", "4", "--runs-dir", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--heads: lstm-lm has no attention heads");
  }

  @Test
  void resumeDirectoryThatIsNotARun(@TempDir Path tmp) throws Exception {
    MainTest.Run missing = MainTest.run("train", "--resume", tmp.resolve("nope").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).startsWith("lmlab: cannot resume " + tmp.resolve("nope")).contains("no such directory");
    MainTest.Run empty = MainTest.run("train", "--resume", tmp.toString());
    assertThat(empty.code()).isEqualTo(1);
    assertThat(empty.err()).contains("cannot resume " + tmp).contains("not a run directory: no config.json");
  }

  @Test
  void anExistingRunNameIsRefused(@TempDir Path tmp) throws Exception {
    Files.createDirectories(tmp.resolve("x"));
    Files.writeString(tmp.resolve("x/config.json"), "{}");
    MainTest.Run r = MainTest.run(tiny(tmp, "x", "--steps", "1"));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("already exists").contains("--resume");
  }

  @Test
  void theTaskComesFromTheRegistry(@TempDir Path tmp) throws Exception {
    MainTest.Run unknown = MainTest.run("train", "--task", "chess", "--runs-dir", tmp.toString());
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).startsWith("lmlab: unknown task 'chess'; tasks: arith");
    MainTest.Run r = MainTest.run(tiny(tmp, "t", "--task", "arith", "--steps", "2"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("train_acc").contains("t_f(A_val)");
    Path dir = tmp.resolve("t");
    assertThat(dir.resolve("checkpoints/best/model.safetensors")).isRegularFile();
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("summary.json").toFile())
        .get("monitor").asText()).isEqualTo("val_acc");
  }
}
