package lmlab.lab.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.decode.Sampling;
import lmlab.decode.TokenSampler;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.tensor.IntTensor;
import lmlab.tokenize.CharTokenizer;
import org.junit.jupiter.api.Test;

/** Sampling as minGPT's generate: the KV cache while the text fits, the last S_max characters after. */
class CharGenerationTest {
  static final int S_MAX = 12;

  /** minGPT's loop: a full forward pass over idx[:, -block_size:] for every character. */
  static int[] reference(LanguageModel model, int[] prompt, int chars, Sampling sampling) {
    TokenSampler sampler = sampling.sampler();
    List<Integer> seq = new ArrayList<>();
    for (int p : prompt) seq.add(p);
    model.eval();
    try (var g = Autograd.noGrad()) {
      for (int i = 0; i < chars; i++) {
        int n = Math.min(seq.size(), S_MAX);
        int[] ctx = seq.subList(seq.size() - n, seq.size()).stream().mapToInt(Integer::intValue).toArray();
        float[] logits = model.logits(IntTensor.of(ctx, 1, n)).toArray();
        int[] hist = seq.stream().mapToInt(Integer::intValue).toArray();
        seq.add(sampler.next(logits, (n - 1) * model.vocabSize(), model.vocabSize(), hist, hist.length));
      }
    }
    return seq.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void equalsMinGptsGenerateBeforeAndPastTheContext() {
    for (String position : List.of("learned", "rope")) {
      LanguageModel model = Models.preset("chargpt", Map.of("vocab_size", "20", "num_hidden_layers", "2", "hidden_size", "48",
          "max_position_embeddings", Integer.toString(S_MAX), "position", position)).newModel(7);
      Sampling s = new Sampling(1.0, 10, 1.0, 0.0, 1.0, 3407);
      int[] prompt = {3, 1, 4, 1, 5};
      List<Integer> streamed = new ArrayList<>();
      int[] got = CharGeneration.generate(model, S_MAX, prompt, 30, s, streamed::add); // 35 > S_MAX characters
      assertThat(got).as(position).containsExactly(reference(model, prompt, 30, s));
      assertThat(streamed).hasSize(30);
      assertThat(got).startsWith(prompt);
    }
  }

  @Test
  void aPromptCharacterOutsideTheVocabularyIsNamed() {
    CharTokenizer v = CharTokenizer.fromText("abc \n");
    assertThat(CharGeneration.encodePrompt(v, "ab c", "vocab.json")).containsExactly(2, 3, 1, 4);
    assertThatThrownBy(() -> CharGeneration.encodePrompt(v, "abZ", "vocab.json"))
        .hasMessage("prompt character 'Z' (U+005A) at position 2 is not in the 5-character vocabulary of vocab.json");
  }
}
