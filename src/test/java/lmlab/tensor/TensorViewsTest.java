package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TensorViewsTest {
  static Tensor range(int... shape) {
    return Tensor.arange(Shape.numel(shape)).reshape(shape);
  }

  @Test
  void creationFillsShapesAndValues() {
    assertThat(Tensor.zeros(2, 3).toArray()).containsOnly(0f).hasSize(6);
    assertThat(Tensor.ones(4).toArray()).containsExactly(1, 1, 1, 1);
    assertThat(Tensor.full(new int[] {2}, 7.5f).toArray()).containsExactly(7.5f, 7.5f);
    assertThat(Tensor.arange(1, 2, 0.25f).toArray()).containsExactly(1f, 1.25f, 1.5f, 1.75f);
    assertThat(Tensor.scalar(3f).shape()).isEmpty();
    assertThat(Tensor.scalar(3f).item()).isEqualTo(3f);
    assertThat(Tensor.zeros(0, 4).numel()).isZero();
  }

  @Test
  void seededRandomIsReproducibleAndRoughlyStandard() {
    float[] a = Tensor.randn(new Rng(7), 10_000).toArray();
    float[] b = Tensor.randn(new Rng(7), 10_000).toArray();
    assertThat(a).containsExactly(b);
    double mean = 0, sq = 0;
    for (float v : a) {
      mean += v;
      sq += v * v;
    }
    mean /= a.length;
    assertThat(mean).isBetween(-0.05, 0.05);
    assertThat(sq / a.length - mean * mean).isBetween(0.95, 1.05);
    float[] u = Tensor.rand(new Rng(1), 1000).toArray();
    for (float v : u) assertThat(v).isGreaterThanOrEqualTo(0f).isLessThan(1f);
  }

  @Test
  void rngStateRoundTrips() {
    Rng r = new Rng(42);
    r.nextGaussian();
    long[] st = r.state();
    double x = r.nextGaussian(), y = r.nextGaussian();
    Rng s = new Rng(0);
    s.setState(st);
    assertThat(s.nextGaussian()).isEqualTo(x);
    assertThat(s.nextGaussian()).isEqualTo(y);
  }

  @Test
  void transposeIsAViewWithSwappedStrides() {
    Tensor x = range(2, 3);
    Tensor t = x.t();
    assertThat(t.shape()).containsExactly(3, 2);
    assertThat(t.isContiguous()).isFalse();
    assertThat(t.toArray()).containsExactly(0, 3, 1, 4, 2, 5);
    assertThat(t.storage()).isSameAs(x.storage());
    x.set(100f, 0, 1);
    assertThat(t.get(1, 0)).isEqualTo(100f);
  }

  @Test
  void permuteNarrowSelectAndSlice() {
    Tensor x = range(2, 3, 4);
    Tensor p = x.permute(2, 0, 1);
    assertThat(p.shape()).containsExactly(4, 2, 3);
    assertThat(p.get(3, 1, 2)).isEqualTo(x.get(1, 2, 3));
    Tensor n = x.narrow(2, 1, 2);
    assertThat(n.shape()).containsExactly(2, 3, 2);
    assertThat(n.toArray()).containsExactly(1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22);
    assertThat(x.select(1, -1).toArray()).containsExactly(8, 9, 10, 11, 20, 21, 22, 23);
    assertThat(x.slice(0, -1, 100).shape()).containsExactly(1, 3, 4);
  }

  @Test
  void reshapeViewsContiguousAndCopiesOtherwise() {
    Tensor x = range(2, 6);
    Tensor r = x.reshape(3, -1);
    assertThat(r.shape()).containsExactly(3, 4);
    assertThat(r.storage()).isSameAs(x.storage());
    Tensor t = x.t().reshape(-1);
    assertThat(t.toArray()).containsExactly(0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11);
    assertThatThrownBy(() -> x.t().view(12)).hasMessageContaining("not contiguous");
    assertThatThrownBy(() -> x.reshape(5, -1)).hasMessageContaining("(2, 6)");
    assertThatThrownBy(() -> x.reshape(-1, -1)).hasMessageContaining("only one dimension can be -1");
  }

  @Test
  void expandBroadcastsWithZeroStride() {
    Tensor x = Tensor.vector(1, 2, 3).reshape(3, 1);
    Tensor e = x.expand(2, 3, 4);
    assertThat(e.shape()).containsExactly(2, 3, 4);
    assertThat(e.strides()[0]).isZero();
    assertThat(e.get(1, 2, 3)).isEqualTo(3f);
    assertThat(e.contiguous().toArray()).hasSize(24);
    assertThatThrownBy(() -> x.expand(2, 2)).hasMessageContaining("(3, 1)").hasMessageContaining("(2, 2)");
  }

  @Test
  void squeezeUnsqueeze() {
    Tensor x = range(2, 3);
    assertThat(x.unsqueeze(0).shape()).containsExactly(1, 2, 3);
    assertThat(x.unsqueeze(-1).shape()).containsExactly(2, 3, 1);
    assertThat(x.unsqueeze(1).squeeze(1).toArray()).containsExactly(x.toArray());
    assertThatThrownBy(() -> x.squeeze(0)).hasMessageContaining("size 2, not 1");
  }

  @Test
  void copyIntoStridedDestinationAndFill() {
    Tensor x = Tensor.zeros(3, 3);
    x.t().narrow(0, 1, 1).copy_(Tensor.vector(7, 8, 9).reshape(1, 3));
    assertThat(x.toArray()).containsExactly(0, 7, 0, 0, 8, 0, 0, 9, 0);
    x.narrow(1, 2, 1).fill_(5f);
    assertThat(x.toArray()).containsExactly(0, 7, 5, 0, 8, 5, 0, 9, 5);
  }

  @Test
  void indexErrorsNameTheDimension() {
    Tensor x = range(2, 3);
    assertThatThrownBy(() -> x.get(0, 3)).hasMessageContaining("dimension 1 of size 3");
    assertThatThrownBy(() -> x.transpose(0, 2)).hasMessageContaining("dimension 2 out of range");
    assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3)).hasMessageContaining("5 values cannot fill shape (2, 3)");
    assertThatThrownBy(() -> x.item()).hasMessageContaining("one element");
  }
}
