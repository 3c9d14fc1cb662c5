package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lmlab.lab.arith.ArithmeticTask;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer watches the task's metric: early stop, best checkpoint, progress line. */
class MonitorTest {
  /** The arithmetic task, but watching the validation loss (the Task default) instead of val_acc. */
  static Task watchingLoss(ArithmeticTask task) {
    return new Task() {
      @Override
      public Batch sample(Rng rng, int batchSize) {
        return task.sample(rng, batchSize);
      }

      @Override
      public Tensor loss(LanguageModel model, Batch batch) {
        return task.loss(model, batch);
      }

      @Override
      public Map<String, Double> evaluate(LanguageModel model) {
        return task.evaluate(model);
      }

      @Override
      public Map<String, Object> describe() {
        return task.describe();
      }
    };
  }

  @Test
  void monitorsCompareByTheirGoal() {
    Task.Monitor min = Task.Monitor.min("val_loss");
    Task.Monitor max = Task.Monitor.max("val_acc");
    assertThat(min.better(0.5, Double.NaN)).isTrue();
    assertThat(min.better(0.5, 0.4)).isFalse();
    assertThat(min.better(Double.NaN, 0.4)).isFalse();
    assertThat(max.better(0.5, 0.4)).isTrue();
    assertThat(min.reached(0.1, 0.1)).isTrue();
    assertThat(max.reached(0.99, 1.0)).isFalse();
    assertThat(min.base()).isEqualTo("loss");
    assertThat(max.base()).isEqualTo("acc");
    assertThat(new Task.Monitor("perplexity", Task.Monitor.Goal.MIN).base()).isEqualTo("perplexity");
  }

  @Test
  void theBestCheckpointHoldsTheModelAtTheBestValueOfTheMonitoredMetric(@TempDir Path tmp) throws IOException {
    ArithmeticTask arith = TrainerTest.task();
    Path dir = tmp.resolve("run");
    Trainer t = Trainer.start(dir, null, TrainerTest.gpt(arith, 0), watchingLoss(arith), TrainerTest.cfg(21, 5));
    assertThat(t.monitor()).isEqualTo(Task.Monitor.min("val_loss"));
    t.run();
    double bestLoss = Double.MAX_VALUE;
    long bestStep = -1;
    for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
      JsonNode n = TrainerTest.JSON.readTree(l);
      if (n.get("val_loss").asDouble() < bestLoss) {
        bestLoss = n.get("val_loss").asDouble();
        bestStep = n.get("step").asLong();
      }
    }
    JsonNode best = TrainerTest.JSON.readTree(dir.resolve("checkpoints/best/trainer.json").toFile());
    assertThat(best.get("metric").asText()).isEqualTo("val_loss");
    assertThat(best.get("step").asLong()).isEqualTo(bestStep);
    assertThat(best.get("value").asDouble()).isEqualTo(bestLoss);
    LanguageModel loaded = Models.load(dir.resolve("checkpoints/best"));
    assertThat(arith.evaluate(loaded).get("val_loss")).isCloseTo(bestLoss, org.assertj.core.data.Offset.offset(1e-6));
    JsonNode summary = TrainerTest.JSON.readTree(dir.resolve("summary.json").toFile());
    assertThat(summary.get("monitor").asText()).isEqualTo("val_loss");
    assertThat(summary.get("best").asDouble()).isEqualTo(bestLoss);
  }

  @Test
  void stopAtIsAThresholdOnTheMonitoredMetric(@TempDir Path tmp) throws IOException {
    ArithmeticTask arith = TrainerTest.task();
    // the first evaluation's validation loss is below 100: a loss-watching run stops at step 0
    TrainConfig cfg = TrainerTest.cfg(21, 5).with("stop_at", 100.0);
    Trainer.Result r = Trainer.start(tmp.resolve("loss"), null, TrainerTest.gpt(arith, 0), watchingLoss(arith), cfg).run();
    assertThat(r.status()).isEqualTo(Trainer.Status.STOPPED_EARLY);
    assertThat(r.step()).isZero();
    assertThat(r.message()).startsWith("val_loss ").contains("<= 100.0000 at step 0");
    // the arithmetic task watches val_acc (max): an accuracy of 100 is never reached
    Trainer.Result acc = Trainer.start(tmp.resolve("acc"), null, TrainerTest.gpt(arith, 0), arith, cfg).run();
    assertThat(acc.status()).isEqualTo(Trainer.Status.COMPLETED);
    assertThat(acc.step()).isEqualTo(20);
  }

  @Test
  void theProgressLineShowsTheMonitoredPair() {
    Map<String, Double> m = Map.of("train_loss", 1.5, "train_acc", 0.25, "val_loss", 2.0, "val_acc", 0.125,
        "param_norm", 30.0);
    StringWriter s = new StringWriter();
    ProgressBar p = new ProgressBar(new PrintWriter(s), true);
    p.monitor(Task.Monitor.min("val_loss"));
    p.evaluated(0, 11, m, 0);
    p.step(10, 11, 1.0, 12.5);
    assertThat(s.toString()).contains("loss 1.500/2.000").doesNotContain("acc");
    StringWriter plain = new StringWriter();
    ProgressBar q = new ProgressBar(new PrintWriter(plain), false);
    q.monitor(Task.Monitor.min("val_loss"));
    q.evaluated(10, 11, m, 3.0);
    assertThat(plain.toString()).isEqualTo("step 10/10  train_loss 1.5000  val_loss 2.0000  param_norm 30.00  3.0 steps/s\n");
  }

  @Test
  void legacyStopAtValAccIsReadAsStopAt() {
    var legacy = TrainerTest.JSON.createObjectNode().put("stop_at_val_acc", 0.9);
    assertThat(TrainConfig.fromJson(legacy).stopAt()).isEqualTo(0.9);
    var off = TrainerTest.JSON.createObjectNode().put("stop_at_val_acc", 0.0);
    assertThat(TrainConfig.fromJson(off).stopsEarly()).isFalse();
    assertThat(TrainConfig.defaults().toJson().get("stop_at").isNull()).isTrue();
  }
}
