package lmlab.lab.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.models.ModelSpec;
import lmlab.models.Models;
import lmlab.runs.RunSpec;
import lmlab.tensor.Rng;
import lmlab.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The text task: chargpt's defaults, batches, stages, and the errors of acceptance 5. */
class TextTaskTest {
  @Test
  void defaultsAreMinGptsChargpt(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 3000);
    RunSpec r = RunSpec.of(Map.of("task", TextFixtures.json("\"text\""), "data", TextFixtures.json("\"" + data + "\"")), "x");
    TrainConfig t = r.train();
    assertThat(r.preset()).isEqualTo("chargpt");
    assertThat(t.steps()).isEqualTo(601);
    assertThat(t.batchSize()).isEqualTo(64);
    assertThat(t.lr()).isEqualTo(5e-4);
    assertThat(t.beta1()).isEqualTo(0.9);
    assertThat(t.beta2()).isEqualTo(0.95);
    assertThat(t.eps()).isEqualTo(1e-8);
    assertThat(t.weightDecay()).isEqualTo(0.1);
    assertThat(t.weightDecayOn()).isEqualTo(TrainConfig.WeightDecayOn.MATMUL);
    assertThat(t.clip()).isEqualTo(1.0);
    assertThat(t.schedule()).isEqualTo("constant");
    assertThat(t.seed()).isEqualTo(3407);
    assertThat(t.batchSampling()).isEqualTo(TrainConfig.BatchSampling.REPLACEMENT);
    assertThat(t.evalPeriod()).isEqualTo(100);
    assertThat(t.evalFirst()).isZero();
    JsonNode m = r.model().toJson();
    assertThat(m.get("max_position_embeddings").asInt()).isEqualTo(128);
    assertThat(m.get("vocab_size").asInt()).isEqualTo(((TextTask) r.task()).vocabSize());
    assertThat(m.get("num_hidden_layers").asInt()).isEqualTo(6);
    assertThat(m.get("hidden_size").asInt()).isEqualTo(192);
  }

  @Test
  void mixerModelsTrainOnTheTextTaskWithoutAPositionTable(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 3000);
    for (String preset : List.of("mamba2-mini", "gla-mini", "regla-mini")) {
      Map<String, JsonNode> s = new java.util.LinkedHashMap<>(Map.of("task", TextFixtures.json("\"text\""),
          "data", TextFixtures.json("\"" + data + "\""), "model", TextFixtures.json("\"" + preset + "\""),
          "block_size", TextFixtures.json("16"), "batch_size", TextFixtures.json("2"), "steps", TextFixtures.json("3"),
          "eval_windows", TextFixtures.json("2"), "sample_chars", TextFixtures.json("5")));
      s.put("set", TextFixtures.json("{\"num_hidden_layers\": 1}"));
      s.put("runs_dir", TextFixtures.json("\"" + tmp.resolve("runs") + "\""));
      RunSpec r = RunSpec.of(s, preset);
      assertThat(r.model().toJson().has("max_position_embeddings")).as(preset).isFalse();
      var run = r.start().run();
      assertThat(run.status()).as(preset).isEqualTo(lmlab.train.Trainer.Status.COMPLETED);
    }
  }

  @Test
  void parametersOfTheGqaTableOfTheSpec() {
    // text.md "Memory and time per iteration": chargpt at V 65 for n_kv 6, 3, 2, 1
    long[] expected = {2_719_104, 2_496_768, 2_422_656, 2_348_544};
    int[] nkv = {6, 3, 2, 1};
    for (int i = 0; i < nkv.length; i++) {
      ModelSpec s = Models.preset("chargpt", Map.of("vocab_size", "65", "num_key_value_heads", Integer.toString(nkv[i])));
      assertThat(s.numParameters()).as("n_kv %d", nkv[i]).isEqualTo(expected[i]);
    }
  }

  @Test
  void weightDecayOnMatmulIsLinearWeightsOnly(@TempDir Path tmp) throws IOException {
    LanguageModel model = Models.preset("chargpt", Map.of("vocab_size", "65", "num_hidden_layers", "1")).newModel(0);
    List<String> decayed = lmlab.train.TrainerAccess.linearWeights(model);
    // never biases, LayerNorm parameters, or the token and position embeddings
    assertThat(decayed).containsExactlyInAnyOrder("model.layers.0.self_attn.q_proj.weight",
        "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
        "model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
        "lm_head.weight");
    assertThat(model.trainableParameters().keySet()).hasSizeGreaterThan(decayed.size() + 8);
  }

  @Test
  void batchesAreShiftedWindowsOfTheTrainingSplit(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 1000);
    TextTask task = new TextTask(TextConfig.fromMap(Map.of("data", data.toString(), "block_size", 8)), 0);
    TextTask.TextBatch b = task.sample(new Rng(1), 50);
    int[] ids = task.data().ids();
    int[] x = b.inputs().storage();
    int[] y = b.targets().storage();
    for (int r = 0; r < 50; r++) {
      int start = -1;
      for (int i = 0; i + 8 < task.data().nTrain() && start < 0; i++) {
        if (java.util.Arrays.equals(ids, i, i + 8, x, r * 8, r * 8 + 8) && java.util.Arrays.equals(ids, i + 1, i + 9, y, r * 8, r * 8 + 8)) start = i;
      }
      assertThat(start).as("row %d is a window of the training split", r).isBetween(0, task.data().nTrain() - 9);
    }
  }

  @Test
  void stagesFixTheStepsAndThePositionTable(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 3000);
    var s = TextFixtures.tiny(data, tmp, "st");
    s.remove("block_size");
    s.put("stages", TextFixtures.json("[{\"iters\": 4, \"block_size\": 8}, {\"iters\": 3, \"block_size\": 16}]"));
    RunSpec r = RunSpec.of(s, "st");
    assertThat(r.train().steps()).isEqualTo(8);
    assertThat(r.model().toJson().get("max_position_embeddings").asInt()).isEqualTo(16);
    TextTask task = (TextTask) r.task();
    assertThat(task.stageStarts()).containsExactly(4);
    task.atStep(3);
    assertThat(task.blockSize()).isEqualTo(8);
    task.atStep(4);
    assertThat(task.blockSize()).isEqualTo(16);
    task.atStep(7);
    assertThat(task.blockSize()).isEqualTo(16);
    s.put("steps", TextFixtures.json("20"));
    assertThatThrownBy(() -> RunSpec.of(s, "st")).hasMessage("steps = 20 but the stages make 7 updates (steps 8); leave steps out");
  }

  @Test
  void badInputIsOneLineNamingTheValue(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 100);
    var s = TextFixtures.tiny(data, tmp, "bad");
    s.put("block_size", TextFixtures.json("200"));
    assertThatThrownBy(() -> RunSpec.of(s, "bad")).hasMessage("data file " + data + " has 100 characters; block_size 200 needs at least 201");
    s.put("block_size", TextFixtures.json("95"));
    assertThatThrownBy(() -> RunSpec.of(s, "bad")).hasMessage("data file " + data
        + ": the training split (train_fraction 0.9) has 90 characters; block_size 95 needs at least 96");
    s.put("block_size", TextFixtures.json("64"));
    assertThatThrownBy(() -> RunSpec.of(s, "bad")).hasMessage("data file " + data
        + ": the validation split (train_fraction 0.9) has 10 characters; block_size 64 needs at least 65"
        + " (or train_fraction 1.0: no validation)");
    Path big = TextFixtures.text(tmp, 3000);
    var st = TextFixtures.tiny(big, tmp, "st");
    st.remove("block_size");
    st.put("stages", TextFixtures.json("[{\"iters\": 4, \"block_size\": 8}, {\"iters\": 3, \"block_size\": 32}]"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) st.get("set")).put("max_position_embeddings", 16);
    assertThatThrownBy(() -> RunSpec.of(st, "st")).hasMessage("block size 32 is above the position table "
        + "(max_position_embeddings = 16); use block sizes up to 16 or leave max_position_embeddings out");
  }
}
