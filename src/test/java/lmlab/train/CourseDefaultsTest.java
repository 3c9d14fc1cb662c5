package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lmlab.lab.arith.ArithmeticTask;
import lmlab.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The course starter's training defaults (arithmetic.md): shuffled epochs, clipping, eval_first. */
class CourseDefaultsTest {
  @Test
  void theDefaultsAreTheCourseStarters() {
    TrainConfig d = TrainConfig.defaults();
    assertThat(d.batchSampling()).isEqualTo(TrainConfig.BatchSampling.EPOCHS);
    assertThat(d.clip()).isEqualTo(1.0);
    assertThat(d.evalFirst()).isEqualTo(100);
    assertThat(d.batchSize()).isEqualTo(512);
    assertThat(d.steps()).isEqualTo(10_001);
    // steps 0 .. 100, then every 100, and the last
    List<Long> evaluated = new ArrayList<>();
    for (long t = 0; t < d.steps(); t++) if (d.evaluates(t)) evaluated.add(t);
    assertThat(evaluated).hasSize(101 + 99).startsWith(0L, 1L, 2L).contains(100L, 200L, 10_000L).doesNotContain(101L);
    assertThat(TrainConfig.fromJson(d.toJson())).isEqualTo(d);
    assertThatThrownBy(() -> d.with("batch_sampling", "bootstrap"))
        .hasMessage("batch_sampling must be epochs or replacement, got 'bootstrap'");
    assertThatThrownBy(() -> d.with("batch_sampling", 3)).hasMessageContaining("batch_sampling must be a string");
    assertThatThrownBy(() -> d.with("eval_first", -1)).hasMessageContaining("eval_first must be >= 0");
  }

  @Test
  void epochsVisitEveryRowOnceInBatchesOfMinBN() {
    EpochOrder o = new EpochOrder(10);
    Rng rng = new Rng(3);
    int[] a = o.next(rng, 4);
    int[] b = o.next(rng, 4);
    int[] c = o.next(rng, 4); // the last batch of the epoch is smaller
    assertThat(a).hasSize(4);
    assertThat(c).hasSize(2);
    int[] all = new int[10];
    System.arraycopy(a, 0, all, 0, 4);
    System.arraycopy(b, 0, all, 4, 4);
    System.arraycopy(c, 0, all, 8, 2);
    Arrays.sort(all);
    assertThat(all).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(o.next(rng, 512)).hasSize(10); // B > N: the whole (newly shuffled) set
    assertThat(o.state().get("epoch").asLong()).isEqualTo(1);

    // the state restores the same continuation
    EpochOrder p = new EpochOrder(10);
    Rng r1 = new Rng(5);
    p.next(r1, 3);
    ObjectNode st = p.state();
    long[] rs = r1.state();
    EpochOrder q = new EpochOrder(10);
    q.restore(st);
    Rng r2 = new Rng(0);
    r2.setState(rs);
    for (int i = 0; i < 7; i++) assertThat(q.next(r2, 3)).containsExactly(p.next(r1, 3));
    assertThatThrownBy(() -> new EpochOrder(11).restore(st)).hasMessageContaining("the training set has 11");
  }

  @Test
  void resumingMidEpochGivesTheUninterruptedRun(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = TrainerTest.task(); // p = 7: N_train = 24, batches of 10, 10, 4
    TrainConfig cfg = TrainConfig.defaults().with("steps", 21).with("eval_period", 5).with("eval_first", 3)
        .with("batch_size", 10).with("lr", 3e-3).with("weight_decay", 0.1);
    Path full = tmp.resolve("full");
    Trainer.start(full, null, TrainerTest.gpt(task, 0.1), task, cfg).run();
    Path cut = tmp.resolve("cut");
    Trainer.start(cut, null, TrainerTest.gpt(task, 0.1), task, cfg).stopAt(7).run(); // step 7: mid-epoch
    JsonNode order = TrainerTest.JSON.readTree(cut.resolve("checkpoints/latest/trainer.json").toFile()).get("data_order");
    assertThat(order.get("position").asInt()).isEqualTo(10);
    assertThat(order.get("epoch").asLong()).isEqualTo(2);
    assertThat(order.get("permutation")).hasSize(24);
    Trainer.resume(cut, task).run();
    // steps 0, 1, 2, 3, 5, 10, 15, 20
    TrainerTest.assertSameMetrics(cut, full, 8);
  }

