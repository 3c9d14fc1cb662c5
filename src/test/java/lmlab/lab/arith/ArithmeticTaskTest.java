package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import lmlab.autograd.Autograd;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ArithmeticTaskTest {
  /**
   * A model that knows every equation: logit 10 on the right next token, 0 elsewhere, except on
   * binary equations' result position, where it puts 10 on a wrong number (so binary accuracy is
   * 0 and ternary accuracy 1). Records whether it ran in training mode or with grad recording.
   */
  static final class Oracle extends LanguageModel {
    final Map<String, int[]> targets = new HashMap<>();
    final int v;
    final Tensor w = parameter("w", Tensor.zeros(1));
    boolean sawTraining;
    boolean sawRecording;

    Oracle(ArithmeticDataset d) {
      v = d.vocab().size();
      for (ArithmeticSplit s : new ArithmeticSplit[] {d.train(), d.val()}) {
        ArithmeticBatch b = s.all();
        int len = b.length();
        int[] x = b.inputs().toArray();
        int[] y = b.targets().toArray();
        for (int i = 0; i < b.size(); i++) {
          int[] yy = Arrays.copyOfRange(y, i * len, (i + 1) * len);
          if (s.order(i) == 2) yy[4] = (yy[4] + 1) % d.vocab().numbers();
          targets.put(Arrays.toString(Arrays.copyOfRange(x, i * len, (i + 1) * len)), yy);
        }
      }
    }

    @Override
    public Output forward(IntTensor tokens, Request request) {
      sawTraining |= isTraining();
      sawRecording |= Autograd.isRecording();
      int b = tokens.size(0);
      int s = tokens.size(1);
      float[] out = new float[b * s * v];
      int[] x = tokens.toArray();
      for (int i = 0; i < b; i++) {
        int[] y = targets.get(Arrays.toString(Arrays.copyOfRange(x, i * s, (i + 1) * s)));
        for (int j = 0; j < s; j++) out[(i * s + j) * v + y[j]] = 10f;
      }
      Tensor logits = Tensor.of(out, b, s, v).add(w);
      return new Output(logits, null, null, Map.of());
    }

    @Override
    public int vocabSize() {
      return v;
    }

    @Override
    public ObjectNode config() {
      return JsonNodeFactory.instance.objectNode();
    }
  }

  /** logits[i, j] = W[x[i, j]]: a fast model whose loss differs from row to row. */
  static final class Bigram extends LanguageModel {
    final Tensor w;

    Bigram(int v, long seed) {
      w = parameter("w", Tensor.randn(new Rng(seed), v, v));
    }

    @Override
    public Output forward(IntTensor tokens, Request request) {
      return new Output(Tensor.embedding(w, tokens), null, null, Map.of());
    }

    @Override
    public int vocabSize() {
      return w.size(0);
    }

    @Override
    public ObjectNode config() {
      return JsonNodeFactory.instance.objectNode();
    }
  }

  @Test
  void evaluatesTheFullSetsPerOrderInEvalModeWithoutGrad() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(5).orders(2, 3).build());
    Oracle model = new Oracle(task.dataset());
    model.train(true);
    Map<String, Double> m = task.evaluate(model);
    assertThat(m.keySet()).containsExactly("train_loss", "train_acc", "val_loss", "val_acc",
        "train_loss_order2", "train_acc_order2", "val_loss_order2", "val_acc_order2",
        "train_loss_order3", "train_acc_order3", "val_loss_order3", "val_acc_order3");
    double right = Math.log(Math.exp(10) + 12) - 10; // V = 13
    double wrong = Math.log(Math.exp(10) + 12);
    assertThat(m.get("train_acc_order2")).isZero();
    assertThat(m.get("val_acc_order2")).isZero();
    assertThat(m.get("train_acc_order3")).isEqualTo(1.0);
    assertThat(m.get("val_acc_order3")).isEqualTo(1.0);
    assertThat(m.get("train_loss_order3")).isCloseTo(right, Offset.offset(1e-5));
    assertThat(m.get("train_loss_order2")).isCloseTo((right + wrong) / 2, Offset.offset(1e-4));
    // 12 binary, 62 ternary equations in training
    assertThat(m.get("train_acc")).isCloseTo(62.0 / 74, Offset.offset(1e-12));
    assertThat(m.get("val_acc")).isCloseTo(63.0 / 76, Offset.offset(1e-12));
    assertThat(m.get("train_loss")).isCloseTo((12 * (right + wrong) / 2 + 62 * right) / 74, Offset.offset(1e-4));
    assertThat(model.sawTraining).isFalse();
    assertThat(model.sawRecording).isFalse();
    assertThat(model.isTraining()).isTrue(); // restored
    model.eval();
    task.evaluate(model);
    assertThat(model.isTraining()).isFalse();
  }

  @Test
  void binaryOnlyHasNoPerOrderKeys() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(5).build());
    Map<String, Double> m = task.evaluate(new Oracle(task.dataset()));
    assertThat(m.keySet()).containsExactly("train_loss", "train_acc", "val_loss", "val_acc");
    assertThat(m.get("val_acc")).isZero();
  }

  @Test
  void evaluationInChunksEqualsOneBigBatch() {
    // p = 17 ternary, r_train 0.9: 4421 training rows, two chunks
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(17).orders(3).rTrain(0.9).build());
    LanguageModel model = new Bigram(task.vocabSize(), 3);
    Map<String, Double> m = task.evaluate(model);
    ArithmeticBatch all = task.dataset().train().all();
    assertThat(all.size()).isGreaterThan(ArithmeticTask.EVAL_CHUNK);
    try (var g = Autograd.noGrad()) {
      model.eval();
      RhsLoss.Result r = RhsLoss.rhs(model.logits(all.inputs()), all.targets(), all.eqPosition(), all.mask(),
          Reduction.MEAN);
      assertThat(m.get("train_loss")).isCloseTo(r.loss().item(), Offset.offset(1e-5));
      assertThat(m.get("train_acc")).isCloseTo(r.accuracy().item(), Offset.offset(1e-6));
    }
  }

  @Test
  void samplesWithReplacementFromTheTrainingSetDeterministically() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(3).orders(2, 3).build());
    ArithmeticVocab v = task.dataset().vocab();
    Set<String> train = new HashSet<>();
    ArithmeticSplit tr = task.dataset().train();
    for (int i = 0; i < tr.size(); i++) train.add(v.decode(tr.sequence(i)));
    // more rows than the training set holds: replacement
    ArithmeticBatch b = task.sample(new Rng(7), 100);
    assertThat(b.size()).isEqualTo(100);
    assertThat(b.inputs().shape()).containsExactly(100, 8);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int[] seq = new int[9];
      for (int j = 0; j < 8; j++) seq[j] = b.inputs().get(i, j);
      seq[8] = b.targets().get(i, 7);
      String s = v.decode(seq);
      assertThat(train).contains(s);
      seen.add(s);
    }
    assertThat(seen).hasSize(train.size()); // 100 draws from 17 reach all of them
    ArithmeticBatch again = task.sample(new Rng(7), 100);
    assertThat(again.inputs().toArray()).containsExactly(b.inputs().toArray());
    assertThat(task.sample(new Rng(8), 100).inputs().toArray()).isNotEqualTo(b.inputs().toArray());
    assertThatThrownBy(() -> task.sample(new Rng(1), 0)).hasMessageContaining("batch size");
  }

  @Test
  void lossIsTheMeanRhsLossAndDifferentiable() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(5).build());
    LanguageModel model = Models.fromPreset("gpt", Map.of("vocab_size", "13", "hidden_size", "16",
        "num_attention_heads", "2", "num_hidden_layers", "1", "max_position_embeddings", "8"), 1);
    ArithmeticBatch b = task.sample(new Rng(1), 16);
    Tensor loss = task.loss(model, b);
    Tensor expect = RhsLoss.loss(model.logits(b.inputs()), b.targets(), b.eqPosition(), b.mask());
    assertThat(loss.item()).isEqualTo(expect.item());
    loss.backward();
    assertThat(model.parameters()).allMatch(p -> p.grad() != null);
    // the whole-sequence variant trains on every position
    ArithmeticTask seq = new ArithmeticTask(ArithmeticConfig.builder().p(5).lossSpan(LossSpan.SEQUENCE).build());
    Tensor all = seq.loss(model, b);
    assertThat(all.item()).isEqualTo(
        RhsLoss.sequence(model.logits(b.inputs()), b.targets(), b.mask(), Reduction.MEAN).loss().item());
  }

  @Test
  void describesItsConfigAndChecksTheModelVocabulary() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticConfig.builder().p(5).seed(3).build());
    assertThat(task.describe()).containsEntry("p", 5).containsEntry("operator", "+").containsEntry("seed", 3L)
        .containsEntry("r_train", 0.5);
    assertThat(task.vocabSize()).isEqualTo(13);
    assertThat(task.inputLength()).isEqualTo(6);
    LanguageModel wrong = Models.fromPreset("gpt", Map.of("vocab_size", "39", "hidden_size", "16",
        "num_attention_heads", "2", "num_hidden_layers", "1", "max_position_embeddings", "8"), 1);
    assertThatThrownBy(() -> task.evaluate(wrong)).hasMessageContaining("39 tokens").hasMessageContaining("needs 13");
  }
}
