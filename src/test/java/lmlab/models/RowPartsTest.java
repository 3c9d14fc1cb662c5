package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A one-token step whose rows are split over two threads (each part steps its rows through the
 * whole model, {@link Transformer#stepRowParts}; rows that share pages, as a beam's do) gives every
 * row the same bits as the same step on one thread: rows at different positions, beams reordered
 * onto shared pages (copies on write), odd row counts, windowed masks and other score functions.
 * No warm-up: the paths are compared from the first step, while HotSpot moves the kernels from the
 * interpreter to C1 and C2, because every kernel rounds the same in every tier
 * (TierIndependentMathTest).
 */
class RowPartsTest {
  @AfterEach
  void threads() {
    Parallel.useDefaultThreads();
  }

  static TransformerConfig small(String preset, String... kv) {
    TransformerConfig.Builder b = TransformerConfig.builder(preset).set("hidden_size", 32)
        .set("max_position_embeddings", 96).set("dropout", 0.0).set("num_attention_heads", 4).set("vocab_size", 19);
    if (!preset.startsWith("gpt") && !preset.equals("chargpt")) {
      b.set("num_key_value_heads", 2).set("intermediate_size", 48).set("num_hidden_layers", 3);
    } else {
      b.set("num_hidden_layers", 2);
    }
    for (int i = 0; i < kv.length; i += 2) b.set(kv[i], kv[i + 1]);
    return b.build();
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("chargpt, 8 rows", small("chargpt"), 8),
        Arguments.of("gpt (sinusoidal), 12 rows", small("gpt"), 12),
        Arguments.of("llama (rope, GQA), 9 rows", small("llama"), 9),
        Arguments.of("qwen2-variant windows, 10 rows", small("qwen2-variant", "num_hidden_layers", "4"), 10),
        Arguments.of("sliding(8), relu, 8 rows", small("qwen2", "attention", "relu", "masks", "\"sliding(8)\""), 8),
        Arguments.of("additive scores, 11 rows", small("llama", "score", "additive"), 11));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void splitRowsStepLikeOneThread(String name, TransformerConfig config, int rows) {
    Transformer model = new Transformer(config, 7L);
    model.eval();
    ModelState split = model.newState(rows);
    ModelState whole = model.newState(rows);
    int vocab = config.vocabSize();
    int splitSteps = 0;
    for (int step = 0; step < 60; step++) {
      int[] tokens = new int[rows];
      for (int r = 0; r < rows; r++) tokens[r] = (step * 7 + r * 5 + step * r) % vocab;
      Parallel.setThreads(2);
      int parts = model.rowParts(split, 1);
      if (step == 0) assertThat(parts).as("rows of their own step together").isEqualTo(1);
      if (parts == 2) splitSteps++;
      float[] a = model.step(split, tokens, 1).clone();
      Parallel.setThreads(1);
      float[] b = model.step(whole, tokens, 1);
      assertThat(a).as("%s, step %d", name, step).containsExactly(b);
      if (step % 3 == 0) { // beam-like: rows continue others (shared pages, copies on write)
        int[] parents = new int[rows];
        for (int r = 0; r < rows; r++) parents[r] = (r * 3 + step) % rows / 2 * 2 % rows;
        split.reorder(parents);
        whole.reorder(parents);
      }
      if (step % 9 == 8) { // and one row goes back
        split.truncate(rows - 1, step / 2);
        whole.truncate(rows - 1, step / 2);
      }
    }
    assertThat(splitSteps).as("steps split by rows (rows sharing pages, two threads)").isGreaterThan(30);
    Parallel.setThreads(2);
    assertThat(model.rowParts(model.newState(Transformer.MIN_ROWS_PER_PART * 2 - 1), 1))
        .as("fewer rows than two parts' least").isEqualTo(1);
  }
}
