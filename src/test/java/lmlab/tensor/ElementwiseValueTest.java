package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Hand-computed values of the elementwise ops, masks, dropout and the shape errors. */
class ElementwiseValueTest {
  static Tensor t(float[] v, int... shape) {
    return Tensor.of(v, shape);
  }

  @Test
  void broadcastingArithmetic() {
    Tensor a = t(new float[] {1, 2, 3}, 3, 1);
    Tensor b = t(new float[] {10, 20}, 2);
    assertThat(a.add(b).shape()).containsExactly(3, 2);
    assertThat(a.add(b).toArray()).containsExactly(11, 21, 12, 22, 13, 23);
    assertThat(a.sub(b).toArray()).containsExactly(-9, -19, -8, -18, -7, -17);
    assertThat(b.sub(a).toArray()).containsExactly(9, 19, 8, 18, 7, 17);
    assertThat(a.mul(b).toArray()).containsExactly(10, 20, 20, 40, 30, 60);
    assertThat(b.div(a).toArray()).containsExactly(10, 20, 5, 10, 10f / 3, 20f / 3);
    assertThat(a.pow(t(new float[] {2, 0.5f}, 2)).toArray())
        .containsExactly(1, 1, 4, (float) Math.sqrt(2), 9, (float) Math.sqrt(3));
    assertThat(a.maximum(t(new float[] {2}, 1)).toArray()).containsExactly(2, 2, 3);
    assertThat(a.minimum(t(new float[] {2}, 1)).toArray()).containsExactly(1, 2, 2);
    Tensor s = Tensor.scalar(2);
    assertThat(s.mul(s).shape()).isEmpty();
    assertThat(s.mul(s).item()).isEqualTo(4);
  }

  /** The element of t that broadcasting maps output index idx to. */
  static float at(Tensor t, int[] idx) {
    int lead = idx.length - t.dim();
    int[] i = new int[t.dim()];
    for (int d = 0; d < i.length; d++) i[d] = t.size(d) == 1 ? 0 : idx[d + lead];
    return t.get(i);
  }

  @Test
  void broadcastingMatchesANaiveReferenceOnOddLayouts() {
    Rng rng = new Rng(21);
    Tensor p = Tensor.randn(rng, 3, 4, 5, 6);
    Tensor[][] pairs = {
        {p.permute(0, 2, 1, 3), Tensor.randn(rng, 5, 1, 6)},           // head-split style view
        {p.permute(3, 1, 0, 2), Tensor.randn(rng, 4, 1, 1)},           // inner stride 6: copied first
        {p.narrow(2, 1, 3).narrow(3, 2, 3), Tensor.randn(rng, 3)},     // gaps in two dims
        {Tensor.randn(rng, 1, 4, 1, 6).expand(3, 4, 5, 6), p},         // stride-0 view against a dense one
        {Tensor.randn(rng, 5, 1).expand(5, 7), Tensor.randn(rng, 1, 7).expand(5, 7)}, // both expanded
        {Tensor.scalar(2f), p.select(1, 2)},                           // scalar with a strided select
        {p.t(), p.select(0, 1).t().unsqueeze(0)},                      // transposes on both sides
    };
    for (Tensor[] pr : pairs) {
      Tensor a = pr[0];
      Tensor b = pr[1];
      Tensor sum = a.add(b);
      Tensor prod = a.mul(b);
      Tensor lt = a.lt(b);
      Tensor sel = Tensor.where(a.gt(0), a, b);
      int[] shape = sum.shape();
      int[] idx = new int[shape.length];
      for (int e = 0; e < sum.numel(); e++) {
        float x = at(a, idx);
        float y = at(b, idx);
        assertThat(sum.get(idx)).isEqualTo(x + y);
        assertThat(prod.get(idx)).isEqualTo(x * y);
        assertThat(lt.get(idx)).isEqualTo(x < y ? 1f : 0f);
        assertThat(sel.get(idx)).isEqualTo(x > 0 ? x : y);
        for (int d = shape.length - 1; d >= 0; d--) {
          if (++idx[d] < shape[d]) break;
          idx[d] = 0;
        }
      }
    }
  }

