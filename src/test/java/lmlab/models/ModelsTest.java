package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lmlab.io.CheckpointException;
import lmlab.nn.ParameterTable;
import lmlab.nn.attention.Normaliser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model factory: dispatch by model_type, presets with overrides, and counting without building. */
class ModelsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Path fixtureDir(String name) throws Exception {
    URL url = ModelsTest.class.getResource("/fixtures/" + name + "/config.json");
    return url != null ? Path.of(url.toURI()).getParent() : Path.of("src/test/resources/fixtures", name);
  }

  @Test
  void loadDispatchesOnModelType() throws Exception {
    assertThat(Models.load(fixtureDir("gpt"))).isInstanceOf(Transformer.class);
    assertThat(Models.load(fixtureDir("chargpt"))).isInstanceOf(Transformer.class);
    assertThat(Models.load(fixtureDir("lstm_lm"))).isInstanceOf(LstmLm.class);
    assertThat(Models.load(fixtureDir("rnn_lm"))).isInstanceOf(RnnLm.class);
  }

  @Test
  void transformerModelTypes(@TempDir Path tmp) throws Exception {
    ObjectNode gpt = (ObjectNode) JSON.readTree(fixtureDir("gpt").resolve("config.json").toFile());
    for (String type : new String[] {"gpt2", "llama", "qwen2", "mistral"}) {
      ObjectNode c = gpt.deepCopy();
      c.put("model_type", type);
      assertThat(ModelRegistry.forConfig(c)).isEqualTo(TransformerType.INSTANCE);
    }
    ObjectNode c = gpt.deepCopy();
    c.put("model_type", "gpt2");
    assertThat(Models.parseConfig(c).configAs(TransformerConfig.class).numParameters()).isEqualTo(6795);
    Path dir = Files.createDirectories(tmp.resolve("ck"));
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
    Files.copy(fixtureDir("gpt").resolve("model.safetensors"), dir.resolve("model.safetensors"));
    assertThat(Models.load(dir).numParameters()).isEqualTo(6795);
  }

  @Test
  void unknownModelTypeNamesItAndTheFile(@TempDir Path tmp) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("ck"));
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"mamba\", \"vocab_size\": 5}");
    assertThatThrownBy(() -> Models.readConfig(dir)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining("\"mamba\"")
        .hasMessageContaining("lstm-lm");
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": 3}");
    assertThatThrownBy(() -> Models.readConfig(dir)).hasMessageContaining("model_type=3 must be a string");
  }

  @Test
  void presetsAndOverrides() {
    assertThat(Models.presets()).containsExactly("gpt", "chargpt", "gpt2", "llama", "qwen2", "qwen2-variant", "lstm-lm",
        "rnn-lm", "gla", "gla-mini", "regla", "regla-mini", "mamba2", "mamba2-mini", "mamba2-lab");
    assertThat(Models.preset("gpt2").numParameters()).isEqualTo(124_439_808L);
    ModelSpec lstm = Models.preset("lstm-lm", Map.of("hidden_size", "16", "embedding_size", "8"));
    assertThat(lstm.type()).isEqualTo(RecurrentLmType.LSTM);
    assertThat(lstm.configAs(RecurrentLmConfig.class).hiddenSize()).isEqualTo(16);
    assertThat(lstm.vocabSize()).isEqualTo(Models.RECURRENT_PRESET_VOCAB);
    assertThat(lstm.newModel(1).numParameters()).isEqualTo(lstm.numParameters());
    ModelSpec rnn = Models.preset("RNN-LM", Map.of("activation", "relu", "num_hidden_layers", "3"));
    assertThat(rnn.type()).isEqualTo(RecurrentLmType.RNN);
    assertThat(rnn.newModel(1)).isInstanceOf(RnnLm.class);
    assertThatThrownBy(() -> Models.preset("bert", Map.of())).hasMessageContaining("unknown preset 'bert'")
        .hasMessageContaining("gpt, chargpt, gpt2, llama, qwen2, qwen2-variant, lstm-lm, rnn-lm, gla");
    assertThat(Models.preset("qwen2-variant").configAs(TransformerConfig.class).attention()).isEqualTo(Normaliser.RELU);
    assertThatThrownBy(() -> Models.preset("lstm-lm", Map.of("model_type", "rnn-lm")))
        .hasMessageContaining("model_type");
    assertThatThrownBy(() -> Models.preset("lstm-lm", Map.of("activation", "tanh")))
        .hasMessageContaining("activation");
    assertThatThrownBy(() -> Models.preset("gpt", Map.of("dropout", "1.5"))).hasMessageContaining("dropout");
  }

  /** The configuration's closed-form count equals the count of the model it builds. */
  @Test
  void closedFormCountMatchesTheBuiltModel() {
    String[][] cases = {
      {"gpt", "hidden_size=16", "num_attention_heads=2", "vocab_size=11"},
      {"chargpt", "hidden_size=24", "num_hidden_layers=3", "max_position_embeddings=20"},
      {"gpt2", "hidden_size=16", "num_attention_heads=4", "num_hidden_layers=2", "vocab_size=50",
          "max_position_embeddings=32"},
      {"gpt", "hidden_size=16", "norm=rmsnorm", "attention_bias=false", "o_proj_bias=false", "mlp_bias=true",
          "lm_head_bias=false", "tie_word_embeddings=true"},
      {"gpt", "hidden_size=16", "norm=dyt", "hidden_act=silu", "mlp=swiglu", "mlp_multiplier=null", "intermediate_size=40",
          "position=none", "head_dim=8", "num_attention_heads=2"},
      {"chargpt", "hidden_size=16", "num_attention_heads=4", "attention_bias=true", "o_proj_bias=false", "mlp_multiplier=2"},
      {"qwen2", "hidden_size=16", "num_attention_heads=4", "num_key_value_heads=2", "intermediate_size=24"},
      {"qwen2-variant", "hidden_size=16", "num_attention_heads=4", "num_key_value_heads=1", "score=additive"},
      {"llama", "hidden_size=16", "num_attention_heads=2", "num_key_value_heads=1", "score=multiplicative",
          "head_dim=6"},
      {"llama", "hidden_size=16", "num_attention_heads=4", "num_key_value_heads=4", "score=concat",
          "tie_word_embeddings=true"},
    };
    for (String[] c : cases) {
      TransformerConfig.Builder b = TransformerConfig.builder(c[0]);
      for (int i = 1; i < c.length; i++) {
        String[] kv = c[i].split("=", 2);
        b.set(kv[0], kv[1]);
      }
      TransformerConfig config = b.build();
      Models.ParameterCount counted = Models.parameterCount(new ModelSpec(TransformerType.INSTANCE, config));
      ParameterTable real = ParameterTable.of(new Transformer(config, 3L));
      assertThat(counted.rows()).as(String.join(" ", c)).isEqualTo(real.rows());
      assertThat(counted.total()).isEqualTo(real.total()).isEqualTo(config.numParameters());
      assertThat(counted.excludingEmbeddings()).isEqualTo(config.numParameters(false));
    }
  }

  @Test
  void gpt2IsCountedFromAnUninitialisedModel() throws IOException {
    Models.ParameterCount gpt2 = Models.parameterCount(Models.preset("gpt2"));
    assertThat(gpt2.total()).isEqualTo(124_439_808L);
    assertThat(gpt2.excludingEmbeddings()).isEqualTo(85_056_000L);
  }
}
