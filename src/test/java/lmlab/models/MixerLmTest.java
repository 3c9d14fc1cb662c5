package lmlab.models;

import static lmlab.testing.FixtureAssert.assertClose;
import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.Mamba2Mixer;
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

  static LanguageModel load(String name) throws IOException {
    JsonNode c = JSON.readTree(dir(name).resolve("config.json").toFile());
    LanguageModel m;
    if (name.startsWith("gla")) {
      var layer = new LinearAttentionMixer.Config(c.get("hidden_size").asInt(), c.get("num_heads").asInt(),
          c.get("expand_k").asDouble(), c.get("expand_v").asDouble(), c.get("norm_eps").asDouble());
      int ff = c.get("intermediate_size").isNull()
          ? GlaLm.Spec.derivedIntermediateSize(c.get("hidden_size").asInt(), c.get("hidden_ratio").asDouble())
          : c.get("intermediate_size").asInt();
      m = new GlaLm(new GlaLm.Spec(false, c.get("vocab_size").asInt(), c.get("num_hidden_layers").asInt(), layer, ff,
          c.get("tie_word_embeddings").asBoolean()), null);
    } else {
      var layer = new Mamba2Mixer.Config(c.get("hidden_size").asInt(), c.get("state_size").asInt(), c.get("expand").asInt(),
          c.get("head_dim").asInt(), c.get("num_heads").asInt(), c.get("n_groups").asInt(), c.get("conv_kernel").asInt(),
          c.get("use_bias").asBoolean(), c.get("use_conv_bias").asBoolean(), c.get("layer_norm_epsilon").asDouble(),
          c.get("time_step_limit").get(0).asDouble(), c.get("time_step_limit").get(1).asDouble());
      m = new Mamba2Lm(new Mamba2Lm.Spec(c.get("vocab_size").asInt(), c.get("num_hidden_layers").asInt(), layer,
          c.get("tie_word_embeddings").asBoolean()), null);
    }
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
    List<MixerState> states = null;
    List<Tensor> logits = new ArrayList<>();
    long bytes = -1;
    for (int t = 0; t < tokens.size(1); t++) {
      int[] col = new int[tokens.size(0)];
      for (int b = 0; b < col.length; b++) col[b] = tokens.storage()[b * tokens.size(1) + t];
      IntTensor one = IntTensor.of(col, col.length, 1);
      MixerModels.Result r = m instanceof GlaLm g ? g.step(states, one) : ((Mamba2Lm) m).step(states, one);
      states = r.states();
      logits.add(r.output().logits());
      long b = states.stream().mapToLong(MixerState::bytes).sum();
      if (bytes >= 0) assertThat(b).as("state bytes stay constant").isEqualTo(bytes);
      bytes = b;
    }
    assertClose(name + " decoded logits", Tensor.cat(logits, 1), io.tensor("logits"));
  }
}
