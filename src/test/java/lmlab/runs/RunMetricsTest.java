package lmlab.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.train.RunMetrics;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class RunMetricsTest {
  private static RunMetrics.Evaluation ev(long step, double trainLoss, double trainAcc, double valLoss, double valAcc) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("train_loss", trainLoss);
    m.put("train_acc", trainAcc);
    m.put("val_loss", valLoss);
    m.put("val_acc", valAcc);
    return new RunMetrics.Evaluation(step, m);
  }

  private static List<RunMetrics.Evaluation> history() {
    return List.of(
        ev(0, 3.6, 0.03, 3.6, 0.02),
        ev(100, 0.5, 0.80, 4.0, 0.05),
        ev(200, 0.01, 1.0, 4.5, 0.04),
        ev(300, 0.01, 1.0, 2.0, 0.60), // train loss ties its minimum: t_f stays 200
        ev(400, 0.02, 1.0, 0.05, 1.0),
        ev(500, 0.005, 1.0, 0.04, 1.0)); // val acc ties: t_f stays 400
  }

  @Test
  void extremaFirstStepsAndDelays() {
    RunMetrics r = RunMetrics.of(history());
    Map<String, Double> v = r.values();
    assertThat(v.keySet()).containsExactlyElementsOf(RunMetrics.KEYS);
    assertThat(v.get("L_train")).isEqualTo(0.005);
    assertThat(v.get("L_val")).isEqualTo(0.04);
    assertThat(v.get("A_train")).isEqualTo(1.0);
    assertThat(v.get("A_val")).isEqualTo(1.0);
    assertThat(v.get("t_f_L_train")).isEqualTo(500);
    assertThat(v.get("t_f_L_val")).isEqualTo(500);
    assertThat(v.get("t_f_A_train")).isEqualTo(200);
    assertThat(v.get("t_f_A_val")).isEqualTo(400);
    assertThat(v.get("delta_t_L")).isEqualTo(0);
    assertThat(v.get("delta_t_A")).isEqualTo(200);
    assertThat(r.lastStep()).isEqualTo(500);
    assertThat(r.evaluations()).isEqualTo(6);
    assertThat(r.orders()).isEmpty();
  }

  @Test
  void tMaxTruncatesTheHistory() {
    RunMetrics r = RunMetrics.of(history(), 300L);
    assertThat(r.get("L_train")).isEqualTo(0.01);
    assertThat(r.get("t_f_L_train")).isEqualTo(200);
    assertThat(r.get("L_val")).isEqualTo(2.0);
    assertThat(r.get("t_f_L_val")).isEqualTo(300);
    assertThat(r.get("A_val")).isEqualTo(0.60);
    assertThat(r.get("t_f_A_val")).isEqualTo(300);
    assertThat(r.get("delta_t_L")).isEqualTo(100);
    assertThat(r.get("delta_t_A")).isEqualTo(100);
    assertThat(r.lastStep()).isEqualTo(300);
    // T_max between evaluations: steps <= 350
    assertThat(RunMetrics.of(history(), 350L).lastStep()).isEqualTo(300);
  }

  @Test
  void theLaterOfTwoEntriesForAStepWinsAndOrderDoesNotMatter() {
    List<RunMetrics.Evaluation> h = new ArrayList<>(history());
    java.util.Collections.reverse(h);
    assertThat(RunMetrics.of(h).values()).isEqualTo(RunMetrics.of(history()).values());
    h.add(ev(500, 0.5, 0.5, 0.5, 0.5)); // a resumed run evaluating step 500 again
    RunMetrics r = RunMetrics.of(h);
    assertThat(r.get("L_train")).isEqualTo(0.01);
    assertThat(r.get("t_f_L_train")).isEqualTo(200);
  }

  @Test
  void nonFiniteValuesAreSkippedAndMissingMetricsAreNaN() {
    List<RunMetrics.Evaluation> h = List.of(ev(0, 2.0, 0.1, Double.NaN, 0.1), ev(100, Double.POSITIVE_INFINITY, 0.2,
        1.0, 0.1));
    RunMetrics r = RunMetrics.of(h);
    assertThat(r.get("L_train")).isEqualTo(2.0);
    assertThat(r.get("L_val")).isEqualTo(1.0);
    assertThat(r.get("t_f_L_val")).isEqualTo(100);
    Map<String, Double> only = Map.of("train_loss", 1.0);
    RunMetrics partial = RunMetrics.of(List.of(new RunMetrics.Evaluation(0, only)));
    assertThat(partial.get("A_val")).isNaN();
    assertThat(partial.get("delta_t_A")).isNaN();
    assertThat(partial.toJson().get("A_val").isNull()).isTrue();
    assertThat(partial.toJson().get("t_f_L_train").isIntegralNumber()).isTrue();
  }

  @Test
  void perOrderMetrics() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<ObjectNode> lines = new ArrayList<>();
    lines.add((ObjectNode) json.readTree("{\"step\":0,\"train_loss\":3,\"train_acc\":0,\"val_loss\":3,\"val_acc\":0,"
        + "\"train_loss_order2\":3,\"train_acc_order2\":0,\"val_loss_order2\":3,\"val_acc_order2\":0,"
        + "\"train_loss_order3\":3,\"train_acc_order3\":0,\"val_loss_order3\":3,\"val_acc_order3\":0,\"param_norm\":5}"));
    lines.add((ObjectNode) json.readTree("{\"step\":100,\"train_loss\":1,\"train_acc\":0.5,\"val_loss\":2,\"val_acc\":0.3,"
        + "\"train_loss_order2\":0.5,\"train_acc_order2\":1,\"val_loss_order2\":1,\"val_acc_order2\":0.9,"
        + "\"train_loss_order3\":1.5,\"train_acc_order3\":0.2,\"val_loss_order3\":2.5,\"val_acc_order3\":0.1}"));
    lines.add((ObjectNode) json.readTree("{\"step\":200,\"train_loss\":0.5,\"train_acc\":0.9,\"val_loss\":1,\"val_acc\":0.8,"
        + "\"train_loss_order2\":0.6,\"train_acc_order2\":1,\"val_loss_order2\":0.8,\"val_acc_order2\":1,"
        + "\"train_loss_order3\":0.4,\"train_acc_order3\":0.9,\"val_loss_order3\":1.1,\"val_acc_order3\":0.7}"));
    RunMetrics r = RunMetrics.fromJson(lines, null);
    assertThat(r.orders()).containsExactly(2, 3);
    assertThat(r.values(2).get("L_train")).isEqualTo(0.5);
    assertThat(r.values(2).get("t_f_L_train")).isEqualTo(100);
    assertThat(r.values(2).get("t_f_A_train")).isEqualTo(100);
    assertThat(r.values(2).get("t_f_A_val")).isEqualTo(200);
    assertThat(r.values(2).get("delta_t_A")).isEqualTo(100);
    assertThat(r.values(3).get("t_f_L_train")).isEqualTo(200);
    assertThat(r.get("L_val_order3")).isEqualTo(1.1);
    assertThat(r.get("A_val")).isEqualTo(0.8);
    assertThat(r.flat()).containsKeys("delta_t_A_order2", "delta_t_A_order3");
    assertThat(r.toJson().get("t_f_A_val_order2").asLong()).isEqualTo(200);
    // the trainer's summary.json hook (Task.summary): the run metrics, plus per order
    java.util.function.Function<List<ObjectNode>, com.fasterxml.jackson.databind.JsonNode> hook = RunMetrics::summaryJson;
    com.fasterxml.jackson.databind.JsonNode s = hook.apply(lines);
    assertThat(s.get("t_f_L_val").asLong()).isEqualTo(200);
    assertThat(s.get("delta_t_A").asLong()).isEqualTo(0);
    assertThat(s.get("L_train_order3").asDouble()).isEqualTo(0.4);
  }

  @Test
  void meanAndPopulationStdAcrossSeeds() {
    MeanStd s = MeanStd.of(7500, 8200);
    assertThat(s.mean()).isEqualTo(7850);
    assertThat(s.std()).isEqualTo(350);
    assertThat(s.n()).isEqualTo(2);
    assertThat(s.format(true)).isEqualTo("7850 ± 350");
    MeanStd one = MeanStd.of(0.25);
    assertThat(one.std()).isZero();
    assertThat(one.format(false)).isEqualTo("0.2500 ± 0.000");
    MeanStd three = MeanStd.of(1, 2, Double.NaN, 3);
    assertThat(three.n()).isEqualTo(3);
    assertThat(three.std()).isCloseTo(Math.sqrt(2.0 / 3), Offset.offset(1e-15));
    assertThat(MeanStd.of(Double.NaN).present()).isFalse();
    assertThat(MeanStd.of(Double.NaN).format(true)).isEqualTo("–");
  }
}
