package lmlab.nn.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import lmlab.autograd.Autograd;
import lmlab.nn.MultiHeadAttention;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * forwardIncremental, token by token (and in chunks), equals the full forward pass (max abs
 * difference <= 1e-4), and the cache holds exactly the keys layers.md says, with
 * bytes = 2·B·n_kv·held·d_h·4.
 */
class IncrementalDecodingTest {
  static final int S = 40;
  static final int S_MAX = 48;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    String[] masks = {"causal", "sliding(6)", "sliding(1)", "dilated(8,2)", "dilated(12,3)", "block_local(4)",
        "block_local(5)"};
    for (String m : masks) {
      for (Normaliser n : Normaliser.values()) out.add(Arguments.of(m, n, ScoreFunction.SCALED_DOT, Rope.Style.HALF));
    }
    out.add(Arguments.of("causal", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, Rope.Style.INTERLEAVED));
    out.add(Arguments.of("sliding(8)", Normaliser.SOFTMAX, ScoreFunction.SCALED_DOT, null));
    for (ScoreFunction f : ScoreFunction.values()) {
      out.add(Arguments.of("causal", Normaliser.SOFTMAX, f, Rope.Style.HALF));
      out.add(Arguments.of("dilated(8,2)", Normaliser.RELU, f, null));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2} rope={3}")
  @MethodSource("cases")
  void tokenByTokenEqualsTheFullForward(String maskSpec, Normaliser norm, ScoreFunction score, Rope.Style rope) {
    check(maskSpec, norm, score, rope, 24, 4, 2, 6);
  }

  /** Head widths of whole vectors and more (the vectorised AXPYs), GQA 6/3 and MQA. */
  @ParameterizedTest(name = "{0} {1} d_h={4}")
  @MethodSource("wide")
  void wideHeads(String maskSpec, Normaliser norm, int nq, int nkv, int dh) {
    check(maskSpec, norm, ScoreFunction.SCALED_DOT, Rope.Style.HALF, nq * dh, nq, nkv, dh);
  }

  static Stream<Arguments> wide() {
    return Stream.of(Arguments.of("causal", Normaliser.SOFTMAX, 6, 3, 32), Arguments.of("dilated(12,3)", Normaliser.RELU, 2, 1, 40),
        Arguments.of("sliding(20)", Normaliser.SOFTMAX, 4, 1, 16), Arguments.of("block_local(3)", Normaliser.SOFTMAX, 2, 2, 64));
  }

  private static void check(String maskSpec, Normaliser norm, ScoreFunction score, Rope.Style rope, int d, int nq, int nkv,
      int dh) {
    AttentionConfig cfg = new AttentionConfig(d, nq, nkv, dh, true, false, rope == null ? null : new Rope(1e4, rope, dh),
        score, norm, AttentionMask.parse(maskSpec, S_MAX), S_MAX, 0f);
    MultiHeadAttention attn = new MultiHeadAttention(cfg, new Rng(21));
    attn.eval();
    Tensor x = Tensor.randn(new Rng(22), 2, S, d);
    Tensor full;
    try (var g = Autograd.noGrad()) {
      full = attn.forward(x);
    }
    float[] expected = full.toArray();

    LayerKvCache cache = attn.newCache();
    assertThat(cache.bytes()).isZero();
    double worst = 0;
    for (int t = 0; t < S; t++) {
      Tensor y = attn.forwardIncremental(x.narrow(1, t, 1).contiguous(), cache);
      assertThat(y.shape()).containsExactly(2, 1, d);
      worst = Math.max(worst, maxDiff(y, expected, t, d));
      int held = expectedHeld(cfg.mask(), t);
      assertThat(cache.seen()).isEqualTo(t + 1);
      assertThat(cache.tokensHeld()).as("keys held after token %d", t).isEqualTo(held);
      assertThat(cache.bytes()).isEqualTo(2L * 2 * nkv * held * dh * 4);
    }
    assertThat(worst).as("max |incremental - full|").isLessThanOrEqualTo(1e-4);

    // the same in chunks of 7 tokens (a prompt, then more)
    LayerKvCache chunked = attn.newCache();
    worst = 0;
    for (int t0 = 0; t0 < S; t0 += 7) {
      int n = Math.min(7, S - t0);
      Tensor y = attn.forwardIncremental(x.narrow(1, t0, n).contiguous(), chunked);
      for (int i = 0; i < n; i++) worst = Math.max(worst, maxDiff(y.narrow(1, i, 1).contiguous(), expected, t0 + i, d));
    }
    assertThat(worst).as("max |chunked - full|").isLessThanOrEqualTo(1e-4);
  }

  /** layers.md / fixtures README: the keys query t's layer holds. */
  static int expectedHeld(AttentionMask m, int t) {
    return switch (m) {
      case AttentionMask.Causal c -> t + 1;
      case AttentionMask.Sliding s -> Math.min(t + 1, s.window() / 2 + 1);
      case AttentionMask.Dilated dl -> Math.min(t + 1, (dl.window() / dl.dilation() - 1) * dl.dilation() + 1);
      case AttentionMask.BlockLocal bl -> t % bl.blockSize() + 1;
      case AttentionMask.Custom cu -> t + 1;
    };
  }

  private static double maxDiff(Tensor y, float[] full, int t, int d) {
    float[] a = y.toArray();
    double worst = 0;
    for (int b = 0; b < 2; b++) {
      for (int e = 0; e < d; e++) worst = Math.max(worst, Math.abs(a[b * d + e] - full[(b * S + t) * d + e]));
    }
    return worst;
  }
}
