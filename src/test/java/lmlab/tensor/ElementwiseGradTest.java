package lmlab.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Function;
import java.util.function.UnaryOperator;
import lmlab.autograd.GradCheck;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every differentiable elementwise op: broadcasting shapes, scalar
 * operands, and non-contiguous inputs (transposed, narrowed and expanded views built inside f).
 * Kinked functions get inputs at least 0.1 away from their kinks (GradCheck steps by 0.01).
 */
class ElementwiseGradTest {
  static void check(Function<Tensor[], Tensor> f, Tensor... inputs) {
    GradCheck.Result r = GradCheck.check(f, inputs);
    assertThat(r.ok()).as("gradient check: max error %.3g, %s", r.maxError(), r.where()).isTrue();
  }

  static Tensor randn(long seed, int... shape) {
    return Tensor.randn(new Rng(seed), shape).requiresGrad(true);
  }

  /** Uniform in [lo, hi). */
  static Tensor uniform(long seed, float lo, float hi, int... shape) {
    Tensor t = Tensor.rand(new Rng(seed), shape);
    float[] v = t.toArray();
    for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * v[i];
    return Tensor.of(v, shape).requiresGrad(true);
  }

  /** Normal draws moved at least 0.1 away from each kink. */
  static Tensor awayFrom(long seed, float[] kinks, int... shape) {
    float[] v = Tensor.randn(new Rng(seed), shape).toArray();
    for (int i = 0; i < v.length; i++) {
      for (float k : kinks) {
        if (Math.abs(v[i] - k) < 0.1f) v[i] = k + (v[i] >= k ? 0.15f : -0.15f);
      }
    }
    return Tensor.of(v, shape).requiresGrad(true);
  }

  // ---------------------------------------------------------------- binary, broadcasting

  @Test
  void addSubMulBroadcastBothWays() {
    for (Function<Tensor[], Tensor> f : java.util.List.<Function<Tensor[], Tensor>>of(
        in -> in[0].add(in[1]), in -> in[0].sub(in[1]), in -> in[0].mul(in[1]), in -> in[1].sub(in[0]))) {
      check(f, randn(1, 3, 1, 4), randn(2, 2, 4));
      check(f, randn(3, 2, 3), randn(4, 3));        // bias row over the last dim
      check(f, randn(5, 2, 3), randn(6, 2, 1));     // column broadcast
      check(f, randn(7), randn(8, 2, 3));           // scalar with matrix
      check(f, randn(9, 2, 3), randn(10, 2, 3));    // same shape
    }
  }

  @Test
  void divBroadcastWithDenominatorAwayFromZero() {
    check(in -> in[0].div(in[1]), randn(1, 3, 1, 4), uniform(2, 0.5f, 2f, 2, 4));
    check(in -> in[0].div(in[1]), randn(3), uniform(4, 0.5f, 2f, 2, 3));
    check(in -> in[1].div(in[0]), uniform(5, 0.5f, 2f), randn(6, 2, 3));
  }

  @Test
  void powWithTensorExponent() {
    check(in -> in[0].pow(in[1]), uniform(1, 0.5f, 2f, 3, 1, 4), uniform(2, -1.5f, 1.5f, 2, 4));
    check(in -> in[0].pow(in[1]), uniform(3, 0.5f, 2f, 2, 3), uniform(4, -1f, 2f));
  }

  @Test
  void maximumAndMinimumAwayFromTies() {
    // a on the integers, b on the half-integers: never closer than 0.5
    Tensor a = Tensor.of(new float[] {0, 3, -2, 1, 2, -1, 4, 0}, 2, 1, 4).requiresGrad(true);
    Tensor b = Tensor.of(new float[] {0.5f, -1.5f, 2.5f, 1.5f, -0.5f, 3.5f, -2.5f, 0.5f}, 2, 4).requiresGrad(true);
    check(in -> in[0].maximum(in[1]), a, b);
    check(in -> in[0].minimum(in[1]), a, b);
  }

  @Test
  void binaryOpsOnNonContiguousViews() {
    // transposed: (4, 3) viewed as (3, 4)
    check(in -> in[0].t().mul(in[1]), randn(1, 4, 3), randn(2, 3, 4));
    check(in -> in[0].t().add(in[1].t()), randn(3, 4, 3), randn(4, 4, 3));
    check(in -> in[0].div(in[1].t()), randn(5, 3, 4), uniform(6, 0.5f, 2f, 4, 3));
    // narrowed: columns 1..3 of a (3, 5)
    check(in -> in[0].narrow(1, 1, 3).sub(in[1]), randn(7, 3, 5), randn(8, 3));
    // expanded: stride-0 views on both sides
    check(in -> in[0].expand(3, 4).mul(in[1].expand(3, 4)), randn(9, 1, 4), randn(10, 3, 1));
    check(in -> in[0].expand(2, 3, 4).sub(in[1]), randn(11, 3, 4), randn(12, 4));
    // permuted 3-d
    check(in -> in[0].permute(2, 0, 1).mul(in[1]), randn(13, 3, 4, 2), randn(14, 2, 3, 1));
  }