  @Test
  void aRunWrittenBeforeBatchSamplingResumesWithReplacement(@TempDir Path tmp) throws IOException {
    ArithmeticTask task = TrainerTest.task();
    Path dir = tmp.resolve("old");
    Trainer.start(dir, null, TrainerTest.gpt(task, 0), task, TrainerTest.cfg(11, 5)).stopAt(5).run();
    ObjectNode config = (ObjectNode) TrainerTest.JSON.readTree(dir.resolve("config.json").toFile());
    ObjectNode train = (ObjectNode) config.get("train");
    train.remove(List.of("batch_sampling", "eval_first", "stop_at"));
    train.put("stop_at_val_acc", 0.0);
    Files.writeString(dir.resolve("config.json"), config.toString());
    Trainer t = Trainer.resume(dir, task);
    assertThat(t.config().batchSampling()).isEqualTo(TrainConfig.BatchSampling.REPLACEMENT);
    assertThat(t.config().evalFirst()).isZero();
    assertThat(t.config().stopsEarly()).isFalse();
  }

  @Test
  void epochsNeedAnIndexedTrainingSet(@TempDir Path tmp) {
    ArithmeticTask task = TrainerTest.task();
    TrainConfig cfg = TrainerTest.cfg(11, 5).with("batch_sampling", "epochs");
    assertThatThrownBy(() -> Trainer.start(tmp.resolve("x"), null, TrainerTest.gpt(task, 0), MonitorTest.watchingLoss(task), cfg))
        .hasMessageContaining("has no indexed training set; use batch_sampling replacement");
    assertThat(tmp.resolve("x")).doesNotExist();
  }

  @Test
  void theSummaryHoldsPComputeAndTheAlphaTruncatedMetrics(@TempDir Path tmp) throws IOException {
    // experiments.md: P of the defaults, gpt 405,543 - 4,992 and lstm-lm 273,191 - 4,992
    var gpt = lmlab.models.Models.preset("gpt", java.util.Map.of("vocab_size", "39"));
    assertThat(lmlab.models.Models.parameterCount(gpt).excludingEmbeddings()).isEqualTo(400_551);
    var lstm = lmlab.models.Models.preset("lstm-lm", java.util.Map.of("vocab_size", "39"));
    assertThat(lmlab.models.Models.parameterCount(lstm).excludingEmbeddings()).isEqualTo(268_199);

    ArithmeticTask task = TrainerTest.task(); // N_train 24
    TrainConfig cfg = TrainConfig.defaults().with("steps", 21).with("eval_period", 5).with("eval_first", 0)
        .with("batch_size", 512);
    Path dir = tmp.resolve("run");
    Trainer.start(dir, null, TrainerTest.gpt(task, 0), task, cfg).run();
    JsonNode s = TrainerTest.JSON.readTree(dir.resolve("summary.json").toFile());
    long p = lmlab.models.Models.parameterCount(TrainerTest.gpt(task, 0)).excludingEmbeddings();
    assertThat(s.get("non_embedding_parameters").asLong()).isEqualTo(p);
    assertThat(s.get("batch_effective").asLong()).isEqualTo(24); // B' = min(B, N_train)
    assertThat(s.get("compute").asLong()).isEqualTo(p * 24 * 20);
    JsonNode alpha = s.get("run_metrics_alpha");
    assertThat(alpha).hasSize(10);
    assertThat(alpha.get(4).get("alpha").asDouble()).isEqualTo(0.5);
    assertThat(alpha.get(4).get("t_max").asLong()).isEqualTo(10);
    assertThat(alpha.get(4).get("compute").asLong()).isEqualTo(p * 24 * 10);
    assertThat(alpha.get(4).get("t_f_L_train").asLong()).isLessThanOrEqualTo(10);
    assertThat(alpha.get(9).get("L_train").asDouble()).isEqualTo(s.at("/run_metrics/L_train").asDouble());
  }
}
