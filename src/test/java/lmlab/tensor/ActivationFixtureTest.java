package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.UnaryOperator;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The activation fixtures: forward out and grad.x of loss = sum(out * grad_out). */
class ActivationFixtureTest {
  static UnaryOperator<Tensor> op(String fixture) {
    return switch (fixture) {
      case "op_gelu" -> Tensor::gelu;
      case "op_gelu_tanh" -> Tensor::geluTanh;
      case "op_silu" -> Tensor::silu;
      case "op_sigmoid" -> Tensor::sigmoid;
      case "op_tanh" -> Tensor::tanh;
      case "op_relu" -> Tensor::relu;
      case "op_slide" -> Tensor::slide;
      default -> throw new IllegalArgumentException(fixture);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"op_gelu", "op_gelu_tanh", "op_silu", "op_sigmoid", "op_tanh", "op_relu", "op_slide"})
  void matchesFixture(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    Tensor x = f.tensor("x").requiresGrad(true);
    Tensor out = op(name).apply(x);
    FixtureAssert.assertMatchesFixture(f, "out", out);
    out.backward(f.tensor("grad_out"));
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
  }

  /** The same values through a non-contiguous view (transposed) and a tail that is not a whole vector. */
  @ParameterizedTest
  @ValueSource(strings = {"op_gelu", "op_gelu_tanh", "op_silu", "op_sigmoid", "op_tanh"})
  void stridedViewGivesTheSameValues(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    Tensor x = f.tensor("x");
    Tensor viaTranspose = op(name).apply(x.t().contiguous().t());
    assertThat(viaTranspose.toArray()).containsExactly(op(name).apply(x).toArray());
    Tensor tail = x.flatten().narrow(0, 3, 37); // odd offset and length
    assertThat(op(name).apply(tail).toArray())
        .containsExactly(java.util.Arrays.copyOfRange(op(name).apply(x).toArray(), 3, 40));
  }
}
