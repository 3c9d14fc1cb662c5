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
  @ValueSource(strings = {"gpt", "chargpt", "qwen2", "qwen2_variant"})
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
    TransformerConfig qwen2 = TransformerConfig.fromJson(FixtureAssert.fixture("qwen2").metadata().get("config"));
    Map<String, String> shrink = Map.of("vocab_size", "17", "hidden_size", "16", "num_hidden_layers", "2",
        "num_attention_heads", "4", "num_key_value_heads", "2", "intermediate_size", "24",
        "max_position_embeddings", "64");
    assertThat(TransformerConfig.preset("qwen2", shrink)).isEqualTo(qwen2);
    TransformerConfig variant =
        TransformerConfig.fromJson(FixtureAssert.fixture("qwen2_variant").metadata().get("config"));
    TransformerConfig.Builder b = TransformerConfig.builder("qwen2-variant");
    shrink.forEach(b::set);
    b.set("num_hidden_layers", "4").set("max_position_embeddings", "20")
        .set("masks", "{\"first\": \"causal\", \"middle\": \"block_local(4)\", \"last\": \"dilated(8, 2)\"}");
    assertThat(b.build()).isEqualTo(variant);
  }

  @Test
  void aHuggingFaceQwen2ConfigIsReadAsIs() throws Exception {
    TransformerConfig hf = TransformerConfig.read(TransformerTest.resourceDir("qwen2_hf"));
    TransformerConfig ours = TransformerConfig.read(TransformerTest.resourceDir("qwen2"));
    assertThat(hf.modelType()).isEqualTo("qwen2");
    var a = hf.toJson();
    a.remove("model_type");
    var b = ours.toJson();
    b.remove("preset");
    assertThat(a).isEqualTo(b); // q/k/v bias, no o_proj bias, RoPE 1e6, RMSNorm 1e-6, SwiGLU, GQA 4/2, tied
    // use_sliding_window=false: the sliding_window of the file does not act
    assertThat(hf.masks()).containsExactly("causal", "causal");
  }

  @Test
  void huggingFaceSlidingWindowsBecomeSlidingMasks() {
    String base = "\"vocab_size\": 11, \"hidden_size\": 16, \"num_hidden_layers\": 3, \"num_attention_heads\": 4, "
        + "\"intermediate_size\": 24, ";
    // qwen2: a window of W = 4 keys (t - 4 < j <= t) from layer max_window_layers on; sliding(7) sees 3 + 1 keys
    TransformerConfig q = TransformerConfig.fromJson("{" + base + "\"model_type\": \"qwen2\", "
        + "\"use_sliding_window\": true, \"sliding_window\": 4, \"max_window_layers\": 1}");
    assertThat(q.masks()).containsExactly("causal", "sliding(7)", "sliding(7)");
    // Hugging Face's default max_window_layers (28) leaves a small model without windows
    assertThat(TransformerConfig.fromJson("{" + base + "\"model_type\": \"qwen2\", \"use_sliding_window\": true, "
        + "\"sliding_window\": 4}").masks()).containsOnly("causal");
    // mistral: sliding_window on every layer; null means none
    assertThat(TransformerConfig.fromJson("{" + base + "\"model_type\": \"mistral\", \"sliding_window\": 4096}")
        .masks()).containsOnly("sliding(8191)");
    assertThat(TransformerConfig.fromJson("{" + base + "\"model_type\": \"mistral\", \"sliding_window\": null}")
        .masks()).containsOnly("causal");
    // layer_types names each layer
    assertThat(TransformerConfig.fromJson("{" + base + "\"sliding_window\": 2, \"layer_types\": [\"sliding_attention\","
        + " \"full_attention\", \"sliding_attention\"]}").masks()).containsExactly("sliding(3)", "causal", "sliding(3)");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + base + "\"layer_types\": [\"sliding_attention\", "
        + "\"full_attention\", \"full_attention\"]}")).hasMessageContaining("layer_types")
        .hasMessageContaining("sliding_window is not set");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + base + "\"model_type\": \"mistral\", \"sliding_window\": 8, "
        + "\"masks\": \"causal\"}")).hasMessageContaining("'masks' and the Hugging Face sliding-window keys");
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + base + "\"rope_scaling\": {\"rope_type\": \"llama3\"}}"))
        .hasMessageContaining("rope_scaling").hasMessageContaining("not supported");
    assertThat(TransformerConfig.fromJson("{" + base + "\"rope_scaling\": null}").position()).isEqualTo(TransformerConfig.Position.ROPE);
    assertThatThrownBy(() -> TransformerConfig.fromJson("{" + base + "\"model_type\": \"llama\", \"hidden_act\": \"gelu\"}"))
        .hasMessageContaining("hidden_act=\"gelu\"").hasMessageContaining("gated MLP");
  }

  @Test
  void maskSchedules() {
    String four = "\"num_hidden_layers\": 4, \"position\": \"none\", \"intermediate_size\": 24, "
        + "\"vocab_size\": 11, \"hidden_size\": 16, \"num_attention_heads\": 4";
    assertThat(TransformerConfig.fromJson("{" + four + ", \"masks\": {\"first\": \"causal\", \"middle\": "
        + "\"block_local( 4 )\", \"last\": \"dilated(128, 2)\"}}").masks())
        .containsExactly("causal", "block_local(4)", "block_local(4)", "dilated(128,2)");
    // a layer index overrides first/middle/last; absent entries stay causal
    assertThat(TransformerConfig.fromJson("{" + four + ", \"masks\": {\"middle\": \"sliding(4)\", \"2\": \"causal\"}}")
        .masks()).containsExactly("causal", "sliding(4)", "causal", "causal");
    assertThat(TransformerConfig.fromJson("{" + four + ", \"masks\": \"sliding(16)\"}").masks())
        .containsOnly("sliding(16)");
    TransformerConfig c = TransformerConfig.fromJson("{" + four + ", \"masks\": {\"last\": \"dilated(8,4)\"}}");
    assertThat(TransformerConfig.fromJson(c.toJson())).isEqualTo(c);
    assertThat(c.toJson().get("masks").toString()).isEqualTo("[\"causal\",\"causal\",\"causal\",\"dilated(8,4)\"]");
  }

  @Test
  void modernPresetsHaveTheDocumentedSettings() {
    TransformerConfig llama = TransformerConfig.preset("llama");
    assertThat(llama.position()).isEqualTo(TransformerConfig.Position.ROPE);
    assertThat(llama.ropeStyle()).isEqualTo(lmlab.nn.attention.Rope.Style.HALF);
    assertThat(llama.ropeTheta()).isEqualTo(10000.0);
    assertThat(llama.norm()).isEqualTo(TransformerConfig.NormKind.RMSNORM);
    assertThat(llama.mlp()).isEqualTo(TransformerConfig.Mlp.SWIGLU);
    assertThat(llama.attentionBias() || llama.oProjBias() || llama.mlpBias() || llama.lmHeadBias()).isFalse();
    assertThat(llama.masks()).containsOnly("causal");

    TransformerConfig qwen2 = TransformerConfig.preset("qwen2");
    assertThat(qwen2.attentionBias()).isTrue();
    assertThat(qwen2.oProjBias()).isFalse();
    assertThat(qwen2.ropeTheta()).isEqualTo(1e6);
    assertThat(qwen2.numAttentionHeads() % qwen2.numKeyValueHeads()).isZero();
    assertThat(qwen2.numKeyValueHeads()).isLessThan(qwen2.numAttentionHeads());

    TransformerConfig v = TransformerConfig.preset("qwen2-variant");
    assertThat(v.position()).isEqualTo(TransformerConfig.Position.LEARNED);
    assertThat(v.norm()).isEqualTo(TransformerConfig.NormKind.DYT);
    assertThat(v.attention()).isEqualTo(lmlab.nn.attention.Normaliser.RELU);
    assertThat(v.masks()).containsExactly("causal", "block_local(4)", "block_local(4)", "block_local(4)",
        "block_local(4)", "dilated(128,2)");
    assertThat(v.attentionBias() && !v.oProjBias() && v.tieWordEmbeddings()).isTrue();
    // each course switch also works alone on qwen2
    for (String[] sw : new String[][] {{"position", "learned"}, {"norm", "dyt"}, {"attention", "relu"},
        {"masks", "{\"first\": \"causal\", \"middle\": \"block_local(4)\", \"last\": \"dilated(128,2)\"}"}}) {
      TransformerConfig one = TransformerConfig.builder("qwen2").set(sw[0], sw[1]).build();
      var diff = new java.util.TreeSet<String>();
      one.toJson().fieldNames().forEachRemaining(k -> {
        if (!one.toJson().get(k).equals(qwen2.toJson().get(k))) diff.add(k);
      });
      qwen2.toJson().fieldNames().forEachRemaining(k -> {
        if (!one.toJson().has(k)) diff.add(k);
      });
      // learned positions drop the RoPE keys; DyT writes its alpha0 in place of norm_eps
      assertThat(diff).as(sw[0]).isSubsetOf(sw[0], "rope_style", "rope_theta", "dyt_alpha0", "norm_eps");
      assertThat(diff).contains(sw[0]);
    }
  }

  @Test
  void presetsHaveTheDocumentedSettings() {
    TransformerConfig gpt = TransformerConfig.preset("gpt");
    assertThat(gpt.position()).isEqualTo(TransformerConfig.Position.SINUSOIDAL);
    assertThat(gpt.norm()).isEqualTo(TransformerConfig.NormKind.LAYERNORM);
    assertThat(gpt.attentionBias() && gpt.oProjBias() && gpt.lmHeadBias()).isTrue();
    assertThat(gpt.mlpBias() || gpt.tieWordEmbeddings()).isFalse();
    assertThat(gpt.hiddenAct()).isEqualTo("gelu");
    assertThat(gpt.mlp()).isEqualTo(TransformerConfig.Mlp.PLAIN);
    assertThat(gpt.intermediateSize()).isEqualTo(4 * 128);
    assertThat(new int[] {gpt.numHiddenLayers(), gpt.hiddenSize(), gpt.numAttentionHeads()}).containsExactly(2, 128, 4);

    TransformerConfig chargpt = TransformerConfig.preset("chargpt");
    assertThat(chargpt.position()).isEqualTo(TransformerConfig.Position.LEARNED);
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
    assertThat(c.norm()).isEqualTo(TransformerConfig.NormKind.RMSNORM);
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
    assertThat(c.norm()).isEqualTo(TransformerConfig.NormKind.RMSNORM);
    assertThat(c.normEps()).isEqualTo(1e-6);
    assertThat(c.hiddenAct()).isEqualTo("silu");
    assertThat(c.mlp()).isEqualTo(TransformerConfig.Mlp.SWIGLU);
    assertThat(c.attention()).isEqualTo(lmlab.nn.attention.Normaliser.SOFTMAX);
    assertThat(c.numKeyValueHeads()).isEqualTo(4);
    assertThat(c.headDim()).isEqualTo(4);
    assertThat(c.attentionBias() || c.oProjBias() || c.mlpBias() || c.lmHeadBias() || c.tieWordEmbeddings()).isFalse();
    assertThat(c.dropout()).isZero();
    assertThat(c.masks()).containsExactly("causal", "causal");
    assertThat(parse("").intermediateSize()).isEqualTo(64); // plain MLP: m = 4
    assertThat(parse("").normEps()).isEqualTo(1e-5);
    // Hugging Face names and model-type defaults
    TransformerConfig q = parse("\"model_type\": \"qwen2\", \"mlp\": \"plain\", \"rms_norm_eps\": 1e-5, \"torch_dtype\": \"float32\", "
        + "\"architectures\": [\"Qwen2ForCausalLM\"], \"bos_token_id\": 0, \"use_cache\": true");
    assertThat(q.attentionBias()).isTrue();
    assertThat(q.oProjBias()).isFalse();
    assertThat(q.normEps()).isEqualTo(1e-5);
    TransformerConfig llama = parse("\"model_type\": \"llama\", \"mlp\": \"plain\", \"attention_bias\": true");
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
  void badAttentionConfigsAreNamed() {
    rejects("\"num_key_value_heads\": 3", "num_attention_heads=4 is not divisible by num_key_value_heads=3");
    rejects("\"position\": \"rope\", \"head_dim\": 3", "head_dim=3 is odd", "position=rope");
    assertThatThrownBy(() -> TransformerConfig.fromJson("""
        {"vocab_size": 11, "hidden_size": 12, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 8}""")).hasMessageContaining("head_dim=3 is odd").hasMessageContaining("default");
    rejects("\"masks\": [\"causal\", \"sliding(0)\"]", "masks[1]=\"sliding(0)\"", "window w must be >= 1");
    rejects("\"masks\": [\"causal\", \"dilated(0,1)\"]", "masks[1]", "window must be >= 1");
    rejects("\"masks\": [\"causal\", \"dilated(8,3)\"]", "masks[1]", "dilation 3 does not divide the window 8");
    rejects("\"masks\": [\"causal\", \"dilated(8,0)\"]", "masks[1]", "dilation must be >= 1");
    rejects("\"masks\": [\"block_local(0)\", \"causal\"]", "masks[0]", "number of blocks must be >= 1");
    rejects("\"masks\": {\"first\": \"causal\", \"5\": \"sliding(4)\"}", "masks.5 names layer 5",
        "num_hidden_layers=2", "layers 0..1");
    rejects("\"masks\": {\"firts\": \"causal\"}", "masks", "'firts'");
    rejects("\"masks\": [\"causal\", \"sliding\"]", "masks[1]", "sliding takes 1 argument");
    rejects("\"masks\": [\"causal\", \"custom\"]", "masks[1]", "custom mask", "in code");
    rejects("\"score\": \"cosine\"", "score=\"cosine\"", "additive");
    rejects("\"attention\": \"sigmoid\"", "attention=\"sigmoid\"", "relu");
    rejects("\"rope_style\": \"neox\"", "rope_style=\"neox\"", "interleaved");
    rejects("\"rope_theta\": 0", "rope_theta=0", "> 1");
    assertThatThrownBy(() -> TransformerConfig.preset("bert")).hasMessageContaining("unknown preset 'bert'")
        .hasMessageContaining("gpt, chargpt, gpt2, llama, qwen2, qwen2-variant");
    // accepted now
    TransformerConfig ok = parse("\"num_key_value_heads\": 2, \"attention\": \"relu\", \"score\": \"additive\", "
        + "\"masks\": [\"sliding(4)\", \"dilated(8,2)\"]");
    assertThat(ok.numKeyValueHeads()).isEqualTo(2);
    assertThat(ok.score()).isEqualTo(lmlab.nn.attention.ScoreFunction.ADDITIVE);
    assertThat(ok.masks()).containsExactly("sliding(4)", "dilated(8,2)");
    assertThat(TransformerConfig.fromJson(ok.toJson())).isEqualTo(ok);
    assertThat(TransformerConfig.fromJson("""
        {"vocab_size": 11, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 4,
         "intermediate_size": 24}""").position()).isEqualTo(TransformerConfig.Position.ROPE);
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
