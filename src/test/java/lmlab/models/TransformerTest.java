package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransformerTest {
  /** The model of a single-file fixture: its config metadata and its parameters. */
  static Transformer fromFixture(SafetensorsFile f) {
    TransformerConfig c = TransformerConfig.fromJson(f.metadata().get("config"));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : f.names()) {
      if (name.startsWith("model.") || name.startsWith("lm_head.")) state.put(name, f.tensor(name));
    }
    return Transformer.fromStateDict(c, state);
  }

  /** Forward with hidden states and attentions, loss and every gradient against the fixture. */
  static void checkAgainst(Transformer model, SafetensorsFile io) {
    model.zeroGrad();
    IntTensor tokens = io.ints("tokens");
    LanguageModel.Output o = model.forward(tokens, new LanguageModel.Request(true, true));
    FixtureAssert.assertMatchesFixture(io, "logits", o.logits());
    FixtureAssert.assertMatchesFixture(io, "hidden_states", o.hiddenStates());
    FixtureAssert.assertMatchesFixture(io, "attentions", o.attentions());
    Tensor loss = Transformer.loss(o.logits(), io.ints("targets"));
    FixtureAssert.assertMatchesFixture(io, "loss", loss);
    loss.backward();
    ModuleFixtures.assertParamGrads(model, io);
    // every gradient the fixture stores belongs to a parameter of the model
    for (String name : io.names()) {
      if (name.startsWith("grad.")) assertThat(model.namedParameters()).containsKey(name.substring(5));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt", "chargpt", "qwen2", "qwen2_variant"})
  void matchesTheSingleFileModelFixture(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    Transformer model = fromFixture(f);
    assertThat(model.numParameters()).isEqualTo(Long.parseLong(f.metadata().get("num_parameters")));
    assertThat(model.transformerConfig().numParameters()).isEqualTo(model.numParameters());
    checkAgainst(model, f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt", "chargpt", "qwen2", "qwen2_variant"})
  void loadsTheCheckpointDirectoryAndReproducesItsOutputs(String name) throws Exception {
    Transformer model = Transformer.load(resourceDir(name));
    assertThat(model.transformerConfig().preset()).isEqualTo(name.replace('_', '-'));
    checkAgainst(model, FixtureAssert.fixture(name + "/io"));
  }

  @Test
  void loadsTheHuggingFaceQwen2DirectoryAsIs() throws Exception {
    Transformer model = Transformer.load(resourceDir("qwen2_hf"));
    assertThat(model.transformerConfig().modelType()).isEqualTo("qwen2");
    checkAgainst(model, FixtureAssert.fixture("qwen2_hf/io"));
  }

  @Test
  void savesAndLoadsACheckpointDirectory(@TempDir Path dir) throws Exception {
    Transformer m = new Transformer(TransformerConfig.builder("chargpt").set("hidden_size", 12)
        .set("num_attention_heads", 3).set("num_hidden_layers", 2).set("max_position_embeddings", 16).build(), 9);
    m.save(dir.resolve("ckpt"));
    Transformer back = Transformer.load(dir.resolve("ckpt"));
    assertThat(back.transformerConfig()).isEqualTo(m.transformerConfig());
    for (var e : m.stateDict().entrySet()) {
      assertThat(back.stateDict().get(e.getKey()).toArray()).as(e.getKey()).containsExactly(e.getValue().toArray());
    }
    // the fixture's config.json is written back with the same keys, values and key order (Java
    // spells 1e-05 as 1.0E-5)
    Path fixture = resourceDir("gpt");
    Transformer gpt = Transformer.load(fixture);
    gpt.save(dir.resolve("gpt"));
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var written = json.readTree(Files.readString(dir.resolve("gpt/config.json")));
    var original = json.readTree(Files.readString(fixture.resolve("config.json")));
    assertThat(written).isEqualTo(original);
    assertThat(written.fieldNames()).toIterable().containsExactlyElementsOf(() -> original.fieldNames());
  }

  @Test
  void badCheckpointsNameTheFileAndTheFault(@TempDir Path dir) throws Exception {
    Path src = resourceDir("chargpt");
    Path bad = dir.resolve("bad");
    Files.createDirectories(bad);
    Files.writeString(bad.resolve("config.json"), Files.readString(src.resolve("config.json"))
        .replace("\"layernorm\"", "\"batch\""));
    Files.copy(src.resolve("model.safetensors"), bad.resolve("model.safetensors"));
    assertThatThrownBy(() -> Transformer.load(bad))
        .hasMessageContaining("config.json").hasMessageContaining("norm=\"batch\"");
    // a config asking for lm_head.bias the weights do not have
    Files.writeString(bad.resolve("config.json"), Files.readString(src.resolve("config.json"))
        .replace("\"lm_head_bias\": false", "\"lm_head_bias\": true"));
    assertThatThrownBy(() -> Transformer.load(bad)).hasMessageContaining("lm_head.bias");
  }

  static Path resourceDir(String name) throws URISyntaxException {
    var url = TransformerTest.class.getResource("/fixtures/" + name + "/config.json");
    return url != null ? Path.of(url.toURI()).getParent() : Path.of("src/test/resources/fixtures", name);
  }

  @Test
  void stateDictNamesFollowTheConventions() {
    Transformer chargpt = new Transformer(TransformerConfig.builder("chargpt").set("num_hidden_layers", 1).build(), 1);
    assertThat(chargpt.stateDict().keySet()).containsExactly(
        "model.embed_tokens.weight", "model.embed_positions.weight",
        "model.layers.0.input_layernorm.weight", "model.layers.0.input_layernorm.bias",
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
        "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias",
        "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.v_proj.bias",
        "model.layers.0.self_attn.o_proj.weight", "model.layers.0.self_attn.o_proj.bias",
        "model.layers.0.post_attention_layernorm.weight", "model.layers.0.post_attention_layernorm.bias",
        "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.bias",
        "model.layers.0.mlp.down_proj.weight", "model.layers.0.mlp.down_proj.bias",
        "model.norm.weight", "model.norm.bias", "lm_head.weight");
    // sinusoidal positions are not a tensor; tied embeddings have no lm_head
    Transformer tied = new Transformer(TransformerConfig.builder("gpt").set("tie_word_embeddings", true)
        .set("lm_head_bias", false).set("hidden_size", 16).build(), 1);
    assertThat(tied.stateDict().keySet()).noneMatch(k -> k.startsWith("lm_head") || k.contains("embed_positions"));
    assertThat(tied.lmHead()).isNull();
  }

  @Test
  void tiedLogitsUseTheTokenEmbedding() {
    TransformerConfig c = TransformerConfig.builder("gpt2").set("hidden_size", 16).set("num_attention_heads", 2)
        .set("num_hidden_layers", 1).set("vocab_size", 10).set("max_position_embeddings", 8).build();
    Transformer m = new Transformer(c, 3);
    m.eval();
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3}, 1, 3);
    Tensor logits = m.logits(tokens);
    m.zeroGrad();
    logits.sum().backward();
    assertThat(m.embedTokens().weight().grad()).isNotNull();
    // logits = norm(h) · Eᵀ: recompute from the last hidden state
    LanguageModel.Output o = m.forward(tokens, new LanguageModel.Request(true, false));
    Tensor h = m.finalNorm().forward(o.hiddenStates().select(1, 0));
    FixtureAssert.assertClose("tied", logits, h.matmul(m.embedTokens().weight().t()), 1e-6, 1e-5);
  }

  @Test
  void initialisationIsSeededAndLikeMinGpt() {
    TransformerConfig c = TransformerConfig.builder("chargpt").set("hidden_size", 48).build();
    Transformer a = new Transformer(c, 42);
    Transformer b = new Transformer(c, 42);
    Transformer other = new Transformer(c, 43);
    for (var e : a.stateDict().entrySet()) {
      assertThat(e.getValue().toArray()).as(e.getKey()).containsExactly(b.stateDict().get(e.getKey()).toArray());
    }
    Tensor wq = a.stateDict().get("model.layers.0.self_attn.q_proj.weight");
    assertThat(wq.toArray()).isNotEqualTo(other.stateDict().get("model.layers.0.self_attn.q_proj.weight").toArray());
    assertThat(std(wq)).isBetween(0.018, 0.022);
    assertThat(std(a.stateDict().get("model.embed_tokens.weight"))).isBetween(0.017, 0.023);
    double residual = 0.02 / Math.sqrt(2 * 6);
    assertThat(std(a.stateDict().get("model.layers.0.mlp.down_proj.weight"))).isBetween(0.9 * residual, 1.1 * residual);
    assertThat(a.stateDict().get("model.layers.0.self_attn.q_proj.bias").toArray()).containsOnly(0f);
    assertThat(a.stateDict().get("model.norm.weight").toArray()).containsOnly(1f);
    assertThat(a.stateDict().get("model.norm.bias").toArray()).containsOnly(0f);
  }

  @Test
  void theGptPresetDrawsTorchNnDefaults() {
    TransformerConfig c = TransformerConfig.preset("gpt");
    assertThat(c.init()).isEqualTo(TransformerConfig.Init.PYTORCH);
    Transformer a = new Transformer(c, 7);
    assertThat(std(a.stateDict().get("model.embed_tokens.weight"))).isBetween(0.95, 1.05);
    // U(-b, b) with b = 1/sqrt(fan_in) has std b/sqrt(3)
    Tensor up = a.stateDict().get("model.layers.0.mlp.up_proj.weight"); // (512, 128)
    double b = 1 / Math.sqrt(128);
    assertThat(std(up)).isBetween(0.97 * b / Math.sqrt(3), 1.03 * b / Math.sqrt(3));
    for (float v : up.toArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo((float) b);
    Tensor down = a.stateDict().get("model.layers.0.mlp.down_proj.weight"); // (128, 512): fan_in 512
    for (float v : down.toArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo((float) (1 / Math.sqrt(512)));
    Tensor qb = a.stateDict().get("model.layers.0.self_attn.q_proj.bias");
    assertThat(qb.toArray()).doesNotContain(0f);
    assertThat(a.stateDict().get("model.norm.weight").toArray()).containsOnly(1f);
    assertThat(TransformerConfig.fromJson(c.toJsonString())).isEqualTo(c);
    assertThat(c.toJson().get("init").asText()).isEqualTo("pytorch");
    assertThat(TransformerConfig.builder("gpt").set("init", "gpt2").build().toJson().has("init")).isFalse();
  }

  private static double std(Tensor t) {
    float[] v = t.toArray();
    double s = 0;
    for (float x : v) s += (double) x * x;
    return Math.sqrt(s / v.length);
  }

  @Test
  void hiddenStatesAndAttentionsOnlyOnRequest() {
    Transformer m = new Transformer(TransformerConfig.builder("gpt").set("hidden_size", 16).build(), 1);
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
    LanguageModel.Output o = m.forward(tokens, LanguageModel.Request.LOGITS);
    assertThat(o.logits().shape()).containsExactly(2, 3, 39);
    assertThat(o.hiddenStates()).isNull();
    assertThat(o.attentions()).isNull();
    o = m.forward(tokens, new LanguageModel.Request(true, true));
    assertThat(o.hiddenStates().shape()).containsExactly(2, 2, 3, 16);
    assertThat(o.attentions().shape()).containsExactly(2, 2, 4, 3, 3);
  }

  @Test
  void dropoutOnlyInTrainingMode() {
    Transformer m = new Transformer(TransformerConfig.builder("chargpt").set("hidden_size", 24)
        .set("num_attention_heads", 2).set("num_hidden_layers", 1).build(), 5);
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 4}, 1, 4);
    m.eval();
    float[] a = m.logits(tokens).toArray();
    assertThat(m.logits(tokens).toArray()).containsExactly(a);
    m.train(true);
    assertThat(m.logits(tokens).toArray()).isNotEqualTo(a);
  }

  @Test
  void tokenIdsOutOfTheVocabularyAreNamed() {
    Transformer m = new Transformer(TransformerConfig.builder("gpt").set("hidden_size", 16)
        .set("vocab_size", 11).build(), 1);
    assertThatThrownBy(() -> m.logits(IntTensor.of(new int[] {1, 2, 3, 4, 11, 0}, 2, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token id 11")
        .hasMessageContaining("batch 1, position 1")
        .hasMessageContaining("vocab_size 11");
    assertThatThrownBy(() -> m.logits(IntTensor.of(new int[] {-1}, 1, 1))).hasMessageContaining("token id -1");
    assertThatThrownBy(() -> m.logits(IntTensor.of(new int[] {1, 2}, 2))).hasMessageContaining("(B, S)");
  }

  @Test
  void sequencesLongerThanTheLearnedTableAreAnError() {
    Transformer m = new Transformer(TransformerConfig.builder("chargpt").set("hidden_size", 12)
        .set("num_attention_heads", 3).set("num_hidden_layers", 1).set("max_position_embeddings", 4).build(), 1);
    assertThatThrownBy(() -> m.logits(IntTensor.of(new int[5], 1, 5)))
        .hasMessageContaining("max_position_embeddings 4");
  }

  @Test
  void checkpointMismatchesAreNamed() {
    SafetensorsFile f = FixtureAssert.fixture("gpt");
    TransformerConfig c = TransformerConfig.fromJson(f.metadata().get("config"));
    Map<String, Tensor> state = new LinkedHashMap<>(fromFixture(f).stateDict());
    state.remove("model.layers.1.mlp.up_proj.weight");
    assertThatThrownBy(() -> Transformer.fromStateDict(c, state))
        .hasMessageContaining("model.layers.1.mlp.up_proj.weight");
    Map<String, Tensor> wrong = new LinkedHashMap<>(fromFixture(f).stateDict());
    wrong.put("lm_head.bias", Tensor.zeros(12));
    assertThatThrownBy(() -> Transformer.fromStateDict(c, wrong)).hasMessageContaining("lm_head.bias");
  }
}