  @Test
  void scalarForms() {
    Tensor x = t(new float[] {1, -2, 4}, 3);
    assertThat(x.add(1).toArray()).containsExactly(2, -1, 5);
    assertThat(x.sub(1).toArray()).containsExactly(0, -3, 3);
    assertThat(x.rsub(1).toArray()).containsExactly(0, 3, -3);
    assertThat(x.mul(-2).toArray()).containsExactly(-2, 4, -8);
    assertThat(x.div(4).toArray()).containsExactly(0.25f, -0.5f, 1);
    assertThat(x.neg().toArray()).containsExactly(-1, 2, -4);
    assertThat(x.pow(2).toArray()).containsExactly(1, 4, 16);
    assertThat(x.square().toArray()).containsExactly(1, 4, 16);
    assertThat(x.abs().toArray()).containsExactly(1, 2, 4);
    assertThat(x.clamp(-1, 2).toArray()).containsExactly(1, -1, 2);
  }

  @Test
  void unaryMathValues() {
    Tensor x = t(new float[] {0.25f, 1, 4, 9, 0.01f, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}, 17);
    float[] v = x.toArray();
    float[] exp = x.exp().toArray();
    float[] log = x.log().toArray();
    float[] sqrt = x.sqrt().toArray();
    float[] rsqrt = x.rsqrt().toArray();
    for (int i = 0; i < v.length; i++) {
      assertThat(exp[i]).isCloseTo((float) Math.exp(v[i]), within(2e-7f * (float) Math.exp(v[i])));
      assertThat(log[i]).isCloseTo((float) Math.log(v[i]), within(2e-7f));
      assertThat(sqrt[i]).isEqualTo((float) Math.sqrt(v[i]));
      assertThat(rsqrt[i]).isCloseTo((float) (1 / Math.sqrt(v[i])), within(1e-7f * rsqrt[i]));
    }
  }

  @Test
  void activationValuesAtKnownPoints() {
    Tensor x = t(new float[] {-1, 0, 0.5f, 1, 2}, 5);
    assertThat(x.relu().toArray()).containsExactly(0, 0, 0.5f, 1, 2);
    assertThat(x.slide().toArray()).containsExactly(0, 0, 0.5f, 1, 1);
    assertThat(x.sigmoid().get(1)).isEqualTo(0.5f);
    assertThat(x.tanh().get(3)).isCloseTo((float) Math.tanh(1), within(1e-7f));
    assertThat(x.silu().get(3)).isCloseTo((float) (1 / (1 + Math.exp(-1))), within(1e-7f));
    assertThat(x.gelu().get(3)).isCloseTo(0.8413447f, within(1e-7f)); // Phi(1)
    assertThat(x.gelu().get(0)).isCloseTo(-0.15865526f, within(1e-7f));
  }

