package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import lmlab.autograd.Autograd;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GreedyTest {
  /** Greedy by the definition: a full forward pass over the whole prefix for every new token. */
  static int[] naive(Transformer m, int[] prompt, int steps, int eos) {
    int[] seq = prompt.clone();
    int[] out = new int[0];
    for (int i = 0; i < steps; i++) {
      Tensor logits;
      try (var g = Autograd.noGrad()) {
        logits = m.logits(IntTensor.of(seq, 1, seq.length));
      }
      float[] last = logits.select(1, seq.length - 1).contiguous().toArray();
      int best = 0;
      for (int j = 1; j < last.length; j++) if (last[j] > last[best]) best = j;
      out = Arrays.copyOf(out, out.length + 1);
      out[out.length - 1] = best;
      if (best == eos) break;
      seq = Arrays.copyOf(seq, seq.length + 1);
      seq[seq.length - 1] = best;
    }
    return out;
  }

  @Test
  void cachedGreedyPicksWhatTheFullForwardPicks() {
    for (TransformerConfig c : new TransformerConfig[] {KvCacheTest.small("chargpt"), KvCacheTest.small("qwen2"),
        KvCacheTest.small("qwen2-variant", "num_hidden_layers", "4"),
        KvCacheTest.small("llama", "masks", "[\"sliding(4)\", \"dilated(8,2)\", \"block_local(8)\"]")}) {
      // a larger init spreads the logits, so near-ties do not decide the comparison
      Transformer m = new Transformer(c.toBuilder().set("init", "pytorch").build(), 7);
      m.eval();
      int[] prompt = {3, 1, 4};
      Greedy.Result r = Greedy.generate(m, prompt, 40, -1);
      assertThat(r.tokens()).as(c.preset()).hasSize(40).containsExactly(naive(m, prompt, 40, -1));
      assertThat(r.stoppedAtEos()).isFalse();
      // with EOS = the 5th pick, the search stops there and reports it
      int eos = r.tokens()[4];
      int first = 0;
      while (r.tokens()[first] != eos) first++;
      Greedy.Result stopped = Greedy.generate(m, prompt, 40, eos);
      assertThat(stopped.stoppedAtEos()).isTrue();
      assertThat(stopped.tokens()).containsExactly(Arrays.copyOf(r.tokens(), first + 1));
    }
  }

  @Test
  void tiesGoToTheLowerIdAndEdgesAreChecked() {
    // every weight zero: all logits equal, so every pick is token 0
    Transformer zero = Transformer.uninitialised(KvCacheTest.small("qwen2"));
    assertThat(Greedy.generate(zero, new int[] {5}, 6, -1).tokens()).containsExactly(0, 0, 0, 0, 0, 0);
    Greedy.Result eos = Greedy.generate(zero, new int[] {5}, 6, 0);
    assertThat(eos.tokens()).containsExactly(0);
    assertThat(eos.stoppedAtEos()).isTrue();
    assertThat(Greedy.argmax(new float[] {9, 1, 3, 3, 2}, 1, 4)).isEqualTo(1);
    assertThat(Greedy.generate(zero, new int[] {5}, 0, -1).tokens()).isEmpty();
    assertThatThrownBy(() -> Greedy.generate(zero, new int[0], 3, -1)).hasMessageContaining("at least one token");
    assertThatThrownBy(() -> Greedy.generate(zero, new int[] {1}, 3, 17)).hasMessageContaining("eos 17");
    assertThatThrownBy(() -> Greedy.generate(zero, new int[] {1}, -1, -1)).hasMessageContaining(">= 0");
    // a learned table of 8 positions takes a prompt of 1 and 8 picks (positions 0..7), not 9
    Transformer learned = new Transformer(KvCacheTest.small("chargpt", "max_position_embeddings", "8"), 1);
    assertThat(Greedy.generate(learned, new int[] {1}, 8, -1).tokens()).hasSize(8);
    assertThatThrownBy(() -> Greedy.generate(learned, new int[] {1}, 9, -1))
        .hasMessageContaining("max_position_embeddings 8");
  }
}