  // ---------------------------------------------------------------- scalar forms

  @Test
  void scalarForms() {
    Tensor x = randn(1, 3, 4);
    check(in -> in[0].add(1.5f), x);
    check(in -> in[0].sub(0.5f), x);
    check(in -> in[0].rsub(2f), x);
    check(in -> in[0].mul(-3f), x);
    check(in -> in[0].div(4f), x);
    check(in -> in[0].neg(), x);
    check(in -> in[0].t().mul(2f).add(1f), randn(2, 4, 3));
  }

  // ---------------------------------------------------------------- unary

  @Test
  void smoothUnaryOps() {
    check(in -> in[0].exp(), randn(1, 3, 4));
    check(in -> in[0].log(), uniform(2, 0.5f, 3f, 3, 4));
    check(in -> in[0].sqrt(), uniform(3, 0.5f, 3f, 3, 4));
    check(in -> in[0].rsqrt(), uniform(4, 0.5f, 3f, 3, 4));
    check(in -> in[0].square(), randn(5, 3, 4));
    check(in -> in[0].pow(3f), randn(6, 3, 4));
    check(in -> in[0].pow(2.5f), uniform(7, 0.5f, 2f, 3, 4));
    check(in -> in[0].pow(-1.5f), uniform(8, 0.5f, 2f, 3, 4));
    check(in -> in[0].pow(0.5f), uniform(9, 0.5f, 2f, 3, 4));
  }

  @Test
  void activations() {
    for (UnaryOperator<Tensor> op : java.util.List.<UnaryOperator<Tensor>>of(
        Tensor::tanh, Tensor::sigmoid, Tensor::gelu, Tensor::geluTanh, Tensor::silu)) {
      check(in -> op.apply(in[0]), randn(1, 5, 7)); // 35 elements: a full vector and a tail
      check(in -> op.apply(in[0].t()), randn(2, 4, 3));
    }
    check(in -> in[0].mul(2f).gelu(), uniform(3, -4f, 4f, 40));
  }

  @Test
  void kinkedUnaryOpsAwayFromKinks() {
    check(in -> in[0].abs(), awayFrom(1, new float[] {0}, 3, 4));
    check(in -> in[0].relu(), awayFrom(2, new float[] {0}, 3, 4));
    check(in -> in[0].t().relu(), awayFrom(3, new float[] {0}, 4, 3));
    check(in -> in[0].clamp(-0.5f, 0.7f), awayFrom(4, new float[] {-0.5f, 0.7f}, 3, 5));
    check(in -> in[0].clamp(Float.NEGATIVE_INFINITY, 0.2f), awayFrom(5, new float[] {0.2f}, 3, 5));
    check(in -> in[0].slide(), awayFrom(6, new float[] {0, 1}, 4, 5));
    check(in -> in[0].narrow(1, 1, 3).slide(), awayFrom(7, new float[] {0, 1}, 4, 5));
  }

  // ---------------------------------------------------------------- masks and dropout

  @Test
  void whereIsDifferentiableInBothBranches() {
    Tensor cond = Tensor.of(new float[] {1, 0, 0, 1}, 1, 4);
    check(in -> Tensor.where(cond, in[0], in[1]), randn(1, 3, 1), randn(2, 3, 4));
    check(in -> Tensor.where(cond, in[0].t(), in[1]), randn(3, 4, 3), randn(4));
    check(in -> Tensor.where(cond, in[0], 2f), randn(5, 2, 4));
  }

  @Test
  void maskedFillPassesGradientWhereNotFilled() {
    Tensor mask = Tensor.of(new float[] {0, 1, 0}, 3, 1);
    check(in -> in[0].maskedFill(mask, -2f), randn(1, 3, 4));
    // -inf then exp: the usual attention pattern, finite everywhere
    check(in -> in[0].t().maskedFill(mask, Float.NEGATIVE_INFINITY).exp(), randn(2, 4, 3));
  }

  @Test
  void dropoutWithAFixedMask() {
    check(in -> in[0].dropout(0.4f, new Rng(11), true), randn(1, 4, 5));
    check(in -> in[0].t().dropout(0.25f, new Rng(12), true), randn(2, 5, 4));
  }

  @Test
  void chainedOpsShareInputs() {
    // x used several times: gradients from every path add up
    check(in -> in[0].mul(in[0]).add(in[0].sigmoid()).div(in[1].exp().add(1f)), randn(1, 2, 3), randn(2, 3));
  }
}
