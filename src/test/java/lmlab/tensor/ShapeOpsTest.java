package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShapeOpsTest {
  static Tensor range(int... shape) {
    return Tensor.arange(Shape.numel(shape)).reshape(shape);
  }

  @Test
  void catJoinsAlongAnyDim() {
    Tensor a = range(2, 2);
    Tensor b = Tensor.of(new float[] {10, 11, 12, 13, 14, 15}, 2, 3);
    assertThat(Tensor.cat(List.of(a, b), 1).toArray()).containsExactly(0, 1, 10, 11, 12, 2, 3, 13, 14, 15);
    assertThat(Tensor.cat(List.of(a, b.narrow(1, 0, 2)), 0).toArray()).containsExactly(0, 1, 2, 3, 10, 11, 13, 14);
    assertThat(Tensor.concat(List.of(a.t(), a), -1).toArray()).containsExactly(0, 2, 0, 1, 1, 3, 2, 3);
    assertThat(Tensor.cat(List.of(a, Tensor.zeros(0, 2)), 0).shape()).containsExactly(2, 2);
  }

  @Test
  void stackAddsADimension() {
    Tensor a = range(2, 3);
    Tensor b = range(2, 3).add(Tensor.scalar(10));
    Tensor s0 = Tensor.stack(List.of(a, b), 0);
    assertThat(s0.shape()).containsExactly(2, 2, 3);
    assertThat(s0.select(0, 1).toArray()).containsExactly(b.toArray());
    Tensor s2 = Tensor.stack(List.of(a, b), -1);
    assertThat(s2.shape()).containsExactly(2, 3, 2);
    assertThat(s2.toArray()).startsWith(0, 10, 1, 11);
  }

  @Test
  void splitAndChunkAreViews() {
    Tensor x = range(7, 2);
    List<Tensor> parts = x.split(3, 0);
    assertThat(parts).hasSize(3);
    assertThat(parts.get(2).shape()).containsExactly(1, 2);
    assertThat(parts.get(1).storage()).isSameAs(x.storage());
    assertThat(parts.get(1).toArray()).containsExactly(6, 7, 8, 9, 10, 11);
    List<Tensor> sized = x.split(new int[] {2, 5}, 0);
    assertThat(sized.get(1).shape()).containsExactly(5, 2);
    assertThat(sized.get(1).get(0, 0)).isEqualTo(4f);
    List<Tensor> chunks = x.chunk(3, 0); // PyTorch: ceil(7 / 3) = 3 per chunk
    assertThat(chunks).extracting(t -> t.size(0)).containsExactly(3, 3, 1);
    assertThat(x.chunk(2, 1)).extracting(t -> t.size(1)).containsExactly(1, 1);
    assertThat(range(6).chunk(4, 0)).extracting(t -> t.size(0)).containsExactly(2, 2, 2);
  }

  @Test
  void gradients() {
    assertGradients(t -> Tensor.cat(List.of(t[0], t[1], t[2]), 1), param(1, 2, 3), param(2, 2, 1), param(3, 2, 2));
    assertGradients(t -> Tensor.cat(List.of(t[0].t(), t[1]), 0), param(4, 3, 2), param(5, 1, 3));
    assertGradients(t -> Tensor.stack(List.of(t[0], t[1]), 1), param(6, 2, 3), param(7, 2, 3));
    assertGradients(t -> {
      List<Tensor> p = t[0].split(2, 1);
      return Tensor.cat(List.of(p.get(2), p.get(0)), 1);
    }, param(8, 2, 5));
    assertGradients(t -> t[0].split(new int[] {1, 3}, 0).get(1), param(9, 4, 2));
    assertGradients(t -> Tensor.stack(t[0].chunk(2, 0), 0), param(10, 4, 3));
  }

  @Test
  void errorsNameTheOpAndTheShapes() {
    assertThatThrownBy(() -> Tensor.cat(List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 3)), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cat")
        .hasMessageContaining("(2, 3)")
        .hasMessageContaining("(3, 3)");
    assertThatThrownBy(() -> Tensor.stack(List.of(Tensor.zeros(2), Tensor.zeros(3)), 0))
        .hasMessageContaining("stack")
        .hasMessageContaining("(2,)")
        .hasMessageContaining("(3,)");
    assertThatThrownBy(() -> range(5, 2).split(new int[] {2, 2}, 0))
        .hasMessageContaining("split")
        .hasMessageContaining("(5, 2)");
    assertThatThrownBy(() -> range(4).chunk(0, 0)).hasMessageContaining("chunk");
    assertThatThrownBy(() -> Tensor.cat(List.of(), 0)).hasMessageContaining("cat");
  }
}
