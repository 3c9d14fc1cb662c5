package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertFixture;
import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class IndexOpsTest {
  static Tensor range(int... shape) {
    return Tensor.arange(Shape.numel(shape)).reshape(shape);
  }

  @Test
  void gatherFollowsPyTorch() {
    Tensor x = range(2, 3); // [[0, 1, 2], [3, 4, 5]]
    Tensor g1 = x.gather(1, IntTensor.of(new int[] {2, 0, 1, 1}, 2, 2));
    assertThat(g1.toArray()).containsExactly(2, 0, 4, 4);
    Tensor g0 = x.gather(0, IntTensor.of(new int[] {1, 0, 1}, 1, 3));
    assertThat(g0.toArray()).containsExactly(3, 1, 5);
    assertThat(x.t().gather(0, IntTensor.of(new int[] {2, 0}, 1, 2)).toArray()).containsExactly(2, 3);
  }

  @Test
  void indexSelectWithRepeats() {
    Tensor x = range(3, 2);
    assertThat(x.indexSelect(0, IntTensor.vector(2, 0, 2)).toArray()).containsExactly(4, 5, 0, 1, 4, 5);
    assertThat(x.indexSelect(1, IntTensor.vector(1, 1)).toArray()).containsExactly(1, 1, 3, 3, 5, 5);
    Tensor w = Tensor.zeros(3, 2).requiresGrad(true);
    w.indexSelect(0, IntTensor.vector(2, 0, 2)).sum().backward();
    assertThat(w.grad().toArray()).containsExactly(1, 1, 0, 0, 2, 2);
  }

  @Test
  void embeddingMatchesTheFixture() {
    SafetensorsFile f = FixtureAssert.fixture("embedding");
    Tensor w = f.tensor("weight").requiresGrad(true);
    assertFixture(f, Tensor.embedding(w, f.ints("ids")), Map.of("weight", w));
  }

  @Test
  void embeddingLooksUpRowsForIdsOfAnyShape() {
    Tensor w = range(5, 3);
    Tensor e = w.embedding(IntTensor.of(new int[] {4, 0, 4, 1}, 2, 1, 2));
    assertThat(e.shape()).containsExactly(2, 1, 2, 3);
    assertThat(e.toArray()).containsExactly(12, 13, 14, 0, 1, 2, 12, 13, 14, 3, 4, 5);
    assertThat(w.embedding(IntTensor.of(new int[] {2}, new int[0])).shape()).containsExactly(3);
  }

  @Test
  void embeddingGradientAccumulatesOnTheParallelPath() {
    int v = 50, d = 64, n = 1000;
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) ids[i] = (i * 7) % 13; // only rows 0..12, each many times
    Tensor w = param(1, v, d);
    Tensor g = Tensor.randn(new Rng(2), n, d);
    w.embedding(IntTensor.vector(ids)).backward(g);
    double[] expected = new double[v * d];
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) expected[ids[i] * d + j] += g.get(i, j);
    float[] actual = w.grad().toArray();
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4));
    }
  }

  @Test
  void gradients() {
    IntTensor gi = IntTensor.of(new int[] {2, 0, 2, 1, 1, 1}, 2, 3);
    assertGradients(t -> t[0].gather(1, gi), param(1, 2, 4));
    assertGradients(t -> t[0].gather(0, IntTensor.of(new int[] {1, 0, 1, 1}, 2, 2)), param(2, 3, 2));
    assertGradients(t -> t[0].indexSelect(0, IntTensor.vector(2, 0, 2, 2)), param(3, 3, 2));
    assertGradients(t -> t[0].indexSelect(1, IntTensor.vector(1, 1, 0)), param(4, 2, 3, 2));
    assertGradients(t -> t[0].t().indexSelect(1, IntTensor.vector(0, 0)), param(5, 2, 3));
    assertGradients(t -> t[0].embedding(IntTensor.of(new int[] {3, 1, 3, 3, 0, 1}, 3, 2)), param(6, 5, 3));
  }

  @Test
  void outOfRangeIndicesAreNamed() {
    Tensor w = Tensor.zeros(7, 4);
    assertThatThrownBy(() -> w.embedding(IntTensor.of(new int[] {0, 1, 2, 9}, 2, 2)))
        .isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessageContaining("embedding")
        .hasMessageContaining("id 9")
        .hasMessageContaining("(1, 1)")
        .hasMessageContaining("V = 7");
    assertThatThrownBy(() -> w.embedding(IntTensor.vector(-1))).hasMessageContaining("id -1");
    assertThatThrownBy(() -> w.gather(1, IntTensor.of(new int[] {4}, 1, 1)))
        .hasMessageContaining("gather")
        .hasMessageContaining("index 4");
    assertThatThrownBy(() -> w.indexSelect(0, IntTensor.vector(7))).hasMessageContaining("indexSelect").hasMessageContaining("7");
  }
}
