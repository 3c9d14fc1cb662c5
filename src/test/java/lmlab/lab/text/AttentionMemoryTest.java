package lmlab.lab.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.tensor.Arena;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.train.AdamW;
import lmlab.train.StepMeter;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 3 (text.md "Memory and time per iteration"): at chargpt's head shape (n_q 6, d_h 32)
 * the K + V bytes the engine measures are 2·B·S·n_kv·d_h·4 per layer, linear in n_kv, while the
 * attention core's bytes do not depend on n_kv (it computes n_q score rows whatever n_kv: GQA).
 */
class AttentionMemoryTest {
  @Test
  void kvBytesAreLinearInNkvAndTheCoreIsFlat() {
    int b = 2, s = 16, nq = 6, dh = 32;
    long core = -1;
    for (int nkv : new int[] {1, 2, 3, 6}) {
      LanguageModel model = Models.preset("chargpt", Map.of("vocab_size", "65", "num_hidden_layers", "2",
          "num_key_value_heads", Integer.toString(nkv))).newModel(0);
      model.train(true);
      AdamW opt = new AdamW(model.trainableParameters(), 5e-4, 0.9, 0.95, 1e-8, 0.1);
      Rng rng = new Rng(nkv);
      int[] x = new int[b * s];
      int[] y = new int[b * s];
      for (int i = 0; i < x.length; i++) {
        x[i] = rng.nextInt(65);
        y[i] = rng.nextInt(65);
      }
      Arena arena = new Arena();
      StepMeter.Result r = StepMeter.measure(StepMeter.persistentBytes(model.parameters(), opt), () -> {
        try (Arena.Scope scope = arena.open()) {
          double loss = Transformer.loss(model.logits(IntTensor.of(x, b, s)), IntTensor.of(y, b, s)).item();
          Transformer.loss(model.logits(IntTensor.of(x, b, s)), IntTensor.of(y, b, s)).backward();
          opt.step();
          opt.zeroGrad();
          return loss;
        }
      });
      StepMeter.Measure m = r.measure();
      assertThat(m.layers()).hasSize(4); // two forwards (the measured loss and the trained one) of two layers
      assertThat(m.kvBytes()).as("n_kv %d", nkv).isEqualTo(2L * b * s * nkv * dh * 4);
      // the fused kernel keeps its output (B, S, n_q·d_h) and each row's log-sum-exp (B, n_q, S)
      long expectedCore = (long) b * s * nq * dh * 4 + (long) b * nq * s * 4;
      assertThat(m.attnCoreBytes()).as("n_kv %d", nkv).isEqualTo(expectedCore);
      assertThat(m.layers().getFirst().kept()).extracting(k -> k.name()).containsExactly("attention_output", "logsumexp");
      if (core >= 0) assertThat(m.attnCoreBytes()).isEqualTo(core);
      core = m.attnCoreBytes();
      assertThat(m.stepAllocBytes()).isPositive();
      assertThat(m.peakLiveBytes()).isGreaterThan(m.stepAllocBytes());
      assertThat(m.attnMs()).isPositive();
      assertThat(m.iterMs()).isGreaterThanOrEqualTo(m.attnMs());
    }
  }
}
