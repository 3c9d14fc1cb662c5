package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import lmlab.autograd.GradCheck;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class BatchNorm1dTest {
  @Test
  void twoTrainStepsThenEvalMatchTheFixture() {
    SafetensorsFile f = fixture("batchnorm1d");
    BatchNorm1d bn = new BatchNorm1d(3);
    assertThat(bn.stateDict().keySet()).containsExactly("weight", "bias", "running_mean", "running_var");
    assertThat(bn.namedParameters().keySet()).containsExactly("weight", "bias");
    bn.loadStateDict(Map.of("weight", f.tensor("weight"), "bias", f.tensor("bias"),
        "running_mean", f.tensor("running_mean.0"), "running_var", f.tensor("running_var.0")));

    Tensor x1 = f.tensor("x1").requiresGrad(true);
    Tensor y1 = bn.forward(x1);
    assertMatchesFixture(f, "y1", y1);
    assertMatchesFixture(f, "running_mean.1", bn.runningMean());
    assertMatchesFixture(f, "running_var.1", bn.runningVar());
    y1.mul(f.tensor("grad_y1")).sum().backward();
    assertMatchesFixture(f, "grad.x1", x1.grad());
    assertMatchesFixture(f, "grad.weight", bn.weight().grad());
    assertMatchesFixture(f, "grad.bias", bn.bias().grad());

    assertMatchesFixture(f, "y2", bn.forward(f.tensor("x2")));
    assertMatchesFixture(f, "running_mean.2", bn.runningMean());
    assertMatchesFixture(f, "running_var.2", bn.runningVar());
    assertThat(bn.batchesTracked()).isEqualTo(2);

    bn.eval();
    assertMatchesFixture(f, "y3", bn.forward(f.tensor("x3")));
    assertMatchesFixture(f, "running_mean.2", bn.runningMean()); // eval leaves the running stats alone
    assertThat(bn.stateDict().get("running_var")).isSameAs(bn.runningVar());
  }

  @Test
  void acceptsTwoDimensionalInput() {
    Tensor x = Tensor.randn(new Rng(5), 6, 4);
    BatchNorm1d bn = new BatchNorm1d(4);
    Tensor y = bn.forward(x);
    Tensor expected = x.sub(x.mean(0, true)).div(x.var(new int[] {0}, true).add(1e-5f).sqrt());
    FixtureAssert.assertClose("bn (N, C)", y, expected);
    // running_var takes the unbiased batch variance: 0.9 * 1 + 0.1 * var * n / (n - 1)
    Tensor rv = Tensor.ones(4).mul(0.9f).add(x.var(new int[] {0}, false, true).mul(0.1f));
    FixtureAssert.assertClose("running_var", bn.runningVar(), rv);
  }

  @Test
  void gradientsOfTwoDimensionalInputMatchFiniteDifferences() {
    BatchNorm1d bn = new BatchNorm1d(3);
    Rng rng = new Rng(9);
    bn.loadStateDict(Map.of("weight", Tensor.randn(rng, 3), "bias", Tensor.randn(rng, 3),
        "running_mean", Tensor.zeros(3), "running_var", Tensor.ones(3)));
    Tensor x = Tensor.randn(rng, 5, 3).requiresGrad(true);
    GradCheck.Result r = GradCheck.check(in -> bn.forward(in[0]), x);
    assertThat(r.ok()).as("worst %s at %s", r.maxError(), r.where()).isTrue();
  }

  @Test
  void badInputIsAClearError() {
    BatchNorm1d bn = new BatchNorm1d(3);
    assertThatThrownBy(() -> bn.forward(Tensor.zeros(2, 4, 5))).hasMessageContaining("(N, 3)").hasMessageContaining("(2, 4, 5)");
    assertThatThrownBy(() -> bn.forward(Tensor.zeros(1, 3))).hasMessageContaining("more than one value per channel");
  }
}
