package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import lmlab.decode.Decoder;
import lmlab.models.LanguageModel;
import lmlab.models.ModelState;
import lmlab.nn.weights.MatVec;
import lmlab.nn.weights.ProductGroup;
import lmlab.nn.weights.Weights;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** A layer or model that cannot step is an error naming it; an adapter on Linear cannot be skipped by decoding. */
class NoSilentFallbackTest {
  /** A mixer with a forward but no step (what a half-written new mixer looks like). */
  static final class ForwardOnlyMixer extends Mixer {
    @Override
    public int hiddenSize() {
      return 8;
    }

    @Override
    public Result forward(Tensor x, boolean returnWeights) {
      return new MultiHeadAttention.Output(x, null);
    }

    @Override
    public String childName() {
      return "mixer";
    }
  }

  @Test
  void aMixerWithoutAStepIsNamed() {
    TransformerBlock block = new TransformerBlock(new RMSNorm(8), new ForwardOnlyMixer(), new RMSNorm(8),
        new Mlp(8, 16, Activation.RELU, false, new Rng(1)), 0, null);
    assertThatThrownBy(() -> block.newState(1)).hasMessageContaining("ForwardOnlyMixer has no step");
  }

  @Test
  void aModelWithoutAStepIsNamedByTheDecoder() {
    LanguageModel noStep = new LanguageModel() {
      @Override
      public Output forward(IntTensor tokens, Request request) {
        return null;
      }

      @Override
      public int vocabSize() {
        return 5;
      }

      @Override
      public com.fasterxml.jackson.databind.node.ObjectNode config() {
        return null;
      }
    };
    assertThatThrownBy(() -> new Decoder(noStep, 1)).hasMessageContaining("has no step");
  }

  /** An adapter that adds to the base product in training only would be skipped by decoding. */
  static class ForwardOnlyAdapter extends Linear {
    ForwardOnlyAdapter() {
      super(4, 3, false, new Rng(2));
    }

    @Override
    public Tensor forward(Tensor x) {
      return super.forward(x).mul(2f);
    }
  }

  /** W read twice as large: a weight type wrapping another, the way an adapter or a new format plugs in. */
  static final class Doubled extends Weights {
    final Weights base;

    Doubled(Weights base) {
      this.base = base;
    }

    @Override
    public int rows() {
      return base.rows();
    }

    @Override
    public int cols() {
      return base.cols();
    }

    @Override
    public Tensor linear(Tensor x, Tensor bias) {
      return base.linear(x, null).mul(2f);
    }

    @Override
    public void rows(int from, int to, float[] x, int xo, float[] b, int bo, float[] y, int yo, boolean accumulate) {
      float[] t = new float[to];
      base.rows(from, to, x, xo, null, 0, t, 0, false);
      for (int j = from; j < to; j++) y[yo + j] = (accumulate ? y[yo + j] : 0) + 2 * t[j];
    }

    @Override
    public void matmul(float[] x, int n, float[] b, int bo, float[] y, boolean accumulate) {
      float[] t = new float[n * rows()];
      base.matmul(x, n, null, 0, t, false);
      for (int i = 0; i < t.length; i++) y[i] = (accumulate ? y[i] : 0) + 2 * t[i];
    }

    @Override
    public float touch(int from, int to) {
      return base.touch(from, to);
    }

    @Override
    public long bytes() {
      return base.bytes();
    }
  }

  /** The same adapter with its step and product: decoding goes through it. */
  static final class SteppingAdapter extends ForwardOnlyAdapter {
    @Override
    public void step(float[] x, float[] y, int n, boolean accumulate, Workspace ws) {
      if (n == 1) {
        ProductGroup.of(product(y, accumulate)).run(x);
      } else {
        new Doubled(weights()).matmul(x, n, null, 0, y, accumulate);
      }
    }

    @Override
    public MatVec.Product product(float[] y, boolean accumulate) {
      return new MatVec.Product(new Doubled(weights()), null, 0, y, accumulate);
    }
  }

  @Test
  void aLinearSubclassOverridingForwardButNotStepIsRefused() {
    assertThatThrownBy(() -> new ForwardOnlyAdapter().checkSteps()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ForwardOnlyAdapter").hasMessageContaining("overrides Linear.forward but not step");
    new SteppingAdapter().checkSteps(); // overrides both: accepted
    new Linear(4, 3, true, new Rng(3)).checkSteps();
    // and its step computes what its forward does
    SteppingAdapter a = new SteppingAdapter();
    float[] x = {1, -2, 0.5f, 3, 2, 1, 0, -1};
    float[] want = a.forward(Tensor.of(x, 2, 4)).toArray();
    float[] one = new float[3];
    a.step(x, one, 1, false, new Workspace());
    float[] two = new float[6];
    a.step(x, two, 2, false, new Workspace());
    assertThat(one).containsExactly(java.util.Arrays.copyOf(want, 3), org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(two).containsExactly(want, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @Test
  void modelStateChecksItsArguments() {
    var m = new lmlab.models.Transformer(lmlab.models.TransformerConfig.builder("llama").set("hidden_size", 16)
        .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("num_hidden_layers", 1).set("intermediate_size", 24).set("vocab_size", 17)
        .build(), 1L);
    ModelState s = m.newState(2);
    assertThatThrownBy(() -> m.step(s, new int[] {1, 2, 3}, 1)).hasMessageContaining("2 x 1 token ids, got 3");
    assertThatThrownBy(() -> m.step(s, new int[] {1, 99}, 1)).hasMessageContaining("token id 99 at (row 1");
    assertThatThrownBy(() -> s.reorder(new int[0])).hasMessageContaining("at least one row");
    assertThatThrownBy(() -> s.truncate(-1)).hasMessageContaining(">= 0");
  }
}
