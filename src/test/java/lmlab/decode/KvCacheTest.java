package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import lmlab.autograd.Autograd;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Incremental decoding with the whole-model KV cache equals the full forward pass (acceptance 3 of
 * issue 5): every preset at a small size and windowed masks, 64 steps, max |difference| <= 1e-4,
 * and the cache's bytes are the exact figure at every step.
 */
class KvCacheTest {
  static final int STEPS = 64;

  /** A preset shrunk (d 16, 64 positions) with extra overrides. */
  static TransformerConfig small(String preset, String... kv) {
    TransformerConfig.Builder b = TransformerConfig.builder(preset).set("hidden_size", 16)
        .set("max_position_embeddings", 64).set("dropout", 0.0);
    if (!preset.startsWith("gpt") && !preset.equals("chargpt")) {
      b.set("num_attention_heads", 4).set("num_key_value_heads", 2).set("intermediate_size", 24)
          .set("num_hidden_layers", 3).set("vocab_size", 17);
    } else {
      b.set("num_attention_heads", 4).set("num_hidden_layers", 2).set("vocab_size", 13);
    }
    for (int i = 0; i < kv.length; i += 2) b.set(kv[i], kv[i + 1]);
    return b.build();
  }

  static Stream<Arguments> models() {
    return Stream.of(
        Arguments.of("gpt (sinusoidal)", small("gpt")),
        Arguments.of("chargpt (learned)", small("chargpt")),
        Arguments.of("llama (rope half)", small("llama", "num_key_value_heads", "4")),
        Arguments.of("qwen2 (rope 1e6, GQA 4/2, q/k/v bias)", small("qwen2")),
        Arguments.of("qwen2-variant (learned, DyT, relu, causal/block_local(4)/dilated(128,2))",
            small("qwen2-variant", "num_hidden_layers", "4")),
        Arguments.of("windowed softmax: sliding(8), dilated(16,4), block_local(4)",
            small("llama", "masks", "[\"sliding(8)\", \"dilated(16,4)\", \"block_local(4)\"]")),
        Arguments.of("windowed relu, interleaved rope, MQA: sliding(5), block_local(3), dilated(6,3)",
            small("qwen2", "attention", "relu", "rope_style", "interleaved", "num_key_value_heads", "1",
                "masks", "[\"sliding(5)\", \"block_local(3)\", \"dilated(6,3)\"]")),
        Arguments.of("sinusoidal with windows: gpt sliding(4)/dilated(8,2)",
            small("gpt", "masks", "[\"sliding(4)\", \"dilated(8,2)\"]")),
        Arguments.of("additive scores, sliding(6)", small("llama", "score", "additive", "masks", "\"sliding(6)\"")),
        Arguments.of("multiplicative scores", small("qwen2", "score", "multiplicative")),
        Arguments.of("concat scores, dot", small("llama", "score", "concat")),
        Arguments.of("dot scores, no positions", small("llama", "score", "dot", "position", "none")),
        // plain MLPs with the activations the array path computes itself, and one it hands to the tensor op
        Arguments.of("plain silu MLP, rmsnorm", small("gpt", "hidden_act", "silu", "mlp", "plain", "norm", "rmsnorm")),
        Arguments.of("plain relu MLP, dyt", small("chargpt", "hidden_act", "relu", "norm", "dyt")),
        Arguments.of("plain exact-gelu MLP, rope interleaved",
            small("gpt", "position", "rope", "rope_style", "interleaved")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void incrementalLogitsEqualTheFullForwardAndBytesAreExact(String name, TransformerConfig config) {
    Transformer model = new Transformer(config, 11);
    model.eval();
    int batch = 2;
    Random r = new Random(5);
    int[] ids = new int[batch * STEPS];
    for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(config.vocabSize());
    IntTensor tokens = IntTensor.of(ids, batch, STEPS);
    Tensor full;
    try (var g = Autograd.noGrad()) {
      full = model.logits(tokens);
    }
    KvCache cache = new KvCache(model);
    assertThat(cache.bytes()).isZero();
    double worst = 0;
    int t = 0;
    while (t < STEPS) {
      int n = t == 0 ? 3 : 1; // a prompt of three tokens, then one at a time
      Tensor step = cache.append(columns(ids, batch, STEPS, t, n));
      assertThat(step.shape()).containsExactly(batch, n, config.vocabSize());
      worst = Math.max(worst, maxAbsDiff(step, full.narrow(1, t, n)));
      t += n;
      assertThat(cache.seen()).isEqualTo(t);
      assertThat(cache.bytes()).as("%s: bytes after %d tokens", name, t).isEqualTo(expectedBytes(config, batch, t));
    }
    assertThat(worst).as(name + ": max |incremental - full| over " + STEPS + " steps").isLessThanOrEqualTo(1e-4);
    // clear() starts again at position 0 with the same results
    cache.clear();
    assertThat(cache.bytes()).isZero();
    assertThat(maxAbsDiff(cache.append(columns(ids, batch, STEPS, 0, 1)), full.narrow(1, 0, 1))).isLessThanOrEqualTo(1e-4);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void theSingleTokenArrayPathEqualsTheFullForward(String name, TransformerConfig config) {
    Transformer model = new Transformer(config.toBuilder().set("init", "pytorch").build(), 12);
    model.eval();
    Random r = new Random(6);
    int[] ids = new int[STEPS];
    for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(config.vocabSize());
    float[] full;
    try (var g = Autograd.noGrad()) {
      full = model.logits(IntTensor.of(ids, 1, STEPS)).contiguous().toArray();
    }
    KvCache cache = new KvCache(model);
    int v = config.vocabSize();
    double worst = 0;
    for (int t = 0; t < STEPS; t++) {
      float[] step = cache.appendToken(ids[t]);
      for (int j = 0; j < v; j++) worst = Math.max(worst, Math.abs(step[j] - full[t * v + j]));
      assertThat(cache.bytes()).isEqualTo(expectedBytes(config, 1, t + 1));
    }
    assertThat(worst).as(name + ": max |array path - full| over " + STEPS + " steps").isLessThanOrEqualTo(1e-4);
    // the (1, 1) tensor form takes the same path
    cache.clear();
    assertThat(maxAbsDiff(cache.append(IntTensor.of(new int[] {ids[0]}, 1, 1)),
        Tensor.of(java.util.Arrays.copyOf(full, v), 1, 1, v))).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void matricesLargeEnoughForTheWorkerPoolGiveTheSameLogits() {
    // d 1024: the projections have >= MatVec.PARALLEL_MIN weights, so the array path shares their rows
    for (String preset : new String[] {"chargpt", "qwen2"}) {
      TransformerConfig c = small(preset, "hidden_size", "1024", "num_hidden_layers", "1", "intermediate_size",
          preset.equals("qwen2") ? "1024" : "null", "init", "pytorch");
      Transformer model = new Transformer(c, 2);
      model.eval();
      int[] ids = {1, 5, 2, 7, 3, 3, 0, 9, 4, 6};
      float[] full;
      try (var g = Autograd.noGrad()) {
        full = model.logits(IntTensor.of(ids, 1, ids.length)).contiguous().toArray();
      }
      KvCache cache = new KvCache(model);
      int v = c.vocabSize();
      for (int t = 0; t < ids.length; t++) {
        float[] step = cache.appendToken(ids[t]);
        for (int j = 0; j < v; j++) {
          // logits reach ~1e3 here: 1e-4 plus a float's relative rounding
          assertThat((double) step[j]).as("%s t=%d j=%d", preset, t, j)
              .isCloseTo(full[t * v + j], org.assertj.core.data.Offset.offset(1e-4 + 1e-6 * Math.abs(full[t * v + j])));
        }
      }
    }
  }

  @Test
  void fullAttentionHoldsTwoLayersTimesTokensTimesKvWidthFloats() {
    TransformerConfig c = small("qwen2", "num_hidden_layers", "2");
    KvCache cache = new KvCache(new Transformer(c, 1));
    for (int t = 1; t <= 10; t++) {
      cache.append(IntTensor.of(new int[] {t % 17}, 1, 1));
      // 2 (K and V) · N_layer · tokens · n_kv · d_h · 4 bytes
      assertThat(cache.bytes()).isEqualTo(2L * 2 * t * 2 * 4 * 4);
      assertThat(cache.tokensHeld(1)).isEqualTo(t);
    }
    // a sliding(8) model holds at most floor(8/2) + 1 = 5 tokens per layer, however long the sequence
    KvCache windowed = new KvCache(new Transformer(small("llama", "masks", "\"sliding(8)\""), 1));
    for (int t = 1; t <= 40; t++) windowed.append(IntTensor.of(new int[] {t % 17}, 1, 1));
    assertThat(windowed.tokensHeld(0)).isEqualTo(5);
    assertThat(windowed.bytes()).isEqualTo(3L * 2 * 5 * 2 * 4 * 4);
  }

  @Test
  void learnedPositionsEndAtTheTableAndLayersAreNamed() {
    TransformerConfig c = small("chargpt", "max_position_embeddings", "4");
    KvCache cache = new KvCache(new Transformer(c, 1));
    cache.append(IntTensor.of(new int[] {1, 2, 3}, 1, 3));
    assertThatThrownBy(() -> cache.append(IntTensor.of(new int[] {1, 2}, 1, 2)))
        .hasMessageContaining("max_position_embeddings 4");
    assertThatThrownBy(() -> cache.append(IntTensor.of(new int[] {1, 2}, 2, 1))).hasMessageContaining("batch size");
    assertThatThrownBy(() -> cache.bytes(2)).hasMessageContaining("layer 2 does not exist");
    assertThatThrownBy(() -> cache.append(IntTensor.of(new int[] {13}, 1, 1))).hasMessageContaining("vocab_size 13");
  }

  /** Σ_l 2 · B · held_l · n_kv · d_h · 4, held_l from layers.md's rule for the layer's mask. */
  static long expectedBytes(TransformerConfig c, int batch, int seen) {
    long sum = 0;
    for (String mask : c.masks()) {
      sum += 2L * batch * held(mask, seen, c.maxPositionEmbeddings()) * c.numKeyValueHeads() * c.headDim() * 4;
    }
    return sum;
  }

  private static final Pattern ARGS = Pattern.compile("(\\w+)(?:\\((\\d+)(?:,(\\d+))?\\))?");

  static int held(String mask, int seen, int maxPositions) {
    Matcher m = ARGS.matcher(mask);
    if (!m.matches()) throw new AssertionError(mask);
    int t = seen - 1; // the last query computed
    return switch (m.group(1)) {
      case "causal" -> t + 1;
      case "sliding" -> Math.min(t + 1, Integer.parseInt(m.group(2)) / 2 + 1);
      case "dilated" -> {
        int w = Integer.parseInt(m.group(2));
        int d = Integer.parseInt(m.group(3));
        yield Math.min(t + 1, (w / d - 1) * d + 1);
      }
      case "block_local" -> {
        int n = Integer.parseInt(m.group(2));
        int b = (maxPositions + n - 1) / n;
        yield t % b + 1;
      }
      default -> throw new AssertionError(mask);
    };
  }

  static double maxAbsDiff(Tensor a, Tensor b) {
    assertThat(a.shape()).containsExactly(b.shape());
    float[] x = a.contiguous().toArray();
    float[] y = b.contiguous().toArray();
    double worst = 0;
    for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
    return worst;
  }

  /** Columns from .. from + n - 1 of a (B, S) id matrix. */
  static IntTensor columns(int[] ids, int batch, int s, int from, int n) {
    int[] out = new int[batch * n];
    for (int b = 0; b < batch; b++) System.arraycopy(ids, b * s + from, out, b * n, n);
    return IntTensor.of(out, batch, n);
  }
}
