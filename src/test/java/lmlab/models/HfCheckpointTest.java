package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.CheckpointException;
import lmlab.io.SafetensorsFile;
import lmlab.nn.WeightFormats;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.HfDirs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue #18 acceptance 2: Hugging Face model directories load through {@link Models#load} (the path
 * of every command) and give the logits of the equivalent lmlab-named checkpoint.
 *
 * <p>Where the expected values come from: the GPT-2 layout is written by {@link HfDirs#gpt2Layout}
 * (concatenation and transposes written out in the test, not the loader's mapper) from the
 * {@code chargpt} fixture, whose logits PyTorch computed (fixture tolerance), and from random
 * lmlab models, whose own logits are the reference (through the mapping: ≤ 1e-5). The Qwen2
 * layout is the {@code qwen2_hf} fixture (PyTorch logits) and random Qwen2 models.
 */
class HfCheckpointTest {
  static final double SAME = 1e-5;

  @TempDir Path tmp;

  static TransformerConfig charGpt() throws Exception {
    return Transformer.load(TransformerTest.resourceDir("chargpt")).transformerConfig();
  }

  /** The chargpt fixture as a GPT2LMHeadModel directory (untied: lm_head.weight stored). */
  private Path chargptAsGpt2(String name, boolean prefixed, boolean masks, String dtype) throws Exception {
    Transformer m = Transformer.load(TransformerTest.resourceDir("chargpt"));
    TransformerConfig c = m.transformerConfig();
    Path dir = Files.createDirectories(tmp.resolve(name));
    HfDirs.writeJson(dir, "config.json", HfDirs.gpt2Config(c));
    HfDirs.write(dir.resolve("model.safetensors"),
        HfDirs.gpt2Layout(m.stateDict(), c.numHiddenLayers(), c.maxPositionEmbeddings(), prefixed, masks), dtype);
    return dir;
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theChargptFixtureInGpt2LayoutGivesPyTorchsLogits(boolean prefixed) throws Exception {
    Path dir = chargptAsGpt2("gpt2-" + prefixed, prefixed, true, "F32");
    LanguageModel hf = Models.load(dir);
    assertThat(((Transformer) hf).transformerConfig().modelType()).isEqualTo("gpt2");
    hf.eval();
    SafetensorsFile io = FixtureAssert.fixture("chargpt/io");
    IntTensor tokens = io.ints("tokens");
    Tensor logits = hf.logits(tokens);
    FixtureAssert.assertMatchesFixture(io, "logits", logits);
    // and exactly the lmlab-named checkpoint's logits
    Transformer lmlab = Transformer.load(TransformerTest.resourceDir("chargpt"));
    lmlab.eval();
    FixtureAssert.assertClose("logits", logits, lmlab.logits(tokens), SAME, 0);
  }

  /** A random GPT-2-shaped model with a tied head (GPT-2's default) and the GPT-2 vocabulary size. */
  static Transformer randomGpt2(long seed) {
    TransformerConfig c = TransformerConfig.builder("gpt2").set("hidden_size", 16).set("num_attention_heads", 4)
        .set("num_hidden_layers", 2).set("max_position_embeddings", 32).set("dropout", 0.0).build();
    return new Transformer(c, seed);
  }

  @Test
  void aTiedGpt2WithHubNamesShardsAndMaskBuffersGivesTheLmlabLogits() throws Exception {
    Transformer m = randomGpt2(3);
    m.eval();
    TransformerConfig c = m.transformerConfig();
    Path dir = Files.createDirectories(tmp.resolve("hub-gpt2"));
    HfDirs.writeJson(dir, "config.json", HfDirs.gpt2Config(c));
    Map<String, Tensor> stored = HfDirs.gpt2Layout(m.stateDict(), 2, 32, false, true);
    assertThat(stored).containsKey("h.1.attn.c_attn.weight").doesNotContainKey("lm_head.weight");
    assertThat(stored.get("h.1.attn.c_attn.weight").shape()).containsExactly(16, 48);
    HfDirs.writeSharded(dir, stored, "F32", 3);
    LanguageModel hf = Models.load(dir);
    hf.eval();
    IntTensor tokens = IntTensor.of(new int[] {15496, 11, 995, 50256, 0, 7, 50000, 198}, 2, 4);
    FixtureAssert.assertClose("logits", hf.logits(tokens), m.logits(tokens), SAME, 0);
  }

  @Test
  void theQwen2FixtureLoadsInBothFormatsAndBf16StaysWithinItsTolerance() throws Exception {
    Path dir = TransformerTest.resourceDir("qwen2_hf");
    SafetensorsFile io = FixtureAssert.fixture("qwen2_hf/io");
    IntTensor tokens = io.ints("tokens");
    LanguageModel f32 = Models.load(dir);
    f32.eval();
    Tensor exact = f32.logits(tokens);
    FixtureAssert.assertMatchesFixture(io, "logits", exact);
    LanguageModel bf16 = Models.load(dir, WeightFormats.BF16);
    bf16.eval();
    assertBf16Close(bf16.logits(tokens), exact);
    assertBf16Close(stepped(bf16, tokens), exact);
  }

  /**
   * A bf16 KV cache ({@code --kv-cache bf16}) decodes within the same stated bf16 tolerance of the
   * float32 forward: the PyTorch chargpt fixture (learned positions, six heads of 32) and the Qwen2
   * fixture (RoPE, grouped heads), token by token.
   */
  @ParameterizedTest
  @ValueSource(strings = {"chargpt", "qwen2_hf"})
  void aBf16KvCacheDecodesWithinTheBf16Tolerance(String fixture) throws Exception {
    LanguageModel m = Models.load(TransformerTest.resourceDir(fixture));
    m.eval();
    IntTensor tokens = FixtureAssert.fixture(fixture.equals("chargpt") ? "chargpt/io" : "qwen2_hf/io").ints("tokens");
    Tensor exact = m.logits(tokens);
    assertThat(lmlab.nn.MultiHeadAttention.useCacheFormat(m, lmlab.nn.attention.KvFormat.BF16)).isPositive();
    assertBf16Close(stepped(m, tokens), exact);
  }

  /**
   * The stated bf16 tolerance: every weight matrix rounded to 8 significant bits moves each weight by
   * at most 2^-9 of itself, so logits move by about that fraction of their scale, compounded over
   * the layers: |a - b| ≤ 0.03·max|b| elementwise and ‖a - b‖₂ ≤ 0.02·‖b‖₂.
   */
  static void assertBf16Close(Tensor actual, Tensor expected) {
    float[] a = actual.toArray(), b = expected.toArray();
    double max = 0, diff2 = 0, norm2 = 0, worst = 0;
    for (int i = 0; i < b.length; i++) {
      max = Math.max(max, Math.abs(b[i]));
      diff2 += (double) (a[i] - b[i]) * (a[i] - b[i]);
      norm2 += (double) b[i] * b[i];
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    System.out.printf(java.util.Locale.ROOT, "bf16 vs f32 logits: max |diff| %.3g = %.4f of max|b|, ||diff|| = %.4f of ||b||%n",
        worst, worst / max, Math.sqrt(diff2 / norm2));
    assertThat(worst).as("max |bf16 - f32|").isLessThanOrEqualTo(0.03 * max);
    assertThat(Math.sqrt(diff2)).as("||bf16 - f32||").isLessThanOrEqualTo(0.02 * Math.sqrt(norm2));
    assertThat(worst).as("bf16 must differ from f32 (else the test checks nothing)").isGreaterThan(0);
  }

  /** Logits of tokens (B, S) fed one token at a time through the decoding step. */
  static Tensor stepped(LanguageModel m, IntTensor tokens) {
    int b = tokens.size(0), s = tokens.size(1), v = m.vocabSize();
    ModelState state = m.newState(b);
    float[] out = new float[b * s * v];
    int[] t = tokens.toArray();
    for (int i = 0; i < s; i++) {
      int[] step = new int[b];
      for (int r = 0; r < b; r++) step[r] = t[r * s + i];
      float[] l = m.step(state, step, 1);
      for (int r = 0; r < b; r++) System.arraycopy(l, r * v, out, (r * s + i) * v, v);
    }
    return Tensor.of(out, b, s, v);
  }

  @ParameterizedTest
  @ValueSource(strings = {"BF16", "F16"})
  void halfPrecisionFilesLoadWidenedExactlyAndBf16FilesDecodeFromTheMapping(String dtype) throws Exception {
    Transformer m = randomGpt2(5);
    m.eval();
    // the reference: the same model with every weight rounded to the file's precision, in float32
    Map<String, Tensor> rounded = new LinkedHashMap<>();
    for (var e : m.stateDict().entrySet()) {
      float[] v = e.getValue().toArray();
      for (int i = 0; i < v.length; i++) {
        v[i] = dtype.equals("BF16") ? lmlab.kernels.Bf16.toFloat(lmlab.kernels.Bf16.fromFloat(v[i]))
            : Float.float16ToFloat(Float.floatToFloat16(v[i]));
      }
      rounded.put(e.getKey(), Tensor.of(v, e.getValue().shape()));
    }
    Transformer ref = Transformer.fromStateDict(m.transformerConfig(), rounded);
    ref.eval();
    Path dir = Files.createDirectories(tmp.resolve(dtype));
    HfDirs.writeJson(dir, "config.json", HfDirs.gpt2Config(m.transformerConfig()));
    HfDirs.write(dir.resolve("model.safetensors"), HfDirs.gpt2Layout(m.stateDict(), 2, 32, true, false), dtype);
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6, 50256, 9}, 2, 4);
    Tensor expected = ref.logits(tokens);

    LanguageModel f32 = Models.load(dir);
    f32.eval();
    FixtureAssert.assertClose("f32 logits", f32.logits(tokens), expected, SAME, 0);
    if (dtype.equals("BF16")) {
      // bf16 weights hold exactly the file's values: the same logits as float32 (up to summation order)
      LanguageModel bf16 = Models.load(dir, WeightFormats.BF16);
      bf16.eval();
      FixtureAssert.assertClose("bf16 logits", bf16.logits(tokens), expected, SAME, SAME);
      FixtureAssert.assertClose("bf16 stepped logits", stepped(bf16, tokens), expected, SAME, SAME);
    }
  }

  @Test
  void bf16WeightsViewTheMappedFileWhenItStoresThemInLayout() throws Exception {
    Transformer m = new Transformer(TransformerConfig.builder("qwen2").set("vocab_size", 40).set("hidden_size", 16)
        .set("num_attention_heads", 4).set("num_key_value_heads", 2).set("intermediate_size", 24)
        .set("num_hidden_layers", 2).build(), 4);
    Path dir = Files.createDirectories(tmp.resolve("qwen2-bf16"));
    HfDirs.writeJson(dir, "config.json", HfDirs.qwen2Config(m.transformerConfig(), 0, 1));
    HfDirs.write(dir.resolve("model.safetensors"), m.stateDict(), "BF16");
    Transformer bf16 = (Transformer) Models.load(dir, WeightFormats.BF16);
    var q = (lmlab.nn.weights.Bf16Weights) ((lmlab.nn.Linear) bf16.module("model.layers.1.self_attn.q_proj")).weights();
    assertThat(q.isMapped()).isTrue();
    assertThat(bf16.embedTokens().weight()).isNull(); // the table is bf16 too
    assertThat(bf16.stateDict()).doesNotContainKey("model.layers.1.self_attn.q_proj.weight")
        .containsKey("model.layers.1.self_attn.q_proj.bias");
    // a float32 file is rounded into the heap instead
    Path f32dir = Files.createDirectories(tmp.resolve("qwen2-f32"));
    HfDirs.writeJson(f32dir, "config.json", HfDirs.qwen2Config(m.transformerConfig(), 0, 1));
    HfDirs.write(f32dir.resolve("model.safetensors"), m.stateDict(), "F32");
    Transformer rounded = (Transformer) Models.load(f32dir, WeightFormats.BF16);
    var q2 = (lmlab.nn.weights.Bf16Weights) ((lmlab.nn.Linear) rounded.module("model.layers.1.self_attn.q_proj")).weights();
    assertThat(q2.isMapped()).isFalse();
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 39, 0, 5}, 1, 6);
    bf16.eval();
    rounded.eval();
    FixtureAssert.assertClose("logits", rounded.logits(tokens), bf16.logits(tokens), SAME, SAME);
  }

  // ------------------------------------------------------------------------------ bad input

  @Test
  void badDirectoriesAreOneLineErrorsNamingWhatIsWrong() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> Models.load(empty)).isInstanceOf(IOException.class).hasMessageContaining("config.json");

    Path noWeights = chargptAsGpt2("noweights", true, false, "F32");
    Files.delete(noWeights.resolve("model.safetensors"));
    assertThatThrownBy(() -> Models.load(noWeights)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("no model.safetensors and no model.safetensors.index.json");

    Transformer m = Transformer.load(TransformerTest.resourceDir("chargpt"));
    TransformerConfig c = m.transformerConfig();
    Map<String, Tensor> stored = HfDirs.gpt2Layout(m.stateDict(), 2, 16, true, false);
    stored.remove("transformer.h.1.mlp.c_fc.weight");
    Path missing = Files.createDirectories(tmp.resolve("missing"));
    HfDirs.writeJson(missing, "config.json", HfDirs.gpt2Config(c));
    HfDirs.write(missing.resolve("model.safetensors"), stored, "F32");
    for (WeightFormats f : WeightFormats.values()) {
      assertThatThrownBy(() -> Models.load(missing, f)).isInstanceOf(CheckpointException.class)
          .hasMessageContaining("missing tensor 'model.layers.1.mlp.up_proj.weight'").hasMessageNotContaining("\n");
    }

    stored = HfDirs.gpt2Layout(m.stateDict(), 2, 16, true, false);
    stored.put("transformer.h.0.mlp.c_proj.weight", Tensor.zeros(12, 48));
    Path misShaped = Files.createDirectories(tmp.resolve("misshaped"));
    HfDirs.writeJson(misShaped, "config.json", HfDirs.gpt2Config(c));
    HfDirs.write(misShaped.resolve("model.safetensors"), stored, "F32");
    for (WeightFormats f : WeightFormats.values()) {
      assertThatThrownBy(() -> Models.load(misShaped, f)).isInstanceOf(CheckpointException.class)
          .hasMessageContaining("'model.layers.0.mlp.down_proj.weight' (from transformer.h.0.mlp.c_proj.weight.T)")
          .hasMessageContaining("(48, 12)").hasMessageContaining("(12, 48)").hasMessageNotContaining("\n");
    }

    Path bert = Files.createDirectories(tmp.resolve("bert"));
    Files.writeString(bert.resolve("config.json"), "{\"model_type\": \"bert\", \"hidden_size\": 16}");
    assertThatThrownBy(() -> Models.load(bert)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("\"bert\"").hasMessageContaining("gpt2").hasMessageContaining("qwen2")
        .hasMessageContaining("llama").hasMessageContaining("mistral");
  }
}
