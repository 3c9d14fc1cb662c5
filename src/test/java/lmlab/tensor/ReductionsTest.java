package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.function.Function;
import lmlab.autograd.GradCheck;
import org.junit.jupiter.api.Test;

/** sum, mean, var, max, min, argmax: hand-computed values, layouts, gradients, errors. */
class ReductionsTest {
  /** 0..23 as (2, 3, 4). */
  static Tensor cube() {
    return Tensor.arange(24).reshape(2, 3, 4);
  }

  static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    GradCheck.Result r = GradCheck.check(f, inputs);
    assertThat(r.ok()).as("gradient check: max error %.3g, %s", r.maxError(), r.where()).isTrue();
  }

  /** A permutation of 0, 0.1, 0.2, ...: distinct values at least 0.1 apart. */
  static Tensor distinct(long seed, int... shape) {
    int n = Shape.numel(shape);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = 0.1f * i;
    Rng rng = new Rng(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      float t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
    return Tensor.of(v, shape).requiresGrad(true);
  }

  @Test
  void sumOverOneDimWithAndWithoutKeepdim() {
    Tensor x = cube();
    Tensor s1 = x.sum(new int[] {1}, false);
    assertThat(s1.shape()).containsExactly(2, 4);
    assertThat(s1.toArray()).containsExactly(12, 15, 18, 21, 48, 51, 54, 57);
    assertThat(x.sum(new int[] {1}, true).shape()).containsExactly(2, 1, 4);
    assertThat(x.sum(new int[] {-1}, false).toArray()).containsExactly(6, 22, 38, 54, 70, 86);
    assertThat(x.sum(-1, true).shape()).containsExactly(2, 3, 1);
    assertThat(x.sum(new int[] {0}, false).toArray())
        .containsExactly(12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34);
  }

  @Test
  void sumOverSeveralDims() {
    Tensor x = cube();
    // dims 0 and 2 around a kept dim: the permuted path
    Tensor s02 = x.sum(new int[] {0, -1}, false);
    assertThat(s02.shape()).containsExactly(3);
    assertThat(s02.toArray()).containsExactly(6 + 54, 22 + 70, 38 + 86);
    assertThat(x.sum(new int[] {2, 0}, true).shape()).containsExactly(1, 3, 1);
    Tensor s12 = x.sum(new int[] {1, 2}, false);
    assertThat(s12.toArray()).containsExactly(66, 210);
    assertThat(x.sum(new int[0], false).shape()).isEmpty();
    assertThat(x.sum().item()).isEqualTo(276);
    assertThat(x.sum(new int[0], true).shape()).containsExactly(1, 1, 1);
  }

  @Test
  void reductionsOfViewsMatchContiguousCopies() {
    Tensor x = Tensor.randn(new Rng(1), 5, 6, 7);
    Tensor v = x.permute(2, 0, 1); // (7, 5, 6), non-contiguous
    Tensor c = v.contiguous().copy();
    for (int[] dims : new int[][] {{0}, {1}, {2}, {0, 2}, {1, 2}, {}}) {
      assertThat(v.sum(dims, true).toArray()).containsExactly(c.sum(dims, true).toArray());
      assertThat(v.mean(dims, false).toArray()).containsExactly(c.mean(dims, false).toArray());
      assertThat(v.var(dims, false).toArray()).containsExactly(c.var(dims, false).toArray());
    }
    assertThat(v.max(1, false).toArray()).containsExactly(c.max(1, false).toArray());
    assertThat(v.narrow(2, 1, 3).sum(new int[] {-1}, false).toArray())
        .containsExactly(c.narrow(2, 1, 3).contiguous().sum(new int[] {-1}, false).toArray());
    Tensor e = Tensor.vector(1, 2, 3).expand(4, 3);
    assertThat(e.sum(new int[] {0}, false).toArray()).containsExactly(4, 8, 12);
  }

  @Test
  void meanAndVariance() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 2, 4, 6, 8}, 2, 4);
    assertThat(x.mean(-1, false).toArray()).containsExactly(2.5f, 5);
    assertThat(x.mean(new int[] {0}, true).toArray()).containsExactly(1.5f, 3, 4.5f, 6);
    assertThat(x.mean().item()).isEqualTo(3.75f);
    assertThat(x.var(new int[] {1}, false).toArray()).containsExactly(1.25f, 5);
    assertThat(x.var(new int[] {1}, true, true).toArray()).containsExactly(5f / 3, 20f / 3);
    assertThat(x.var(new int[] {0}, false).toArray()).containsExactly(0.25f, 1, 2.25f, 4);
    assertThat(x.var().item()).isCloseTo(4.6875f, within(1e-6f));
  }

  @Test
  void sumsAccumulateInDoubles() {
    // 2^24 + 1 + 1 + 1 + 1: a float accumulator would stay at 2^24
    Tensor x = Tensor.vector(16777216f, 1, 1, 1, 1);
    assertThat(x.sum().item()).isEqualTo(16777220f);
    Tensor big = Tensor.full(new int[] {3, 100_000}, 0.1f);
    float[] rows = big.sum(new int[] {1}, false).toArray();
    for (float r : rows) assertThat((double) r).isCloseTo(100_000 * (double) 0.1f, within(1e-3));
    float[] cols = big.t().sum(new int[] {1}, false).toArray();
    assertThat(cols.length).isEqualTo(100_000);
    // variance of a large offset: two passes keep it exact
    Tensor shifted = Tensor.vector(1e4f + 1, 1e4f + 2, 1e4f + 3);
    assertThat(shifted.var(new int[] {0}, false, true).item()).isEqualTo(1f);
  }

  @Test
  void largeTensorsOnTheParallelPaths() {
    Tensor x = Tensor.randn(new Rng(7), 300, 257);
    float[] v = x.toArray();
    float[] rowSums = x.sum(new int[] {1}, false).toArray();
    float[] colSums = x.sum(new int[] {0}, false).toArray();
    float[] rowMax = x.max(1, false).toArray();
    int[] colArg = x.argmax(0, false).toArray();
    for (int r = 0; r < 300; r++) {
      double s = 0;
      float m = Float.NEGATIVE_INFINITY;
      for (int c = 0; c < 257; c++) {
        s += v[r * 257 + c];
        m = Math.max(m, v[r * 257 + c]);
      }
      assertThat((double) rowSums[r]).isCloseTo(s, within(1e-5));
      assertThat(rowMax[r]).isEqualTo(m);
    }
    for (int c = 0; c < 257; c++) {
      double s = 0;
      int arg = 0;
      for (int r = 0; r < 300; r++) {
        s += v[r * 257 + c];
        if (v[r * 257 + c] > v[arg * 257 + c]) arg = r;
      }
      assertThat((double) colSums[c]).isCloseTo(s, within(1e-5));
      assertThat(colArg[c]).isEqualTo(arg);
    }
  }

  @Test
  void maxMinAndArgmaxTakeTheFirstOfTies() {
    Tensor x = Tensor.of(new float[] {1, 5, 5, 0, -2, 3, -2, 3}, 2, 4);
    assertThat(x.max(1, false).toArray()).containsExactly(5, 3);
    assertThat(x.min(-1, true).shape()).containsExactly(2, 1);
    assertThat(x.min(-1, true).toArray()).containsExactly(0, -2);
    IntTensor am = x.argmax(1, false);
    assertThat(am.shape()).containsExactly(2);
    assertThat(am.toArray()).containsExactly(1, 1);
    assertThat(x.argmin(-1, true).shape()).containsExactly(2, 1);
    assertThat(x.argmin(-1, false).toArray()).containsExactly(3, 0);
    assertThat(x.argmax(0, false).toArray()).containsExactly(0, 0, 0, 1);
    assertThat(x.max().item()).isEqualTo(5);
    assertThat(x.min().item()).isEqualTo(-2);
    assertThat(Tensor.vector(1, Float.NaN, 3).max().item()).isNaN();
  }

  @Test
  void longRowsFindTheFirstExtremeAndNaN() {
    float[] v = new float[100];
    for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i);
    v[37] = 5;
    v[80] = 5;
    v[41] = -5;
    v[90] = -5;
    Tensor x = Tensor.of(v, 1, 100);
    assertThat(x.argmax(1, false).toArray()).containsExactly(37);
    assertThat(x.argmin(1, false).toArray()).containsExactly(41);
    assertThat(x.max().item()).isEqualTo(5);
    assertThat(x.min(-1, false).item()).isEqualTo(-5);
    v[50] = Float.NaN;
    Tensor y = Tensor.of(v, 1, 100);
    assertThat(y.argmax(1, false).toArray()).containsExactly(50);
    assertThat(y.argmin(1, false).toArray()).containsExactly(50);
    assertThat(y.max(1, false).item()).isNaN();
    Tensor inf = Tensor.full(new int[] {2, 33}, Float.NEGATIVE_INFINITY);
    assertThat(inf.argmax(1, false).toArray()).containsExactly(0, 0);
  }

  @Test
  void maxSendsTheGradientToTheFirstMaximum() {
    Tensor x = Tensor.of(new float[] {1, 5, 5, 0, -2, 3, -2, 3}, 2, 4).requiresGrad(true);
    x.max(1, false).backward(Tensor.vector(10, 20));
    assertThat(x.grad().toArray()).containsExactly(0, 10, 0, 0, 0, 20, 0, 0);
    Tensor y = Tensor.of(new float[] {4, 1, 4, 2}, 2, 2).requiresGrad(true);
    y.max().backward();
    assertThat(y.grad().toArray()).containsExactly(1, 0, 0, 0);
    Tensor z = Tensor.of(new float[] {4, 1, 0, 2}, 2, 2).requiresGrad(true);
    z.min(0, true).backward(Tensor.of(new float[] {3, 7}, 1, 2));
    assertThat(z.grad().toArray()).containsExactly(0, 7, 3, 0);
  }

  @Test
  void gradientsByFiniteDifferences() {
    check(in -> in[0].sum(new int[] {1}, false), Tensor.randn(new Rng(1), 3, 4, 2).requiresGrad(true));
    check(in -> in[0].sum(new int[] {0, 2}, true), Tensor.randn(new Rng(2), 3, 4, 2).requiresGrad(true));
    check(in -> in[0].t().sum(new int[] {-1}, false), Tensor.randn(new Rng(3), 4, 3).requiresGrad(true));
    check(in -> in[0].mean(new int[] {0}, false), Tensor.randn(new Rng(4), 3, 5).requiresGrad(true));
    check(in -> in[0].mean(), Tensor.randn(new Rng(5), 3, 5).requiresGrad(true));
    check(in -> in[0].permute(1, 0, 2).mean(new int[] {0, 2}, true),
        Tensor.randn(new Rng(6), 3, 4, 2).requiresGrad(true));
    check(in -> in[0].var(new int[] {-1}, false), Tensor.randn(new Rng(7), 3, 5).requiresGrad(true));
    check(in -> in[0].var(new int[] {0, 1}, true, true), Tensor.randn(new Rng(8), 3, 4, 2).requiresGrad(true));
    check(in -> in[0].t().var(new int[] {0}, true), Tensor.randn(new Rng(9), 4, 3).requiresGrad(true));
    check(in -> in[0].max(1, false), distinct(10, 3, 5));
    check(in -> in[0].max(0, true), distinct(11, 3, 5, 2));
    check(in -> in[0].t().min(-1, false), distinct(12, 4, 3));
    check(in -> in[0].max().add(in[0].min()), distinct(13, 3, 4));
    // a reduction feeding elementwise ops: softmax written out by hand
    check(in -> in[0].exp().div(in[0].exp().sum(new int[] {-1}, true)),
        Tensor.randn(new Rng(14), 3, 5).requiresGrad(true));
  }

  @Test
  void badDimsAreReported() {
    Tensor x = cube();
    assertThatThrownBy(() -> x.sum(new int[] {3}, false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum").hasMessageContaining("dimension 3");
    assertThatThrownBy(() -> x.mean(new int[] {-4}, false)).hasMessageContaining("mean");
    assertThatThrownBy(() -> x.sum(new int[] {1, -2}, false)).hasMessageContaining("appears twice");
    assertThatThrownBy(() -> x.max(5, false)).hasMessageContaining("max");
    assertThatThrownBy(() -> Tensor.zeros(0).max()).hasMessageContaining("empty");
  }

  @Test
  void scalarsReduceToThemselves() {
    Tensor s = Tensor.scalar(3).requiresGrad(true);
    assertThat(s.sum().item()).isEqualTo(3);
    assertThat(s.sum(new int[] {0}, true).shape()).isEmpty();
    assertThat(s.max().item()).isEqualTo(3);
    s.mean().backward();
    assertThat(s.grad().item()).isEqualTo(1);
  }
}
