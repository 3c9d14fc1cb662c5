package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lmlab.cli.MainTest.Run;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmlab runs summarize} on hand-written run directories with exactly known metrics. */
class RunsCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  Path gpt0;
  Path gpt42;
  Path lstm0;

  private static String config(String preset, int hidden, int seed, String orders) {
    return """
        {"name": "%s-s%d", "model": {"preset": "%s", "overrides": {"vocab_size": "39"},
          "config": {"model_type": "%s", "hidden_size": %d}},
         "task": {"name": "arithmetic", "p": 31, "q": 31, "operator": "+", "orders": %s, "r_train": 0.5,
          "seed": %d, "loss_on": "rhs"},
         "train": {"steps": 10001, "seed": %d, "lr": 0.001, "batch_size": 512},
         "threads": 2}
        """.formatted(preset, seed, preset, preset.equals("gpt") ? "gpt2" : preset, hidden, orders, seed, seed);
  }

  private static String line(long step, double tl, double ta, double vl, double va) {
    return "{\"step\": %d, \"train_loss\": %s, \"train_acc\": %s, \"val_loss\": %s, \"val_acc\": %s, \"param_norm\": 30.5, \"elapsed_s\": 1.5}\n"
        .formatted(step, tl, ta, vl, va);
  }

  private Path run(String name, String config, String metrics, String summary) throws IOException {
    Path d = Files.createDirectories(tmp.resolve("runs").resolve(name));
    Files.writeString(d.resolve("config.json"), config);
    Files.writeString(d.resolve("metrics.jsonl"), metrics);
    if (summary != null) Files.writeString(d.resolve("summary.json"), summary);
    return d;
  }

  @BeforeEach
  void runs() throws IOException {
    // gpt seed 0: L_train 0.002 @7500, L_val 0.04 @10000, A_train 1 @1000, A_val 1 @7500
    gpt0 = run("gpt-s0", config("gpt", 128, 0, "[2]"),
        line(0, 3.6, 0.03, 3.6, 0.03) + line(1000, 0.01, 1.0, 5.0, 0.05) + line(7500, 0.002, 1.0, 0.05, 1.0)
            + line(10000, 0.003, 1.0, 0.04, 1.0),
        "{\"status\": \"completed\", \"wall_time_s\": 100.0}");
    // gpt seed 42: L_train 0.004 @8200, L_val 0.05 @10000, A_train 1 @2000, A_val 1 @8200
    gpt42 = run("gpt-s42", config("gpt", 128, 42, "[2]"),
        line(0, 3.5, 0.02, 3.5, 0.02) + line(1000, 0.02, 0.9, 4.0, 0.04) + line(2000, 0.01, 1.0, 4.5, 0.04)
            + line(8200, 0.004, 1.0, 0.06, 1.0) + line(10000, 0.004, 1.0, 0.05, 1.0),
        "{\"status\": \"completed\", \"wall_time_s\": 120.0}");
    // lstm seed 0, interrupted (no summary, torn last line): L_train 0.5 @500, A_val 0.5 @500
    lstm0 = run("lstm-s0", config("lstm-lm", 64, 0, "[2]"),
        line(0, 3.0, 0.0, 3.0, 0.0) + line(500, 0.5, 0.75, 2.0, 0.5) + "{\"step\": 600, \"train_lo", null);
  }

  private static Run summarize(Object... args) {
    String[] all = new String[args.length + 2];
    all[0] = "runs";
    all[1] = "summarize";
    for (int i = 0; i < args.length; i++) all[i + 2] = args[i].toString();
    return MainTest.run(all);
  }

  @Test
  void markdownGroupsSeedsAndReportsMeanAndPopulationStd() {
    Run r = summarize(gpt0, gpt42, lstm0);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.get(0)).isEqualTo("Run metrics, mean ± std over the runs of each group (population std)");
    assertThat(lines).contains(
        "| group | runs | L_train | L_val | A_train | A_val | t_f(L_train) | t_f(L_val) | t_f(A_train) | t_f(A_val)"
            + " | Δt(L) | Δt(A) | wall time (s) |",
        "| preset=gpt | 2 | 0.003000 ± 0.001000 | 0.04500 ± 0.005000 | 1.000 ± 0.000 | 1.000 ± 0.000 | 7850 ± 350"
            + " | 10000 ± 0 | 1500 ± 500 | 7850 ± 350 | 2150 ± 350 | 6350 ± 150 | 110.0 ± 10.00 |",
        "| preset=lstm-lm | 1 | 0.5000 ± 0.000 | 2.000 ± 0.000 | 0.7500 ± 0.000 | 0.5000 ± 0.000 | 500 ± 0 | 500 ± 0"
            + " | 500 ± 0 | 500 ± 0 | 0 ± 0 | 0 ± 0 | – |");
    assertThat(r.out()).doesNotContain("Order 2");
  }

  @Test
  void tMaxTruncatesEveryRun() {
    Run r = summarize(gpt0, gpt42, "--t-max", 5000);
    assertThat(r.code()).as(r.err()).isZero();
    // s0 up to 5000: L_train 0.01 @1000, L_val 3.6 @0, A_train 1 @1000, A_val 0.05 @1000
    // s42 up to 5000: L_train 0.01 @2000, L_val 3.5 @0, A_train 1 @2000, A_val 0.04 @1000
    assertThat(r.out().lines().toList()).contains(
        "| all runs | 2 | 0.01000 ± 0.000 | 3.550 ± 0.05000 | 1.000 ± 0.000 | 0.04500 ± 0.005000 | 1500 ± 500"
            + " | 0 ± 0 | 1500 ± 500 | 1000 ± 0 | -1500 ± 500 | -500 ± 500 | 110.0 ± 10.00 |");
    assertThat(r.out()).startsWith("Run metrics, mean ± std over the runs of each group (population std), evaluations"
        + " at steps <= 5000");
  }

  @Test
  void csvHasOneRowPerGroupWithMeansAndStds() {
    Run r = summarize(gpt0, gpt42, lstm0, "--format", "csv");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).isEqualTo("group,order,runs,L_train_mean,L_train_std,L_val_mean,L_val_std,A_train_mean,"
        + "A_train_std,A_val_mean,A_val_std,t_f_L_train_mean,t_f_L_train_std,t_f_L_val_mean,t_f_L_val_std,"
        + "t_f_A_train_mean,t_f_A_train_std,t_f_A_val_mean,t_f_A_val_std,delta_t_L_mean,delta_t_L_std,delta_t_A_mean,"
        + "delta_t_A_std,wall_time_s_mean,wall_time_s_std");
    String[] gpt = lines.get(1).split(",", -1);
    assertThat(gpt[0]).isEqualTo("preset=gpt");
    assertThat(gpt[1]).isEqualTo("all");
    assertThat(gpt[2]).isEqualTo("2");
    assertThat(Double.parseDouble(gpt[3])).isCloseTo(0.003, org.assertj.core.data.Offset.offset(1e-15));
    assertThat(List.of(gpt).subList(11, 25)).containsExactly(
        "7850", "350", "10000", "0", "1500", "500", "7850", "350", "2150", "350", "6350", "150", "110", "10");
    assertThat(lines.get(2)).startsWith("preset=lstm-lm,all,1,0.5,0,2,0,0.75,0,0.5,0,500,0,500,0,500,0,500,0,0,0,0,0,,");
  }

  @Test
  void jsonCarriesEveryRunsValues() throws IOException {
    Run r = summarize(gpt0, gpt42, lstm0, "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode root = JSON.readTree(r.out());
    assertThat(root.get("t_max").isNull()).isTrue();
    JsonNode g = root.get("groups").get(0);
    assertThat(g.get("label").asText()).isEqualTo("preset=gpt");
    assertThat(g.get("group").get("preset").asText()).isEqualTo("gpt");
    assertThat(g.get("n").asInt()).isEqualTo(2);
    assertThat(g.get("runs").get(0).asText()).isEqualTo(gpt0.toString());
    JsonNode tf = g.get("metrics").get("t_f_A_val");
    assertThat(tf.get("mean").asDouble()).isEqualTo(7850);
    assertThat(tf.get("std").asDouble()).isEqualTo(350);
    assertThat(tf.get("values").get(0).asLong()).isEqualTo(7500);
    assertThat(tf.get("values").get(1).asLong()).isEqualTo(8200);
    assertThat(g.get("metrics").get("L_train").get("values").get(0).asDouble()).isEqualTo(0.002);
    assertThat(g.get("wall_time_s").get("mean").asDouble()).isEqualTo(110);
    assertThat(g.has("orders")).isFalse();
    assertThat(root.get("groups").get(1).has("wall_time_s")).isFalse();
  }

  @Test
  void groupByAConfigKey() throws IOException {
    Run r = summarize(gpt0, gpt42, lstm0, "--group-by", "operator", "--format", "json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode groups = JSON.readTree(r.out()).get("groups");
    assertThat(groups).hasSize(1);
    assertThat(groups.get(0).get("label").asText()).isEqualTo("operator=+");
    JsonNode tf = groups.get(0).get("metrics").get("t_f_A_val");
    assertThat(tf.get("values").toString()).isEqualTo("[7500,8200,500]");
    assertThat(tf.get("mean").asDouble()).isCloseTo(16200.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    // a dotted key, and the seed itself: one group per seed
    Run bySeed = summarize(gpt0, gpt42, lstm0, "--group-by", "train.seed");
    assertThat(bySeed.code()).as(bySeed.err()).isZero();
    assertThat(bySeed.out()).contains("| train.seed=0 | 2 |").contains("| train.seed=42 | 1 |");
    // a subtree: its differing leaves label the groups
    Run byModel = summarize(gpt0, lstm0, "--group-by", "model", "--format", "csv");
    assertThat(byModel.code()).as(byModel.err()).isZero();
    assertThat(byModel.out()).contains("\"model.preset=gpt, model.config.model_type=gpt2, model.config.hidden_size=128\"");
  }

  @Test
  void perOrderTablesWithBothOrders() throws IOException {
    String both = "{\"step\": 0, \"train_loss\": 3, \"train_acc\": 0, \"val_loss\": 3, \"val_acc\": 0,"
        + " \"train_loss_order2\": 3, \"train_acc_order2\": 0, \"val_loss_order2\": 3, \"val_acc_order2\": 0,"
        + " \"train_loss_order3\": 3, \"train_acc_order3\": 0, \"val_loss_order3\": 3, \"val_acc_order3\": 0}\n"
        + "{\"step\": 100, \"train_loss\": 1, \"train_acc\": 0.5, \"val_loss\": 2, \"val_acc\": 0.25,"
        + " \"train_loss_order2\": 0.5, \"train_acc_order2\": 1, \"val_loss_order2\": 1, \"val_acc_order2\": 0.5,"
        + " \"train_loss_order3\": 1.5, \"train_acc_order3\": 0.25, \"val_loss_order3\": 2.5, \"val_acc_order3\": 0.125}\n";
    Path d = run("mixed", config("gpt", 128, 0, "[2, 3]"), both, null);
    Run r = summarize(d);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("Order 2 (binary equations only)").contains("Order 3 (ternary equations only)");
    assertThat(r.out().lines().toList()).contains(
        "| all runs | 1 | 0.5000 ± 0.000 | 1.000 ± 0.000 | 1.000 ± 0.000 | 0.5000 ± 0.000 | 100 ± 0 | 100 ± 0 | 100 ± 0"
            + " | 100 ± 0 | 0 ± 0 | 0 ± 0 |",
        "| all runs | 1 | 1.500 ± 0.000 | 2.500 ± 0.000 | 0.2500 ± 0.000 | 0.1250 ± 0.000 | 100 ± 0 | 100 ± 0 | 100 ± 0"
            + " | 100 ± 0 | 0 ± 0 | 0 ± 0 |");
    Run csv = summarize(d, "--format", "csv");
    assertThat(csv.out().lines().map(l -> l.split(",")[1]).toList()).containsExactly("order", "all", "2", "3");
    Run json = summarize(d, "--format", "json");
    JsonNode g = JSON.readTree(json.out()).get("groups").get(0);
    assertThat(g.get("orders").get("3").get("A_val").get("mean").asDouble()).isEqualTo(0.125);
  }

  @Test
  void aDirectoryThatIsNotARunIsNamed() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Run r = summarize(gpt0, empty);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("lmlab: " + empty + " is not a run directory: it has no metrics.jsonl\n");
    // the parent of runs: say which runs it holds
    Run parent = summarize(tmp.resolve("runs"));
    assertThat(parent.code()).isEqualTo(2);
    assertThat(parent.err()).contains(tmp.resolve("runs") + " is not a run directory: it has no metrics.jsonl (it holds 3"
        + " runs: ").contains("give those, e.g. " + tmp.resolve("runs").resolve("*"));
    Run missing = summarize(tmp.resolve("nope"));
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("lmlab: " + tmp.resolve("nope") + ": no such directory");
    Path noConfig = Files.createDirectories(tmp.resolve("noconfig"));
    Files.writeString(noConfig.resolve("metrics.jsonl"), line(0, 1, 0, 1, 0));
    assertThat(summarize(noConfig).err()).contains(noConfig + " is not a complete run directory: it has metrics.jsonl"
        + " but no config.json");
    Path noLines = run("nolines", config("gpt", 128, 0, "[2]"), "", null);
    assertThat(summarize(noLines).err()).contains(noLines.resolve("metrics.jsonl") + " holds no evaluations yet");
  }

  @Test
  void aBrokenMetricsLineIsNamedByFileAndLine() throws IOException {
    Path d = run("broken", config("gpt", 128, 0, "[2]"), line(0, 1, 0, 1, 0) + "{oops\n" + line(100, 1, 0, 1, 0), null);
    Run r = summarize(d);
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("lmlab: " + d.resolve("metrics.jsonl") + ":2: not valid JSON");
    Path noStep = run("nostep", config("gpt", 128, 0, "[2]"), "{\"train_loss\": 1}\n" + line(100, 1, 0, 1, 0), null);
    assertThat(summarize(noStep).err()).contains(noStep.resolve("metrics.jsonl") + ":1: no whole-number \"step\"");
    Path badConfig = run("badconfig", "[1, 2]", line(0, 1, 0, 1, 0), null);
    assertThat(summarize(badConfig).err()).contains(badConfig.resolve("config.json") + ": not a JSON object");
  }

  @Test
  void badOptions() {
    Run unknownKey = summarize(gpt0, "--group-by", "colour");
    assertThat(unknownKey.code()).isEqualTo(2);
    assertThat(unknownKey.err()).contains("lmlab: --group-by 'colour': no run's config.json has that key; keys: ")
        .contains("task.operator");
    Run format = summarize(gpt0, "--format", "xml");
    assertThat(format.code()).isEqualTo(2);
    assertThat(format.err()).contains("'xml' is not a format: use markdown, csv or json");
    Run tmax = summarize(gpt0, "--t-max", "-1");
    assertThat(tmax.code()).isEqualTo(2);
    assertThat(tmax.err()).contains("lmlab: --t-max must be >= 0, got -1");
    Run none = summarize();
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("DIR");
    Run noSub = MainTest.run("runs");
    assertThat(noSub.code()).isEqualTo(2);
    assertThat(noSub.err()).contains("give a subcommand: summarize");
  }
}
