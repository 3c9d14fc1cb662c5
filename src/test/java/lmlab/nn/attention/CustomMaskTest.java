package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.autograd.Autograd;
import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

/** Custom masks (dense path): a predicate or matrix equal to a structured mask gives its results. */
class CustomMaskTest {
  static final int S = 19;

  private static MultiHeadAttention layer(AttentionMask m, Normaliser n) {
    AttentionConfig cfg = AttentionConfig.of(16, 4).withKvHeads(2).withMask(m).withNormaliser(n)
        .withRope(new Rope(1e4, Rope.Style.INTERLEAVED, 4));
    return new MultiHeadAttention(cfg, new Rng(7));
  }

  @Test
  void predicateAndMatrixEqualTheStructuredMask() {
    AttentionMask dil = AttentionMask.dilated(8, 2);
    boolean[][] matrix = new boolean[S][S];
    for (int t = 0; t < S; t++) for (int j = 0; j < S; j++) matrix[t][j] = dil.allowed(t, j);
    for (Normaliser n : Normaliser.values()) {
      MultiHeadAttention ref = layer(dil, n);
      Tensor x = Tensor.randn(new Rng(8), 2, S, 16).requiresGrad(true);
      Tensor up = Tensor.randn(new Rng(9), 2, S, 16);
      MultiHeadAttention.Output want = ref.forward(x, true);
      want.out().mul(up).sum().backward();
      Tensor wantGx = x.grad().copy();
      for (AttentionMask custom : new AttentionMask[] {AttentionMask.custom("every other", (t, j) -> (t - j) % 2 == 0 && t - j < 8),
          AttentionMask.custom(matrix)}) {
        MultiHeadAttention attn = layer(custom, n);
        attn.loadStateDict(ref.stateDict());
        x.zeroGrad();
        MultiHeadAttention.Output got = attn.forward(x, true);
        got.out().mul(up).sum().backward();
        FixtureAssert.assertClose("out " + custom, got.out(), want.out());
        FixtureAssert.assertClose("weights " + custom, got.weights(), want.weights());
        FixtureAssert.assertClose("grad x " + custom, x.grad(), wantGx);

        // incremental decoding with the custom mask keeps every key and agrees with the full pass
        LayerKvCache cache = attn.newCache();
        Tensor full;
        try (var g = Autograd.noGrad()) {
          full = attn.forward(x);
        }
        for (int t = 0; t < S; t++) {
          Tensor y = attn.forwardIncremental(x.narrow(1, t, 1).contiguous().detach(), cache);
          FixtureAssert.assertClose("step " + t, y, full.narrow(1, t, 1).contiguous(), 1e-5, 1e-4);
        }
        assertThat(cache.tokensHeld()).isEqualTo(S);
      }
    }
  }

  @Test
  void aRowWithoutKeysIsAnError() {
    MultiHeadAttention attn = layer(AttentionMask.custom("nothing for 2", (t, j) -> t != 2), Normaliser.SOFTMAX);
    assertThatThrownBy(() -> attn.forward(Tensor.randn(new Rng(1), 1, 4, 16))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("query 2 may see no key");
  }
}
