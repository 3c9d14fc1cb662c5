package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransformerConfigTest {
  private static final String BASE = """
      "vocab_size": 11, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
      "position": "sinusoidal", "norm": "layernorm", "hidden_act": "gelu\"""";

  private static TransformerConfig parse(String extra) {
    return TransformerConfig.fromJson("{" + BASE + (extra.isEmpty() ? "" : ", " + extra) + "}");
  }

  private static void rejects(String extra, String... fragments) {
    var t = assertThatThrownBy(() -> parse(extra)).isInstanceOf(IllegalArgumentException.class);
    for (String f : fragments) t.hasMessageContaining(f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt", "chargpt"})
  void readsTheFixtureConfigsAndWritesThemBackKeyForKey(String name) throws Exception {
    Path file = TransformerTest.resourceDir(name).resolve("config.json");
    String text = Files.readString(file);
    TransformerConfig c = TransformerConfig.fromJson(text);
    var original = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    assertThat(c.toJson()).isEqualTo(original);
    assertThat(TransformerConfig.fromJson(c.toJsonString())).isEqualTo(c);
  }

  @Test
  void theFixtureConfigsMatchThePresetsShrunk() {
    TransformerConfig gpt = TransformerConfig.fromJson(FixtureAssert.fixture("gpt").metadata().get("config"));
    TransformerConfig shrunk = TransformerConfig.builder("gpt").set("vocab_size", "11").set("hidden_size", "16")
        .set("max_position_embeddings", "16").set("init", "gpt2").build(); // fixtures fix the weights: init is moot
    assertThat(shrunk).isEqualTo(gpt);
    TransformerConfig chargpt = TransformerConfig.fromJson(FixtureAssert.fixture("chargpt").metadata().get("config"));
    TransformerConfig small = TransformerConfig.preset("chargpt", Map.of("vocab_size", "13", "hidden_size", "12",
        "num_attention_heads", "3", "num_hidden_layers", "2", "max_position_embeddings", "16", "dropout", "0.0"));
    assertThat(small).isEqualTo(chargpt);
  }

  @Test
  void presetsHaveTheDocumentedSettings() {
    TransformerConfig gpt = TransformerConfig.preset("gpt");
    assertThat(gpt.position()).isEqualTo("sinusoidal");
    assertThat(gpt.norm()).isEqualTo("layernorm");
    assertThat(gpt.attentionBias() && gpt.oProjBias() && gpt.lmHeadBias()).isTrue();
    assertThat(gpt.mlpBias() || gpt.tieWordEmbeddings()).isFalse();
    assertThat(gpt.hiddenAct()).isEqualTo("gelu");
    assertThat(gpt.mlp()).isEqualTo("plain");
    assertThat(gpt.intermediateSize()).isEqualTo(4 * 128);
    assertThat(new int[] {gpt.numHiddenLayers(), gpt.hiddenSize(), gpt.numAttentionHeads()}).containsExactly(2, 128, 4);

    TransformerConfig chargpt = TransformerConfig.preset("chargpt");
    assertThat(chargpt.position()).isEqualTo("learned");
    assertThat(chargpt.maxPositionEmbeddings()).isEqualTo(128);
    assertThat(chargpt.hiddenAct()).isEqualTo("gelu_tanh");
    assertThat(chargpt.mlpBias() && chargpt.attentionBias() && chargpt.oProjBias()).isTrue();
    assertThat(chargpt.lmHeadBias() || chargpt.tieWordEmbeddings()).isFalse();
    assertThat(chargpt.dropout()).isEqualTo(0.1);
    assertThat(new int[] {chargpt.numHiddenLayers(), chargpt.numAttentionHeads(), chargpt.hiddenSize(),
        chargpt.vocabSize()}).containsExactly(6, 6, 192, 65);

    TransformerConfig gpt2 = TransformerConfig.preset("gpt2");
    assertThat(new int[] {gpt2.hiddenSize(), gpt2.numHiddenLayers(), gpt2.numAttentionHeads(), gpt2.vocabSize(),
        gpt2.maxPositionEmbeddings()}).containsExactly(768, 12, 12, 50257, 1024);
    assertThat(gpt2.tieWordEmbeddings()).isTrue();
    assertThat(gpt2.hiddenAct()).isEqualTo("gelu_tanh");
  }

  @Test
  void overridesKeepDerivedSizesDerived() {
    TransformerConfig c = TransformerConfig.builder("gpt").set("hidden_size", "64").set("num_attention_heads", "8")
        .set("norm", "rmsnorm").set("dropout", "0.2").build();
    assertThat(c.headDim()).isEqualTo(8);
    assertThat(c.intermediateSize()).isEqualTo(256);
    assertThat(c.norm()).isEqualTo("rmsnorm");
    assertThat(c.normEps()).isEqualTo(1e-6);
    assertThat(c.dropout()).isEqualTo(0.2);
    assertThat(c.preset()).isEqualTo("gpt");
    assertThat(TransformerConfig.fromJson(c.toJson())).isEqualTo(c);
  }

  @Test
  void roundTripsEveryKindOfConfig() {
    for (String extra : new String[] {"", "\"intermediate_size\": 40",
        "\"mlp_multiplier\": 2, \"intermediate_size\": 32", "\"norm\": \"dyt\", \"dyt_alpha0\": 0.7",
        "\"head_dim\": 8", "\"position\": \"none\", \"tie_word_embeddings\": true",
        "\"model_type\": \"llama\", \"hidden_act\": \"silu\", \"mlp\": \"swiglu\", \"intermediate_size\": 24"}) {
      String base = BASE.replace(", \"hidden_act\": \"gelu\"", "");
      String act = extra.contains("hidden_act") ? "" : ", \"hidden_act\": \"gelu\"";
      String json = "{" + base + act + (extra.isEmpty() ? "" : ", " + extra) + "}";
      TransformerConfig c = TransformerConfig.fromJson(json);
      assertThat(TransformerConfig.fromJson(c.toJsonString())).as(json).isEqualTo(c);
    }
  }

  @Test
  void defaultsFollowModelsMd() {
    TransformerConfig c = TransformerConfig.fromJson("""
        {"vocab_size": 11, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
         "position": "learned", "max_position_embeddings": 8, "intermediate_size": 24}""");
    assertThat(c.norm()).isEqualTo("rmsnorm");
    assertThat(c.normEps()).isEqualTo(1e-6);
    assertThat(c.hiddenAct()).isEqualTo("silu");
    assertThat(c.mlp()).isEqualTo("swiglu");
    assertThat(c.attention()).isEqualTo("softmax");
    assertThat(c.numKeyValueHeads()).isEqualTo(4);
    assertThat(c.headDim()).isEqualTo(4);
    assertThat(c.attentionBias() || c.oProjBias() || c.mlpBias() || c.lmHeadBias() || c.tieWordEmbeddings()).isFalse();
    assertThat(c.dropout()).isZero();
    assertThat(c.masks()).containsExactly("causal", "causal");
    assertThat(parse("").intermediateSize()).isEqualTo(64); // plain MLP: m = 4
    assertThat(parse("").normEps()).isEqualTo(1e-5);
    // Hugging Face names and model-type defaults
    TransformerConfig q = parse("\"model_type\": \"qwen2\", \"rms_norm_eps\": 1e-5, \"torch_dtype\": \"float32\", "
        + "\"architectures\": [\"Qwen2ForCausalLM\"], \"bos_token_id\": 0, \"use_cache\": true");
    assertThat(q.attentionBias()).isTrue();
    assertThat(q.oProjBias()).isFalse();
    assertThat(q.normEps()).isEqualTo(1e-5);
    TransformerConfig llama = parse("\"model_type\": \"llama\", \"attention_bias\": true");
    assertThat(llama.oProjBias()).isTrue();
  }

  @Test
  void unknownKeysAreNamed() {
    rejects("\"hidden_sise\": 3", "unknown key 'hidden_sise'", "did you mean 'hidden_size'");
    rejects("\"n_embd\": 3", "unknown key 'n_embd'");
    assertThatThrownBy(() -> TransformerConfig.builder("gpt").set("heads", "4")).hasMessageContaining("'heads'");
  }

  @Test
  void outOfRangeValuesAreNamed() {
    rejects("\"norm\": \"batch\"", "norm=\"batch\"", "layernorm", "rmsnorm", "dyt");
    rejects("\"init\": \"xavier\"", "init=\"xavier\"", "gpt2", "pytorch");
    rejects("\"num_attention_heads\": 3", "hidden_size=16", "not divisible", "num_attention_heads=3");
    rejects("\"hidden_size\": 0", "hidden_size=0", "positive");
    rejects("\"num_hidden_layers\": -1", "num_hidden_layers=-1");
    rejects("\"vocab_size\": 2.5", "vocab_size=2.5", "integer");
    rejects("\"vocab_size\": \"11\"", "vocab_size=\"11\"", "integer");
    rejects("\"dropout\": 1.0", "dropout=1.0", "[0, 1)");
    rejects("\"dropout\": -0.1", "dropout=-0.1");
    rejects("\"hidden_act\": \"swish\"", "hidden_act=\"swish\"", "gelu_tanh");
    rejects("\"position\": \"absolute\"", "position=\"absolute\"", "learned");
    rejects("\"mlp\": \"gated\"", "mlp=\"gated\"", "plain");
    rejects("\"mlp\": \"swiglu\"", "mlp=swiglu requires hidden_act=silu");
    rejects("\"attention_bias\": \"yes\"", "attention_bias=\"yes\"", "true or false");
    rejects("\"norm_eps\": -1e-5", "norm_eps");
    rejects("\"intermediate_size\": 50, \"mlp_multiplier\": 4", "intermediate_size=50", "mlp_multiplier=4");
    rejects("\"masks\": [\"causal\"]", "masks", "num_hidden_layers=2");
    rejects("\"masks\": [\"causal\", \"window(3)\"]", "masks[1]", "is not a mask");
    rejects("\"tie_word_embeddings\": true, \"lm_head_bias\": true", "lm_head_bias");
    rejects("\"model_type\": \"lstm-lm\"", "model_type");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{\"vocab_size\": 11}")).hasMessageContaining("hidden_size");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + BASE.replace("\"sinusoidal\"", "\"learned\"") + "}"))
        .hasMessageContaining("max_position_embeddings");
    assertThatThrownBy(() -> TransformerConfig.fromJson("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{")).hasMessageContaining("JSON");
  }

  @Test
  void reservedKeysAreNotYetSupported() {
    rejects("\"num_key_value_heads\": 2", "num_key_value_heads=2 is not yet supported");
    rejects("\"rope_theta\": 10000.0", "rope_theta=10000.0 is not yet supported");
    rejects("\"rope_style\": \"half\"", "rope_style=\"half\" is not yet supported");
    rejects("\"attention\": \"relu\"", "attention=relu is not yet supported");
    rejects("\"score\": \"additive\"", "score=additive is not yet supported");
    rejects("\"masks\": [\"causal\", \"block_local(4)\"]", "masks[1]=block_local(4) is not yet supported");
    rejects("\"masks\": {\"first\": \"causal\", \"last\": \"dilated(128,2)\"}",
        "masks.last=dilated(128,2) is not yet supported");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + BASE.replace("\"sinusoidal\"", "\"rope\"") + "}"))
        .hasMessageContaining("position=rope is not yet supported");
    // rope is the default position: a bare config says so
    assertThatThrownBy(() -> TransformerConfig.fromJson("""
        {"vocab_size": 11, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4}"""))
        .hasMessageContaining("position=rope is not yet supported").hasMessageContaining("default");
    assertThatThrownBy(() -> TransformerConfig.preset("qwen2")).hasMessageContaining("not yet supported");
    assertThatThrownBy(() -> TransformerConfig.preset("bert")).hasMessageContaining("unknown preset 'bert'")
        .hasMessageContaining("gpt, chargpt, gpt2");
    // DyT exists: accepted
    assertThat(parse("\"norm\": \"dyt\"").norm()).isEqualTo("dyt");
    assertThat(parse("\"masks\": [\"causal\", \"causal\"], \"score\": \"scaled_dot\"").masks()).hasSize(2);
  }

  @Test
  void readsAndWritesFiles(@TempDir Path dir) throws Exception {
    TransformerConfig c = TransformerConfig.preset("chargpt");
    c.write(dir.resolve("config.json"));
    assertThat(TransformerConfig.read(dir)).isEqualTo(c);
    Files.writeString(dir.resolve("config.json"), c.toJsonString().replace("\"layernorm\"", "\"batch\""));
    assertThatThrownBy(() -> TransformerConfig.read(dir))
        .hasMessageContaining("config.json").hasMessageContaining("norm=\"batch\"");
  }
}
