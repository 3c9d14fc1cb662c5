package lmlab.testing;

import static lmlab.testing.FixtureAssert.assertClose;
import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FixtureAssertTest {
  private static Tensor filled(int n, float v) {
    float[] d = new float[n];
    Arrays.fill(d, v);
    return Tensor.of(d, n);
  }

  @Test
  void identicalTensorsPass() {
    Tensor t = Tensor.of(new float[] {1, -2, 3, Float.NEGATIVE_INFINITY}, 2, 2);
    assertClose("same", t, Tensor.of(t.toArray(), 2, 2), 1e-4, 1e-3);
  }

  @Test
  void elementwiseRuleFailsAndNamesTheWorstElement() {
    Tensor expected = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    // (1, 1) is off by 0.01, bound 1e-4 + 1e-3 * 5 = 5.1e-3: about 1.96 times the bound.
    Tensor actual = Tensor.of(new float[] {1, 2, 3, 4, 5.01f, 6}, 2, 3);
    assertThatThrownBy(() -> assertClose("op", actual, expected, 1e-4, 1e-3))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("op: 1 of 6 elements")
        .hasMessageContaining("worst at (1, 1)")
        .hasMessageContaining("actual 5.01")
        .hasMessageContaining("expected 5.00000000")
        .hasMessageContaining("1.96 times the bound");
  }

  @Test
  void normRuleCatchesASmallSystematicError() {
    // Every element is off by 0.9 of its elementwise bound (1e-4 + 1e-3 * 1 = 1.1e-3), but the
    // norm of the difference, 0.99e-3 * sqrt(n), far exceeds 1e-4 * sqrt(n) + 1e-5 * sqrt(n).
    int n = 1000;
    Tensor expected = filled(n, 1f);
    Tensor actual = filled(n, 1f + 0.99e-3f);
    assertThatThrownBy(() -> assertClose("grad", actual, expected, 1e-4, 1e-3))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("grad: ||a-b||_2")
        .hasMessageContaining("||b||_2 = 31.62")
        .hasMessageContaining("n = 1000")
        .hasMessageContaining("every element passed the elementwise rule");
  }

  @Test
  void normRuleAdmitsNoiseBelowItsBound() {
    int n = 1000;
    float[] d = new float[n];
    float[] e = new float[n];
    for (int i = 0; i < n; i++) {
      e[i] = 1f;
      d[i] = 1f + (i % 2 == 0 ? 5e-5f : -5e-5f); // norm 5e-5 sqrt(n) < (1e-4 + 1e-5) sqrt(n)
    }
    assertClose("noise", Tensor.of(d, n), Tensor.of(e, n), 1e-4, 1e-3);
  }

  @Test
  void shapeMismatchNamesBothShapes() {
    Tensor a = Tensor.zeros(2, 3);
    Tensor b = Tensor.zeros(3, 2);
    assertThatThrownBy(() -> assertClose("x", a, b, 1e-4, 1e-3))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("shape (2, 3)")
        .hasMessageContaining("expected shape (3, 2)");
  }

  @Test
  void infinitiesMustMatchExactly() {
    Tensor expected = Tensor.of(new float[] {0, Float.NEGATIVE_INFINITY}, 2);
    assertClose("ok", Tensor.of(new float[] {0, Float.NEGATIVE_INFINITY}, 2), expected, 1e-4, 1e-3);
    assertThatThrownBy(() -> assertClose("mask", Tensor.of(new float[] {0, -1e30f}, 2), expected, 1e-4, 1e-3))
        .hasMessageContaining("mask: element (1,) is -1.0E30, expected -Infinity");
    assertThatThrownBy(() -> assertClose("mask", Tensor.of(new float[] {Float.POSITIVE_INFINITY, 0}, 2),
        Tensor.zeros(2), 1e-4, 1e-3))
        .hasMessageContaining("element (0,) is Infinity, expected 0.0");
    assertThatThrownBy(() -> assertClose("nan", Tensor.of(new float[] {Float.NaN, 0}, 2), Tensor.zeros(2), 1e-4, 1e-3))
        .hasMessageContaining("element (0,) is NaN");
  }

  @Test
  void scalarAndEmptyTensorsCompare() {
    assertClose("scalar", Tensor.scalar(2f), Tensor.scalar(2.0001f), 1e-4, 1e-3);
    assertClose("empty", Tensor.zeros(0, 3), Tensor.zeros(0, 3), 1e-4, 1e-3);
    assertThatThrownBy(() -> assertClose("scalar", Tensor.scalar(2f), Tensor.scalar(2.1f), 1e-4, 1e-3))
        .hasMessageContaining("worst at ()");
  }

  @Test
  void fixtureLoadsFromTheClasspathAndMatchesItself() {
    SafetensorsFile f = fixture("op_matmul");
    assertThat(f.names()).contains("a", "b", "out", "grad.a", "grad.b", "grad_out");
    assertThat(f.metadata()).containsEntry("fixture", "op_matmul");
    Tensor out = f.tensor("out");
    assertThat(out.shape()).containsExactly(2, 3, 3, 5);
    assertMatchesFixture(f, "out", out);
  }

  @Test
  void assertMatchesFixtureUsesTheFileTolerance() {
    SafetensorsFile f = fixture("op_matmul");
    float[] v = f.tensor("out").toArray();
    v[7] += 0.5f;
    Tensor wrong = Tensor.of(v, 2, 3, 3, 5);
    assertThatThrownBy(() -> assertMatchesFixture(f, "out", wrong))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("op_matmul:out")
        .hasMessageContaining("atol 0.000100, rtol 0.00100")
        .hasMessageContaining("worst at (0, 0, 1, 2)");
  }

  @Test
  void intTensorsMustMatchExactly() {
    SafetensorsFile f = fixture("op_cross_entropy");
    IntTensor targets = f.ints("targets");
    assertMatchesFixture(f, "targets", targets);
    int[] t = targets.toArray();
    t[2] += 1;
    assertThatThrownBy(() -> assertMatchesFixture(f, "targets", IntTensor.of(t, targets.shape())))
        .hasMessageContaining("op_cross_entropy:targets: element (2,)");
  }

  @Test
  void missingFixtureFailsClearly() {
    assertThatThrownBy(() -> fixture("no_such_fixture"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("fixture \"no_such_fixture\" not found")
        .hasMessageContaining("/fixtures/no_such_fixture.safetensors");
  }

  @Test
  void indexFormatsRowMajorCoordinates() {
    assertThat(FixtureAssert.index(7, new int[] {2, 3, 2})).isEqualTo("(1, 0, 1)");
    assertThat(FixtureAssert.index(4, new int[] {5})).isEqualTo("(4,)");
    assertThat(FixtureAssert.index(0, new int[0])).isEqualTo("()");
  }
}
