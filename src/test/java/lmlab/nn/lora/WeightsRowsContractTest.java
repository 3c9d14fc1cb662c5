package lmlab.nn.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Stream;
import lmlab.kernels.Parallel;
import lmlab.nn.weights.Bf16Weights;
import lmlab.nn.weights.FloatWeights;
import lmlab.nn.weights.QuantMethod;
import lmlab.nn.weights.QuantizedWeights;
import lmlab.nn.weights.Quantizers;
import lmlab.nn.weights.Weights;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract batched decoding rests on (decode.ContinuousBatch, beams, a server's rows): for up to
 * {@link Weights#independentRows} rows, every weight format's {@code matmul} gives each row
 * the bits {@code rows} gives it alone, with a bias and with accumulate, on one thread and two. A
 * new format is added to {@link #formats}.
 */
class WeightsRowsContractTest {
  static final int OUT = 80, IN = 96;

  @AfterEach
  void threads() {
    Parallel.useDefaultThreads();
  }

  static Stream<Arguments> formats() {
    Function<Tensor, Weights> f32 = FloatWeights::new;
    Function<Tensor, Weights> bf16 = Bf16Weights::rounded;
    Function<Tensor, Weights> nf4 = w -> new QuantizedWeights(Quantizers.quantize(w.toArray(), QuantMethod.parse("nf4", 16)), OUT, IN);
    Function<Tensor, Weights> int8 = w -> new QuantizedWeights(Quantizers.quantize(w.toArray(), QuantMethod.parse("int8", 32)), OUT, IN);
    Function<Tensor, Weights> lora = w -> new LoraWeights(new FloatWeights(w), Tensor.randn(new Rng(8), 4, IN),
        Tensor.randn(new Rng(9), OUT, 4), 2f);
    return Stream.of(Arguments.of("f32", f32), Arguments.of("bf16", bf16), Arguments.of("nf4", nf4),
        Arguments.of("int8", int8), Arguments.of("lora over f32", lora));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("formats")
  void eachRowOfAFewRowProductHasItsBitsAlone(String name, Function<Tensor, Weights> make) {
    Weights w = make.apply(Tensor.randn(new Rng(3), OUT, IN));
    float[] bias = Tensor.randn(new Rng(4), OUT).toArray();
    for (int threads : new int[] {1, 2}) {
      Parallel.setThreads(threads);
      for (int n : new int[] {2, 3, 5, 6, 7, 8, 11, 13, 14}) {
        float[] x = Tensor.randn(new Rng(n), n, IN).toArray();
        for (boolean accumulate : new boolean[] {false, true}) {
          float[] y = new float[n * OUT];
          Arrays.fill(y, 0.25f);
          w.matmul(x, n, bias, 0, y, accumulate);
          for (int r = 0; r < n; r++) {
            float[] one = new float[OUT];
            Arrays.fill(one, 0.25f);
            w.rows(0, OUT, x, r * IN, bias, 0, one, 0, accumulate);
            assertThat(Arrays.copyOfRange(y, r * OUT, (r + 1) * OUT))
                .as("%s: row %d of %d, accumulate %s, %d threads", name, r, n, accumulate, threads).containsExactly(one);
          }
        }
      }
    }
  }
}
