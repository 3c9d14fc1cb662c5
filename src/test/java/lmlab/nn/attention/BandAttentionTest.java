package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused banded kernel against the dense S × S reference, on sequences long enough for several
 * query tiles (S = 150 > 2 · 64), every structured mask, GQA, RoPE, both normalisers: outputs,
 * weights, and the gradients of x and of every parameter.
 */
class BandAttentionTest {
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    String[] masks = {"causal", "sliding(40)", "sliding(1)", "sliding(1000)", "dilated(24,3)", "dilated(8,2)",
        "dilated(5,5)", "block_local(3)", "block_local(4)"};
    for (String m : masks) {
      for (Normaliser n : Normaliser.values()) out.add(Arguments.of(m, n, 150));
    }
    out.add(Arguments.of("block_local(7)", Normaliser.SOFTMAX, 131));
    out.add(Arguments.of("dilated(128,2)", Normaliser.RELU, 131));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} S={2}")
  @MethodSource("cases")
  void fusedEqualsDense(String maskSpec, Normaliser norm, int s) {
    int d = 32;
    AttentionConfig cfg = new AttentionConfig(d, 4, 2, 8, true, false, new Rope(1e4, Rope.Style.HALF, 8),
        ScoreFunction.SCALED_DOT, norm, AttentionMask.parse(maskSpec, 160), 160, 0f);
    assertFusedEqualsDense(cfg, 11, s, d);
  }

  /**
   * The fused (band) path and the dense reference give the same output, attention weights and
   * gradients (of the parameters and the input) for out · up summed, x and up random from seed.
   */
  private static void assertFusedEqualsDense(AttentionConfig cfg, int seed, int s, int d) {
    assertFusedEqualsDense(cfg, seed, 2, s, d);
  }

  private static void assertFusedEqualsDense(AttentionConfig cfg, int seed, int batch, int s, int d) {
    MultiHeadAttention attn = new MultiHeadAttention(cfg, new Rng(seed));
    Tensor x = Tensor.randn(new Rng(seed + 1), batch, s, d).requiresGrad(true);
    Tensor up = Tensor.randn(new Rng(seed + 2), batch, s, d);

    MultiHeadAttention.Output fused = attn.forward(x, true);
    fused.out().mul(up).sum().backward();
    Map<String, Tensor> fusedGrads = grads(attn, x);

    attn.zeroGrad();
    x.zeroGrad();
    MultiHeadAttention.Output dense = attn.forwardDense(x, true);
    dense.out().mul(up).sum().backward();
    Map<String, Tensor> denseGrads = grads(attn, x);

    FixtureAssert.assertClose("out", fused.out(), dense.out());
    FixtureAssert.assertClose("weights", fused.weights(), dense.weights());
    assertThat(fusedGrads.keySet()).isEqualTo(denseGrads.keySet());
    for (String k : fusedGrads.keySet()) FixtureAssert.assertClose("grad " + k, fusedGrads.get(k), denseGrads.get(k));
  }

  /** Head dimensions that fill the tile kernels' register blocks (32: chargpt) or leave masked parts. */
  @ParameterizedTest(name = "{0} d_h={1}")
  @org.junit.jupiter.params.provider.CsvSource({"causal, 32", "causal, 40", "sliding(40), 32", "'dilated(24,3)', 48", "causal, 12"})
  void fusedEqualsDenseAtWiderHeads(String maskSpec, int dh) {
    int d = 2 * dh;
    AttentionConfig cfg = new AttentionConfig(d, 2, 1, dh, true, false, null, ScoreFunction.SCALED_DOT,
        Normaliser.SOFTMAX, AttentionMask.parse(maskSpec, 160), 160, 0f);
    assertFusedEqualsDense(cfg, 21, 150, d);
  }

  /**
   * Short sequences (arith-gpt's six tokens) hand the worker pool many (batch, head) units per task,
   * the last task fewer: 301 rows of 4 query heads over 2 key/value heads.
   */
  @org.junit.jupiter.api.Test
  void shortSequencesInTasksOfManyUnits() {
    int d = 32;
    AttentionConfig cfg = new AttentionConfig(d, 4, 2, 8, true, true, null, ScoreFunction.SCALED_DOT,
        Normaliser.SOFTMAX, AttentionMask.causal(), 16, 0f);
    assertFusedEqualsDense(cfg, 31, 301, 6, d);
  }

  private static Map<String, Tensor> grads(MultiHeadAttention attn, Tensor x) {
    Map<String, Tensor> g = new java.util.TreeMap<>();
    g.put("x", x.grad().copy());
    attn.namedParameters().forEach((k, v) -> g.put(k, v.grad().copy()));
    return g;
  }
}
