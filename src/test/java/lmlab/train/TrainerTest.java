package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.lab.arith.ArithmeticConfig;
import lmlab.lab.arith.ArithmeticTask;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

public class TrainerTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static ArithmeticTask task() {
    return new ArithmeticTask(ArithmeticConfig.builder().p(7).build());
  }

  static lmlab.models.ModelSpec gpt(ArithmeticTask task, double dropout) {
    return Models.preset("gpt", Map.of("vocab_size", Integer.toString(task.vocabSize()), "hidden_size", "32",
        "num_hidden_layers", "1", "num_attention_heads", "4", "max_position_embeddings", "8",
        "dropout", Double.toString(dropout)));
  }

  static TrainConfig cfg(long steps, int evalPeriod) {
    return TrainConfig.defaults().with("steps", steps).with("eval_period", evalPeriod).with("batch_size", 32)
        .with("lr", 3e-3).with("weight_decay", 0.1)
        // the trainer's settings before the course defaults (epochs, clipping, eval_first), which these tests pin
        .with("batch_sampling", "replacement").with("clip", 0.0).with("eval_first", 0);
  }

  /** metrics.jsonl without the wall-clock field, line by line as text. */
  static List<String> metricsWithoutTime(Path run) throws IOException {
    return Files.readAllLines(run.resolve("metrics.jsonl")).stream()
        .map(l -> l.replaceAll(",\"elapsed_s\":[^,}]*", ""))
        .toList();
  }

  /**
   * The resumed run's metrics.jsonl against the uninterrupted one's: the same lines, keys, steps
   * and values, bit for bit (elapsed_s aside). The trainer guarantees this given the same seed and
   * thread count, and the engine's kernels give the same bits at every JIT tier (lmlab.kernels.Lanes).
   */
  public static void assertSameMetrics(Path resumed, Path full, int lines) throws IOException {
    List<String> a = metricsWithoutTime(resumed);
    List<String> b = metricsWithoutTime(full);
    assertThat(a).hasSize(lines).hasSameSizeAs(b);
    for (int i = 0; i < a.size(); i++) {
      ObjectNode x = (ObjectNode) JSON.readTree(a.get(i));
      ObjectNode y = (ObjectNode) JSON.readTree(b.get(i));
      assertThat(x.fieldNames()).toIterable().containsExactlyElementsOf(() -> y.fieldNames());
      for (var it = y.fields(); it.hasNext(); ) {
        var e = it.next();
        assertThat(x.get(e.getKey())).as("line %d %s", i, e.getKey()).isEqualTo(e.getValue());
      }
      assertThat(a.get(i)).as("line %d", i).isEqualTo(b.get(i));
    }
  }

  @Test
  void shortRunWritesTheRunDirectoryAndLearns(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = task();
    Path dir = tmp.resolve("run");
    Trainer.Result r = Trainer.start(dir, null, gpt(task, 0), task, cfg(31, 10)).run();
    assertThat(r.status()).isEqualTo(Trainer.Status.COMPLETED);
    assertThat(r.step()).isEqualTo(30);
    assertThat(dir.resolve("config.json")).isRegularFile();
    assertThat(dir.resolve("summary.json")).isRegularFile();
    for (String f : List.of("config.json", "model.safetensors", "optimizer.safetensors", "trainer.json")) {
      assertThat(dir.resolve("checkpoints/latest").resolve(f)).isRegularFile();
    }
    List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(4);
    List<ObjectNode> m = lines.stream().map(l -> {
      try {
        return (ObjectNode) JSON.readTree(l);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    }).toList();
    assertThat(m.stream().map(o -> o.get("step").asLong())).containsExactly(0L, 10L, 20L, 30L);
    assertThat(m.getFirst().fieldNames()).toIterable().containsSubsequence("step", "train_loss", "train_acc",
        "val_loss", "val_acc", "param_norm", "lr", "elapsed_s");
    assertThat(m.getLast().get("train_loss").asDouble()).isLessThan(m.getFirst().get("train_loss").asDouble() - 0.3);

    ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    assertThat(config.at("/model/config/hidden_size").asInt()).isEqualTo(32);
    assertThat(config.at("/task/p").asInt()).isEqualTo(7);
    assertThat(config.at("/train/steps").asLong()).isEqualTo(31);
    assertThat(config.has("threads")).isTrue();
    ObjectNode summary = (ObjectNode) JSON.readTree(dir.resolve("summary.json").toFile());
    assertThat(summary.get("status").asText()).isEqualTo("completed");
    assertThat(summary.at("/final/val_acc").isNumber()).isTrue();
    assertThat(summary.get("steps_per_s").asDouble()).isPositive();
    assertThat(summary.at("/run_metrics/t_f_L_train").asLong()).isEqualTo(30);
    ObjectNode trainer = (ObjectNode) JSON.readTree(dir.resolve("checkpoints/latest/trainer.json").toFile());
    assertThat(trainer.get("step").asLong()).isEqualTo(30);
    assertThat(trainer.get("complete").asBoolean()).isTrue();

    // the checkpoint loads as a model and gives the final evaluation again
    LanguageModel loaded = Models.load(dir.resolve("checkpoints/latest"));
    assertThat(task.evaluate(loaded).get("val_loss")).isCloseTo(m.getLast().get("val_loss").asDouble(),
        org.assertj.core.data.Offset.offset(1e-6));
    // resuming a finished run changes nothing
    Trainer.Result again = Trainer.resume(dir, task).run();
    assertThat(again.status()).isEqualTo(Trainer.Status.COMPLETED);
    assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).isEqualTo(lines);
  }

  @Test
  void resumeAfterAStopGivesTheSameMetricsAsAnUninterruptedRun(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = task();
    TrainConfig cfg = cfg(21, 5);
    Path full = tmp.resolve("full");
    Trainer.start(full, null, gpt(task, 0.1), task, cfg).run();

    Path cut = tmp.resolve("cut");
    Trainer.Result first = Trainer.start(cut, null, gpt(task, 0.1), task, cfg).stopAt(12).run();
    assertThat(first.status()).isEqualTo(Trainer.Status.INTERRUPTED);
    assertThat(first.message()).contains("step 12").contains("--resume");
    assertThat(JSON.readTree(cut.resolve("checkpoints/latest/trainer.json").toFile()).get("step").asLong())
        .isEqualTo(12);
    Trainer resumed = Trainer.resume(cut, task);
    assertThat(resumed.step()).isEqualTo(12);
    assertThat(resumed.run().status()).isEqualTo(Trainer.Status.COMPLETED);
    assertSameMetrics(cut, full, 5);
  }

  @ParameterizedTest
  @CsvSource({"10, 10", "7, 14"})
  void resumeAfterACrashDropsTheLinesPastTheCheckpoint(int checkpointPeriod, long resumeAt, @TempDir Path tmp)
      throws IOException {
    ArithmeticTask task = task();
    TrainConfig cfg = cfg(21, 5).with("checkpoint_period", checkpointPeriod);
    Path full = tmp.resolve("full");
    Trainer.start(full, null, gpt(task, 0.1), task, cfg).run();

    // a task that dies while drawing batch 17: the checkpoint of step 10 (or 14) is the latest, line 15 past it
    Path crash = tmp.resolve("crash");
    Task dying = new Task() {
      int calls;

      @Override
      public Batch sample(Rng rng, int batchSize) {
        if (++calls == 18) throw new IllegalStateException("simulated crash");
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
    assertThatThrownBy(() -> Trainer.start(crash, null, gpt(task, 0.1), dying, cfg).run())
        .hasMessageContaining("simulated crash");
    assertThat(Files.readAllLines(crash.resolve("metrics.jsonl"))).hasSize(4); // steps 0, 5, 10, 15
    Trainer resumed = Trainer.resume(crash, task);
    assertThat(resumed.step()).isEqualTo(resumeAt);
    resumed.run();
    assertSameMetrics(crash, full, 5);
  }

  @Test
  void nonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = task();
    Path dir = tmp.resolve("nan");
    TrainConfig cfg = cfg(50, 1).with("lr", 1e30).with("weight_decay", 0.0);
    Trainer.Result r = Trainer.start(dir, null, gpt(task, 0), task, cfg).run();
    assertThat(r.status()).isEqualTo(Trainer.Status.NONFINITE_LOSS);
    assertThat(r.message()).containsPattern("(loss is (NaN|infinite|not finite)|parameters are not finite|evaluation) at step \\d+")
        .contains("last good checkpoint");
    long good = JSON.readTree(dir.resolve("checkpoints/latest/trainer.json").toFile()).get("step").asLong();
    assertThat(good).isLessThan(r.step() + 1);
    LanguageModel m = Models.load(dir.resolve("checkpoints/latest"));
    assertThat(GradClip.norm(m.parameters())).isFinite();
    assertThat(JSON.readTree(dir.resolve("summary.json").toFile()).get("status").asText()).isEqualTo("nonfinite_loss");
  }

  @Test
  void resumingSomethingThatIsNotARunNamesWhatIsMissing(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = task();
    assertThatThrownBy(() -> Trainer.resume(tmp.resolve("nope"), task))
        .hasMessageContaining("cannot resume " + tmp.resolve("nope")).hasMessageContaining("no such directory");
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertThatThrownBy(() -> Trainer.resume(empty, task)).hasMessageContaining("not a run directory: no config.json");
    Path noCkpt = tmp.resolve("nockpt");
    Files.createDirectories(noCkpt);
    Files.writeString(noCkpt.resolve("config.json"), "{}");
    Files.writeString(noCkpt.resolve("metrics.jsonl"), "");
    assertThatThrownBy(() -> Trainer.resume(noCkpt, task)).hasMessageContaining("checkpoints/latest/ is missing");
  }

  @Test
  void startingIntoAnExistingRunIsRefused(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = task();
    Path dir = tmp.resolve("r");
    Trainer.start(dir, null, gpt(task, 0), task, cfg(1, 1)).run();
    assertThatThrownBy(() -> Trainer.start(dir, null, gpt(task, 0), task, cfg(1, 1)))
        .hasMessageContaining("already exists").hasMessageContaining("--resume");
  }
}
