package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.Function;
import lmlab.autograd.GradCheck;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.assertj.core.data.Offset;

/** Helpers shared by the op tests: seeded parameters, finite-difference checks, closeness. */
final class OpAsserts {
  private OpAsserts() {}

  /** A standard-normal leaf that requires grad. */
  static Tensor param(long seed, int... shape) {
    return Tensor.randn(new Rng(seed), shape).requiresGrad(true);
  }

  /** GradCheck with its default float32 tolerances must pass. */
  static void assertGradients(Function<Tensor[], Tensor> f, Tensor... inputs) {
    GradCheck.Result r = GradCheck.check(f, inputs);
    assertThat(r.ok()).as("gradient check: max error %.3g, %s", r.maxError(), r.where()).isTrue();
  }

  /** |a - b| <= tol (1 + |b|) elementwise, with equal shapes. */
  static void assertAllClose(Tensor actual, Tensor expected, double tol) {
    assertThat(actual.shape()).containsExactly(expected.shape());
    float[] a = actual.toArray();
    float[] b = expected.toArray();
    for (int i = 0; i < a.length; i++) {
      if (Float.isInfinite(b[i])) {
        assertThat(a[i]).as("element %d", i).isEqualTo(b[i]);
      } else {
        assertThat((double) a[i]).as("element %d", i).isCloseTo(b[i], Offset.offset(tol * (1 + Math.abs(b[i]))));
      }
    }
  }

  /**
   * The fixture's forward output {@code out} and, for loss = sum(out * grad_out), the gradient
   * {@code grad.<name>} of every named input.
   */
  static void assertFixture(SafetensorsFile f, Tensor out, Map<String, Tensor> inputs) {
    FixtureAssert.assertMatchesFixture(f, "out", out);
    out.backward(f.tensor("grad_out"));
    inputs.forEach((name, t) -> FixtureAssert.assertMatchesFixture(f, "grad." + name, t.grad()));
  }
}
