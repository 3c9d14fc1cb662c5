package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.api.Test;

class MultiHeadAttentionTest {
  @Test
  void matchesTheCausalMhaFixture() {
    SafetensorsFile f = FixtureAssert.fixture("attn_mha_causal");
    MultiHeadAttention attn = new MultiHeadAttention(16, 4, 4, true, true, 0f, new Rng(1));
    ModuleFixtures.loadParams(attn, f);
    Tensor x = ModuleFixtures.leaf(f, "x");

    MultiHeadAttention.Output o = attn.forward(x, true);
    FixtureAssert.assertMatchesFixture(f, "out", o.out());
    FixtureAssert.assertMatchesFixture(f, "attn_weights", o.weights());

    o.out().mul(f.tensor("grad_out")).sum().backward();
    FixtureAssert.assertMatchesFixture(f, "grad.x", x.grad());
    ModuleFixtures.assertParamGrads(attn, f);
  }

  @Test
  void maskedWeightsAreExactlyZeroAndRowsSumToOne() {
    MultiHeadAttention attn = new MultiHeadAttention(12, 3, true, new Rng(7));
    Tensor x = Tensor.randn(new Rng(8), 2, 5, 12);
    Tensor w = attn.forward(x, true).weights();
    assertThat(w.shape()).containsExactly(2, 3, 5, 5);
    for (int b = 0; b < 2; b++) {
      for (int h = 0; h < 3; h++) {
        for (int t = 0; t < 5; t++) {
          double sum = 0;
          for (int j = 0; j < 5; j++) {
            if (j > t) assertThat(w.get(b, h, t, j)).isEqualTo(0f);
            else assertThat(w.get(b, h, t, j)).isGreaterThan(0f);
            sum += w.get(b, h, t, j);
          }
          assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
      }
    }
    assertThat(attn.forward(x, false).weights()).isNull();
  }

  @Test
  void outputsAtEarlierPositionsIgnoreLaterTokens() {
    MultiHeadAttention attn = new MultiHeadAttention(8, 2, true, new Rng(3));
    Tensor x = Tensor.randn(new Rng(4), 1, 6, 8);
    Tensor full = attn.forward(x);
    Tensor prefix = attn.forward(x.narrow(1, 0, 4).contiguous());
    FixtureAssert.assertClose("prefix", full.narrow(1, 0, 4).contiguous(), prefix, 1e-6, 1e-5);
  }

  @Test
  void splitHeadsIsTheSpecifiedViewAndMergeHeadsItsInverse() {
    Tensor x = Tensor.randn(new Rng(5), 2, 3, 12);
    Tensor s = MultiHeadAttention.splitHeads(x, 4); // d_h = 3
    assertThat(s.shape()).containsExactly(2, 4, 3, 3);
    for (int b = 0; b < 2; b++)
      for (int h = 0; h < 4; h++)
        for (int t = 0; t < 3; t++)
          for (int j = 0; j < 3; j++) assertThat(s.get(b, h, t, j)).isEqualTo(x.get(b, t, h * 3 + j));
    assertThat(s.storage()).isSameAs(x.storage()); // a view, no copy
    assertThat(MultiHeadAttention.mergeHeads(s).toArray()).containsExactly(x.toArray());
  }

  @Test
  void parameterCountIsTheClosedForm() {
    for (int[] dh : new int[][] {{16, 4}, {64, 8}, {96, 3}, {768, 12}}) {
      long d = dh[0];
      assertThat(new MultiHeadAttention(dh[0], dh[1], true, new Rng(0)).numParameters()).isEqualTo(4 * d * d + 4 * d);
      assertThat(new MultiHeadAttention(dh[0], dh[1], false, new Rng(0)).numParameters()).isEqualTo(4 * d * d);
    }
    // q/k/v biases without the o_proj one (Qwen2 style)
    assertThat(new MultiHeadAttention(16, 4, 4, true, false, 0f, new Rng(0)).numParameters()).isEqualTo(4 * 256 + 48);
  }

  @Test
  void dropoutActsOnlyInTraining() {
    MultiHeadAttention attn = new MultiHeadAttention(8, 2, 4, true, true, 0.5f, new Rng(3));
    Tensor x = Tensor.randn(new Rng(4), 1, 4, 8);
    attn.eval();
    Tensor a = attn.forward(x);
    Tensor b = attn.forward(x);
    assertThat(a.toArray()).containsExactly(b.toArray());
    attn.train(true);
    assertThat(attn.forward(x).toArray()).isNotEqualTo(a.toArray());
  }

  @Test
  void badShapesAreClearErrors() {
    assertThatThrownBy(() -> new MultiHeadAttention(10, 3, true, new Rng(0)))
        .hasMessageContaining("not divisible");
    MultiHeadAttention attn = new MultiHeadAttention(8, 2, true, new Rng(0));
    assertThatThrownBy(() -> attn.forward(Tensor.zeros(1, 3, 6))).hasMessageContaining("(B, S, 8)");
  }
}
