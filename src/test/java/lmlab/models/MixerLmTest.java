package lmlab.models;

import static lmlab.testing.FixtureAssert.assertClose;
import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.mixers.MixerState;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gla and mamba2 language models against gla_lm/ and mamba2_lm/: logits, loss, every
 * gradient, hidden states and the final states, for several chunk lengths; token-by-token
 * decoding equals the forward pass.
 */
class MixerLmTest {
  static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  static Path dir(String name) {
    return Path.of("src", "test", "resources", "fixtures", name);
  }

  /** The fixture's config.json through the registry (the one reader), its weights loaded strictly. */
  static LanguageModel load(String name) throws IOException {
    JsonNode c = JSON.readTree(dir(name).resolve("config.json").toFile());
    LanguageModel m = Models.parseConfig(c).uninitialisedModel();
    SafetensorsFile w = Safetensors.read(dir(name).resolve("model.safetensors"));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String n : w.names()) state.put(n, w.tensor(n));
    m.loadStateDict(state);
    return m;
  }

  static MixerModels.Result forward(LanguageModel m, IntTensor tokens, List<MixerState> states, int chunk) {
    LanguageModel.Request r = new LanguageModel.Request(true, false);
    return m instanceof GlaLm g ? g.forward(tokens, states, chunk, r) : ((Mamba2Lm) m).forward(tokens, states, chunk, r);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gla_lm:0", "gla_lm:1", "gla_lm:4", "gla_lm:64", "mamba2_lm:0", "mamba2_lm:3", "mamba2_lm:4", "mamba2_lm:64"})
  void reproducesTheFixture(String arg) throws IOException {
    String name = arg.split(":")[0];
    int chunk = Integer.parseInt(arg.split(":")[1]);
    LanguageModel m = load(name);
    SafetensorsFile io = Safetensors.read(dir(name).resolve("io.safetensors"));
    assertThat(m.numParameters()).isEqualTo(Long.parseLong(io.metadata().get("num_parameters")));
    MixerModels.Result r = forward(m, io.ints("tokens"), null, chunk);
    assertMatchesFixture(io, "logits", r.output().logits());
    assertMatchesFixture(io, "hidden_states", r.output().hiddenStates());
    long elements = 0;
    for (MixerState s : r.states()) elements += s.elements() / io.ints("tokens").size(0);
    assertThat(elements).isEqualTo(Long.parseLong(io.metadata().get("state_elements")));
    if (m instanceof GlaLm) {
      assertMatchesFixture(io, "recurrent_state", Tensor.stack(r.states().stream().map(s -> s.tensors().get(0)).toList(), 0));
    } else {
      assertMatchesFixture(io, "conv_state", Tensor.stack(r.states().stream().map(s -> s.tensors().get(0)).toList(), 0));
      assertMatchesFixture(io, "ssm_state", Tensor.stack(r.states().stream().map(s -> s.tensors().get(1)).toList(), 0));
    }
    Tensor loss = r.output().logits().crossEntropy(io.ints("targets"));
    assertMatchesFixture(io, "loss", loss);
    loss.backward();
    int grads = 0;
    for (var e : m.namedParameters().entrySet()) {
      assertMatchesFixture(io, "grad." + e.getKey(), e.getValue().grad());
      grads++;
    }
    assertThat(io.names().stream().filter(n -> n.startsWith("grad.")).count()).isEqualTo(grads);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gla_lm", "mamba2_lm"})
  void tokenByTokenDecodingEqualsTheForwardPass(String name) throws IOException {
    LanguageModel m = load(name);
    SafetensorsFile io = Safetensors.read(dir(name).resolve("io.safetensors"));
    IntTensor tokens = io.ints("tokens");
    int rows = tokens.size(0), len = tokens.size(1), v = m.vocabSize();
    ModelState state = m.newState(rows);
    float[] logits = new float[rows * len * v];
    long bytes = state.bytes();
    for (int t = 0; t < len; t++) {
      int[] col = new int[rows];
      for (int b = 0; b < rows; b++) col[b] = tokens.storage()[b * len + t];
      float[] step = m.step(state, col, 1);
      for (int b = 0; b < rows; b++) System.arraycopy(step, b * v, logits, (b * len + t) * v, v);
      assertThat(state.bytes()).as("state bytes stay constant").isEqualTo(bytes);
    }
    assertClose(name + " decoded logits", Tensor.of(logits, rows, len, v), io.tensor("logits"));
    assertThat(bytes).isEqualTo(4L * rows * Long.parseLong(io.metadata().get("state_elements")));
  }

  /**
   * A checkpoint of each mixer model (config.json written by the model, Hugging Face's bare
   * Infinity in mamba2's time_step_limit) loads through the registry to the same logits.
   */
  @ParameterizedTest
  @ValueSource(strings = {"gla-mini", "regla-mini", "mamba2-mini"})
  void aCheckpointLoadsBackToTheSameLogits(String preset, @org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    LanguageModel m = Models.preset(preset, Map.of("num_hidden_layers", "2", "hidden_size", "64")).newModel(3);
    lmlab.nn.ModuleCheckpoint.save(dir, m.config(), m);
    if (preset.startsWith("mamba2")) {
      assertThat(java.nio.file.Files.readString(dir.resolve("config.json"))).contains("Infinity");
    }
    LanguageModel back = Models.load(dir);
    assertThat(back.getClass()).isEqualTo(m.getClass());
    IntTensor t = IntTensor.of(new int[] {1, 5, 7, 2, 9, 4}, 2, 3);
    assertClose(preset + " logits after loading", back.logits(t), m.logits(t));
  }
}
