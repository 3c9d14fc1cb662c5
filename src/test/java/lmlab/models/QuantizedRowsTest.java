package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import lmlab.kernels.Parallel;
import lmlab.nn.Quantization;
import lmlab.nn.weights.QuantMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A quantised model (lmlab quantize, served by lmlab serve) steps each row to the bits it gets
 * alone when other rows step with it, as float32 and bf16 weights do (a server's results must not
 * depend on what else is in flight): the first row of a three-row step against the same row stepped
 * alone, on one thread and two.
 */
class QuantizedRowsTest {
  @AfterEach
  void threads() {
    Parallel.useDefaultThreads();
  }

  @ParameterizedTest(name = "{0}, {1}, {2} threads")
  @CsvSource({"chargpt, nf4, 1", "chargpt, nf4-dq, 2", "llama, int8, 2", "llama, nf4, 1"})
  void aRowSteppedWithOthersGetsItsBitsAlone(String preset, String method, int threads) {
    Parallel.setThreads(threads);
    TransformerConfig config = RowPartsTest.small(preset);
    Transformer model = new Transformer(config, 7L);
    model.eval();
    Quantization.quantize(model, QuantMethod.parse(method, 16));
    ModelState one = model.newState(1);
    ModelState three = model.newState(3);
    int vocab = config.vocabSize();
    for (int step = 0; step < 6; step++) {
      int token = (step * 7 + 2) % vocab;
      float[] alone = model.step(one, new int[] {token}, 1).clone();
      float[] together = model.step(three, new int[] {token, (step + 3) % vocab, (step * 5) % vocab}, 1);
      assertThat(Arrays.copyOfRange(together, 0, vocab)).as("%s %s, step %d", preset, method, step).containsExactly(alone);
    }
  }
}
