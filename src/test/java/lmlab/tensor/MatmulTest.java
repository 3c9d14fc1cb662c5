package lmlab.tensor;

import static lmlab.tensor.OpAsserts.assertAllClose;
import static lmlab.tensor.OpAsserts.assertFixture;
import static lmlab.tensor.OpAsserts.assertGradients;
import static lmlab.tensor.OpAsserts.param;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class MatmulTest {
  /** Reference for rank >= 2: broadcast both to the full batch shape, then triple loops in double. */
  static Tensor reference(Tensor a, Tensor b) {
    int ra = a.dim(), rb = b.dim();
    int m = a.size(-2), k = a.size(-1), n = b.size(-1);
    int[] batch = Shape.broadcast("ref", Arrays.copyOf(a.shape(), ra - 2), Arrays.copyOf(b.shape(), rb - 2));
    int nb = batch.length;
    Tensor ae = a.detach().expand(concat(batch, m, k));
    Tensor be = b.detach().expand(concat(batch, k, n));
    Tensor out = Tensor.zeros(concat(batch, m, n));
    int[] idx = new int[nb + 2];
    for (int e = 0; e < Shape.numel(batch); e++) {
      int rest = e;
      for (int d = nb - 1; d >= 0; d--) {
        idx[d] = rest % batch[d];
        rest /= batch[d];
      }
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int p = 0; p < k; p++) {
            int[] ia = idx.clone();
            ia[nb] = i;
            ia[nb + 1] = p;
            int[] ib = idx.clone();
            ib[nb] = p;
            ib[nb + 1] = j;
            s += (double) ae.get(ia) * be.get(ib);
          }
          int[] io = idx.clone();
          io[nb] = i;
          io[nb + 1] = j;
          out.set((float) s, io);
        }
      }
    }
    return out;
  }

  private static int[] concat(int[] batch, int r, int c) {
    int[] s = Arrays.copyOf(batch, batch.length + 2);
    s[batch.length] = r;
    s[batch.length + 1] = c;
    return s;
  }

  @Test
  void matchesTheBroadcastBatchedFixture() {
    SafetensorsFile f = FixtureAssert.fixture("op_matmul");
    Tensor a = f.tensor("a").requiresGrad(true);
    Tensor b = f.tensor("b").requiresGrad(true);
    assertFixture(f, a.matmul(b), Map.of("a", a, "b", b));
  }

  @Test
  void oneDimensionalOperandsArePromotedAndDropped() {
    Tensor v = Tensor.vector(1, 2, 3);
    Tensor w = Tensor.vector(4, 5, 6);
    Tensor dot = v.matmul(w);
    assertThat(dot.shape()).isEmpty();
    assertThat(dot.item()).isEqualTo(32f);
    Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
    assertThat(v.matmul(m).shape()).containsExactly(2);
    assertThat(v.matmul(m).toArray()).containsExactly(22, 28);
    Tensor mt = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    assertThat(mt.matmul(v).toArray()).containsExactly(14, 32);
    Tensor batched = param(1, 4, 3, 2);
    assertThat(v.matmul(batched).shape()).containsExactly(4, 2);
    assertAllClose(v.matmul(batched), reference(v.reshape(1, 3), batched).reshape(4, 2), 1e-5);
    assertThat(param(2, 4, 2, 3).matmul(v).shape()).containsExactly(4, 2);
  }

  @Test
  void batchedAndBroadcastShapesMatchTheReference() {
    int[][][] cases = {
      {{2, 3}, {3, 4}},
      {{5, 2, 3}, {5, 3, 4}},
      {{2, 1, 3, 4}, {3, 4, 5}},
      {{4, 3, 6}, {6, 2}},
      {{3, 6}, {2, 6, 5}},
      {{2, 1, 3, 4}, {1, 2, 4, 3}},
      {{1, 7}, {7, 1}},
    };
    long seed = 10;
    for (int[][] c : cases) {
      Tensor a = param(seed++, c[0]);
      Tensor b = param(seed++, c[1]);
      assertAllClose(a.matmul(b), reference(a, b), 1e-5);
    }
  }

  @Test
  void transposedAndStridedViewsNeedNoCopyAndGiveTheSameResult() {
    Tensor a = param(3, 4, 5);
    Tensor b = param(4, 6, 5);
    assertAllClose(a.matmul(b.t()), reference(a, b.t()), 1e-5);
    assertAllClose(b.matmul(a.t()), reference(b, a.t()), 1e-5);
    assertAllClose(a.t().matmul(a), reference(a.t(), a), 1e-5);
    Tensor wide = param(5, 3, 10);
    Tensor cols = wide.narrow(1, 2, 5); // row stride 10 > 5 columns
    assertAllClose(cols.matmul(b.t()), reference(cols, b.t()), 1e-5);
    Tensor batch = param(6, 3, 4, 5).permute(1, 0, 2); // (4, 3, 5): batch stride 5, row stride 20
    Tensor rhs = param(7, 4, 5, 2);
    assertAllClose(batch.matmul(rhs), reference(batch, rhs), 1e-5);
    Tensor strided = new Tensor(param(8, 4, 10).storage(), 0, new int[] {4, 5}, new int[] {10, 2}); // every other column
    assertAllClose(strided.matmul(b.t()), reference(strided, b.t()), 1e-5);
    Tensor expanded = param(9, 5, 3).expand(4, 5, 3);
    assertAllClose(a.matmul(expanded), reference(a, expanded), 1e-5);
  }

  @Test
  void gradientsOfEveryForm() {
    assertGradients(t -> t[0].matmul(t[1]), param(20, 4), param(21, 4));
    assertGradients(t -> t[0].matmul(t[1]), param(22, 3), param(23, 3, 2));
    assertGradients(t -> t[0].matmul(t[1]), param(24, 2, 3), param(25, 3));
    assertGradients(t -> t[0].matmul(t[1]), param(26, 3, 4), param(27, 4, 2));
    assertGradients(t -> t[0].matmul(t[1]), param(28, 2, 1, 3, 4), param(29, 3, 4, 2));
    assertGradients(t -> t[0].matmul(t[1]), param(30, 2, 3, 4), param(31, 4, 2));
    assertGradients(t -> t[0].matmul(t[1]), param(32, 3, 4), param(33, 2, 4, 2));
    assertGradients(t -> t[0].matmul(t[1]), param(34, 1, 2, 3), param(35, 2, 3, 2));
  }

  @Test
  void gradientsThroughTransposedNonContiguousAndExpandedInputs() {
    assertGradients(t -> t[0].t().matmul(t[1].t()), param(40, 4, 3), param(41, 2, 4));
    assertGradients(t -> t[0].matmul(t[1].transpose(-1, -2)), param(42, 2, 3, 4), param(43, 2, 5, 4));
    assertGradients(t -> t[0].narrow(1, 1, 3).matmul(t[1]), param(44, 2, 5), param(45, 3, 2));
    assertGradients(t -> t[0].permute(1, 0, 2).matmul(t[1]), param(46, 3, 2, 4), param(47, 2, 4, 3));
    assertGradients(t -> t[0].matmul(t[1].expand(3, 4, 2)), param(48, 3, 2, 4), param(49, 4, 2));
  }

  @Test
  void linearMatchesMatmulWithTransposedWeightPlusBias() {
    Tensor x = param(50, 2, 3, 5);
    Tensor w = param(51, 4, 5);
    Tensor b = param(52, 4);
    Tensor y = x.linear(w, b);
    assertThat(y.shape()).containsExactly(2, 3, 4);
    Tensor ref = reference(x, w.t()).add(b.detach());
    assertAllClose(y, ref, 1e-5);
    assertAllClose(Tensor.linear(x, w, null), reference(x, w.t()), 1e-5);
    assertAllClose(param(53, 5).linear(w, b), reference(param(53, 1, 5), w.t()).reshape(4).add(b.detach()), 1e-5);
  }

  @Test
  void linearMatchesTheLayerFixture() {
    SafetensorsFile f = FixtureAssert.fixture("linear");
    Tensor x = f.tensor("x").requiresGrad(true);
    Tensor w = f.tensor("weight").requiresGrad(true);
    Tensor b = f.tensor("bias").requiresGrad(true);
    assertFixture(f, x.linear(w, b), Map.of("x", x, "weight", w, "bias", b));
  }

  @Test
  void linearGradients() {
    assertGradients(t -> t[0].linear(t[1], t[2]), param(60, 2, 3, 5), param(61, 4, 5), param(62, 4));
    assertGradients(t -> t[0].linear(t[1], null), param(63, 3, 5), param(64, 4, 5));
    assertGradients(t -> t[0].linear(t[1].t(), t[2]), param(65, 5), param(66, 5, 4), param(67, 4));
    assertGradients(t -> t[0].t().linear(t[1], t[2]), param(68, 5, 3), param(69, 2, 5), param(70, 2));
  }

  @Test
  void largeProductsMatchTheReference() {
    Tensor a = param(80, 3, 37, 70);
    Tensor b = param(81, 70, 45);
    assertAllClose(a.matmul(b), reference(a, b), 1e-4);
    Tensor g = param(82, 3, 37, 45);
    Tensor x = param(83, 3, 37, 70);
    Tensor w = param(84, 45, 70);
    x.matmul(w.t()).backward(g);
    Tensor dx = x.grad();
    Tensor dw = w.grad();
    x.clearGrad();
    w.clearGrad();
    x.linear(w, null).backward(g);
    assertAllClose(x.grad(), dx, 1e-4);
    assertAllClose(w.grad(), dw, 1e-4);
    assertAllClose(dx, reference(g, w.detach()), 1e-4);
  }

  @Test
  void emptyDimensionsGiveEmptyOrZeroResults() {
    assertThat(Tensor.zeros(0, 3).matmul(Tensor.zeros(3, 2)).shape()).containsExactly(0, 2);
    Tensor a = Tensor.zeros(2, 0).requiresGrad(true);
    Tensor b = Tensor.zeros(0, 3).requiresGrad(true);
    Tensor c = a.matmul(b);
    assertThat(c.toArray()).containsOnly(0f).hasSize(6);
    c.backward(Tensor.ones(2, 3));
    assertThat(b.grad().shape()).containsExactly(0, 3);
    assertThat(Tensor.zeros(0, 2, 3).matmul(Tensor.zeros(3, 4)).shape()).containsExactly(0, 2, 4);
  }

  @Test
  void shapeMismatchNamesBothShapes() {
    assertThatThrownBy(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("matmul")
        .hasMessageContaining("(2, 3)")
        .hasMessageContaining("(4, 5)");
    assertThatThrownBy(() -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(5, 4, 6)))
        .hasMessageContaining("(2, 3, 4)")
        .hasMessageContaining("(5, 4, 6)");
    assertThatThrownBy(() -> Tensor.scalar(1).matmul(Tensor.zeros(3))).hasMessageContaining("matmul");
    assertThatThrownBy(() -> Tensor.zeros(2, 3).linear(Tensor.zeros(4, 5), null))
        .hasMessageContaining("linear")
        .hasMessageContaining("(2, 3)")
        .hasMessageContaining("(4, 5)");
  }
}