  /** erf by its Taylor series, for |x| < 2, in double. */
  static double erfSeries(double x) {
    double term = x;
    double sum = x;
    for (int n = 1; n < 60; n++) {
      term *= -x * x / n;
      sum += term / (2 * n + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  /** erfc(a) for a >= 0: 1 - series below 2, else the continued fraction a + (1/2)/(a + 1/(a + ...)). */
  static double erfc(double a) {
    if (a < 2) return 1 - erfSeries(a);
    double f = a;
    for (int k = 80; k >= 1; k--) f = a + (k / 2.0) / f;
    return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  }

  /** Phi(x), the normal cdf, without cancellation in the left tail. */
  static double normalCdf(double x) {
    return x < 0 ? 0.5 * erfc(-x / Math.sqrt(2)) : 1 - 0.5 * erfc(x / Math.sqrt(2));
  }

  @Test
  void exactGeluFollowsErfToFloatPrecision() {
    int n = 4001;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = -12 + 20f * i / (n - 1);
    Tensor x = t(v, n).requiresGrad(true);
    Tensor y = x.gelu();
    y.backward(Tensor.ones(n));
    float[] got = y.toArray();
    float[] grad = x.grad().toArray();
    for (int i = 0; i < n; i++) {
      double xi = v[i];
      double exact = xi * normalCdf(xi);
      double dExact = normalCdf(xi) + xi * Math.exp(-xi * xi / 2) / Math.sqrt(2 * Math.PI);
      assertThat((double) got[i]).as("gelu(%s)", xi).isCloseTo(exact, within(1e-6 * Math.abs(exact)));
      assertThat((double) grad[i]).as("gelu'(%s)", xi).isCloseTo(dExact, within(1e-6 * Math.abs(dExact) + 1e-7));
    }
  }

  @Test
  void comparisonsGiveZeroOneAndBroadcast() {
    Tensor a = t(new float[] {1, 2, 3}, 3, 1);
    Tensor b = t(new float[] {2, 3}, 2);
    assertThat(a.eq(b).toArray()).containsExactly(0, 0, 1, 0, 0, 1);
    assertThat(a.ne(b).toArray()).containsExactly(1, 1, 0, 1, 1, 0);
    assertThat(a.lt(b).toArray()).containsExactly(1, 1, 0, 1, 0, 0);
    assertThat(a.le(b).toArray()).containsExactly(1, 1, 1, 1, 0, 1);
    assertThat(a.gt(b).toArray()).containsExactly(0, 0, 0, 0, 1, 0);
    assertThat(a.ge(b).toArray()).containsExactly(0, 0, 1, 0, 1, 1);
    Tensor x = t(new float[] {-1, 0, 2, Float.NaN}, 4);
    assertThat(x.eq(0).toArray()).containsExactly(0, 1, 0, 0);
    assertThat(x.ne(0).toArray()).containsExactly(1, 0, 1, 1);
    assertThat(x.lt(0).toArray()).containsExactly(1, 0, 0, 0);
    assertThat(x.le(0).toArray()).containsExactly(1, 1, 0, 0);
    assertThat(x.gt(0).toArray()).containsExactly(0, 0, 1, 0);
    assertThat(x.ge(0).toArray()).containsExactly(0, 1, 1, 0);
  }

  @Test
  void comparisonsRecordNoGradient() {
    Tensor x = Tensor.randn(new Rng(1), 3).requiresGrad(true);
    assertThat(x.gt(0).requiresGrad()).isFalse();
    assertThat(x.eq(x).requiresGrad()).isFalse();
  }

  @Test
  void whereSelectsAndBroadcasts() {
    Tensor cond = t(new float[] {1, 0, 2}, 3);
    Tensor a = t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    Tensor b = Tensor.scalar(-1);
    assertThat(Tensor.where(cond, a, b).toArray()).containsExactly(1, -1, 3, 4, -1, 6);
    assertThat(Tensor.where(cond, a, Float.NEGATIVE_INFINITY).toArray())
        .containsExactly(1, Float.NEGATIVE_INFINITY, 3, 4, Float.NEGATIVE_INFINITY, 6);
    Tensor wa = a.cloneTensor().requiresGrad(true);
    Tensor wb = t(new float[] {7, 8}, 2, 1).requiresGrad(true);
    Tensor.where(cond, wa, wb).sum().backward();
    assertThat(wa.grad().toArray()).containsExactly(1, 0, 1, 1, 0, 1);
    assertThat(wb.grad().toArray()).containsExactly(1, 1);
  }

  @Test
  void maskedFillWithMinusInfinity() {
    // a causal mask: 1 above the diagonal
    Tensor scores = Tensor.arange(9).reshape(3, 3).requiresGrad(true);
    Tensor mask = t(new float[] {0, 1, 1, 0, 0, 1, 0, 0, 0}, 3, 3);
    Tensor filled = scores.maskedFill(mask, Float.NEGATIVE_INFINITY);
    float ninf = Float.NEGATIVE_INFINITY;
    assertThat(filled.toArray()).containsExactly(0, ninf, ninf, 3, 4, ninf, 6, 7, 8);
    filled.backward(Tensor.full(new int[] {3, 3}, 2f));
    assertThat(scores.grad().toArray()).containsExactly(2, 0, 0, 2, 2, 0, 2, 2, 2);
    // a (1, 3) mask broadcasts over rows; the input is untouched
    Tensor x = Tensor.ones(2, 3);
    assertThat(x.maskedFill(t(new float[] {0, 1, 0}, 1, 3), 5).toArray()).containsExactly(1, 5, 1, 1, 5, 1);
    assertThat(x.toArray()).containsOnly(1f);
    // an expanded (stride-0) tensor under a full mask
    Tensor col = t(new float[] {1, 2}, 2, 1).expand(2, 3);
    Tensor full = t(new float[] {1, 0, 0, 0, 1, 0}, 2, 3);
    assertThat(col.maskedFill(full, -1).toArray()).containsExactly(-1, 1, 1, 2, -1, 2);
    assertThat(Tensor.where(full, col, t(new float[] {9}, 1).expand(2, 3)).toArray()).containsExactly(1, 9, 9, 9, 2, 9);
  }

  @Test
  void maskedFillRejectsAMaskThatWouldGrowTheTensor() {
    assertThatThrownBy(() -> Tensor.ones(3).maskedFill(Tensor.ones(2, 3), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maskedFill").hasMessageContaining("(2, 3)").hasMessageContaining("(3,)");
  }

  @Test
  void dropoutIsSeededScaledAndKeepsAboutOneMinusP() {
    Tensor x = Tensor.ones(200, 100);
    Tensor d1 = x.dropout(0.3f, new Rng(42), true);
    Tensor d2 = x.dropout(0.3f, new Rng(42), true);
    assertThat(d1.toArray()).containsExactly(d2.toArray());
    float[] v = d1.toArray();
    int kept = 0;
    for (float f : v) {
      assertThat(f).isIn(0f, 1f / 0.7f);
      if (f != 0) kept++;
    }
    assertThat(kept / (double) v.length).isCloseTo(0.7, within(0.02));
    assertThat(x.dropout(0.3f, new Rng(43), true).toArray()).isNotEqualTo(v);
    // the mean is preserved in expectation
    assertThat(d1.mean().item()).isCloseTo(1f, within(0.03f));
  }

  @Test
  void dropoutDrawsItsMaskAsNextFloatWouldAndLeavesTheRngWhereNextFloatWould() {
    Rng fast = new Rng(7);
    Rng slow = new Rng(7);
    float[] m = new float[1001];
    fast.fillKeepMask(m, m.length, 0.25f, 4f / 3);
    for (int i = 0; i < m.length; i++) assertThat(m[i]).isEqualTo(slow.nextFloat() >= 0.25f ? 4f / 3 : 0f);
    assertThat(fast.state()).containsExactly(slow.state());
    Tensor x = Tensor.ones(7, 11);
    Rng r = new Rng(9);
    float[] expected = new float[77];
    for (int i = 0; i < expected.length; i++) expected[i] = r.nextFloat() >= 0.5f ? 2f : 0f;
    assertThat(x.dropout(0.5f, new Rng(9), true).toArray()).containsExactly(expected);
  }

  @Test
  void theKeepMasksIntegerThresholdAgreesWithTheFloatComparisonForEveryP() {
    // p·2²⁴ whole, fractional, tiny and next to 1: the threshold ⌈p·2²⁴⌉ must keep exactly the
    // draws nextFloat() >= p keeps
    for (float p : new float[] {0f, 0x1.0p-24f, 0.1f, 0.25f, 0.3f, 0.5f, 0.9f, Math.nextDown(1f)}) {
      Rng fast = new Rng(11);
      Rng slow = new Rng(11);
      float[] m = new float[50_000];
      fast.fillKeepMask(m, m.length, p, 3f);
      for (int i = 0; i < m.length; i++) assertThat(m[i]).as("p %s, i %d", p, i).isEqualTo(slow.nextFloat() >= p ? 3f : 0f);
    }
  }

  @Test
  void dropoutIsTheIdentityWhenOffAndRejectsBadP() {
    Tensor x = Tensor.randn(new Rng(1), 4, 4);
    assertThat(x.dropout(0f, new Rng(1), true)).isSameAs(x);
    assertThat(x.dropout(0.5f, new Rng(1), false)).isSameAs(x);
    for (float p : new float[] {-0.1f, 1f, 1.5f, Float.NaN}) {
      assertThatThrownBy(() -> x.dropout(p, new Rng(1), true))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dropout").hasMessageContaining("[0, 1)");
    }
  }

  @Test
  void shapeErrorsNameTheOpAndBothShapes() {
    Tensor a = Tensor.zeros(2, 3);
    Tensor b = Tensor.zeros(4);
    for (var op : java.util.List.<java.util.function.BinaryOperator<Tensor>>of(
        Tensor::add, Tensor::sub, Tensor::mul, Tensor::div, Tensor::pow, Tensor::maximum, Tensor::eq, Tensor::lt)) {
      assertThatThrownBy(() -> op.apply(a, b))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(2, 3)").hasMessageContaining("(4,)");
    }
    assertThatThrownBy(() -> a.mul(b)).hasMessageStartingWith("mul:");
    assertThatThrownBy(() -> Tensor.where(Tensor.ones(5), a, a))
        .hasMessageContaining("where").hasMessageContaining("(5,)").hasMessageContaining("(2, 3)");
    assertThatThrownBy(() -> a.clamp(1, 0)).hasMessageContaining("clamp");
  }

  @Test
  void largeTensorsTakeTheParallelPathsWithTheSameResults() {
    Rng rng = new Rng(5);
    Tensor x = Tensor.randn(rng, 300, 257); // > 32k elements, rows not a multiple of a vector
    Tensor bias = Tensor.randn(rng, 257);
    Tensor col = Tensor.randn(rng, 300, 1);
    float[] xv = x.toArray();
    float[] bv = bias.toArray();
    float[] cv = col.toArray();
    float[] sum = x.add(bias).toArray();
    float[] prod = x.mul(col).toArray();
    float[] sc = x.mul(3f).toArray();
    float[] tr = x.t().contiguous().t().sub(x).toArray();
    float[] sig = x.sigmoid().toArray();
    for (int r = 0; r < 300; r++) {
      for (int c = 0; c < 257; c++) {
        int i = r * 257 + c;
        assertThat(sum[i]).isEqualTo(xv[i] + bv[c]);
        assertThat(prod[i]).isEqualTo(xv[i] * cv[r]);
        assertThat(sc[i]).isEqualTo(xv[i] * 3f);
        assertThat(tr[i]).isZero();
        assertThat((double) sig[i]).isCloseTo(1 / (1 + Math.exp(-xv[i])), within(2e-7));
      }
    }
  }

  @Test
  void emptyTensorsGiveEmptyResults() {
    Tensor e = Tensor.zeros(0, 3);
    assertThat(e.add(Tensor.ones(3)).shape()).containsExactly(0, 3);
    assertThat(e.gelu().shape()).containsExactly(0, 3);
    assertThat(e.gt(0).shape()).containsExactly(0, 3);
    assertThat(Tensor.where(e, e, Tensor.ones(1)).shape()).containsExactly(0, 3);
    assertThat(e.sum(new int[] {0}, false).toArray()).containsExactly(0, 0, 0);
    assertThat(e.sum(new int[] {1}, false).shape()).containsExactly(0);
  }

  /**
   * Spans split where the thread count says; every element still gets the same formula. (Kept
   * small: until the JIT compiles them, Vector API loops run very slowly.)
   */
  @Test
  void resultsDoNotDependOnTheThreadCount() {
    Tensor x = Tensor.randn(new Rng(9), 163, 257); // 41891 elements: two parts, split inside a vector
    java.util.List<java.util.function.UnaryOperator<Tensor>> ops = java.util.List.of(
        Tensor::gelu, Tensor::sigmoid, t -> t.sum(new int[] {0}, false), t -> t.var(new int[] {1}, false),
        t -> Tensor.where(t.gt(0), t, t.mul(0.1f)));
    int before = lmlab.kernels.Parallel.threads();
    try {
      lmlab.kernels.Parallel.setThreads(1);
      java.util.List<float[]> one = ops.stream().map(op -> op.apply(x).toArray()).toList();
      lmlab.kernels.Parallel.setThreads(2);
      java.util.List<float[]> two = ops.stream().map(op -> op.apply(x).toArray()).toList();
      for (int i = 0; i < ops.size(); i++) assertThat(two.get(i)).as("op %d", i).containsExactly(one.get(i));
    } finally {
      lmlab.kernels.Parallel.setThreads(before);
    }
  }

  @Test
  void opsNeverWriteIntoTheirInputs() {
    Tensor x = Tensor.randn(new Rng(3), 4, 5);
    Tensor y = Tensor.randn(new Rng(4), 4, 5);
    float[] xv = x.toArray();
    float[] yv = y.toArray();
    x.add(y);
    x.t().mul(2f);
    x.gelu();
    y.exp();
    Tensor.where(x.gt(0), x, y);
    x.maskedFill(y.gt(0), 0);
    x.sum(new int[] {0}, true);
    assertThat(x.toArray()).containsExactly(xv);
    assertThat(y.toArray()).containsExactly(yv);
    Tensor s = x.t().relu();
    assertThat(s.isContiguous()).isTrue();
    assertThat(s.storage()).isNotSameAs(x.storage());
  }
}
