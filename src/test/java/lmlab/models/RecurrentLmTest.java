package lmlab.models;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.Activation;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** lstm-lm and rnn-lm: fixtures (single file and checkpoint directory), configs, parameter counts, decoding. */
class RecurrentLmTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Path fixtureDir(String name) {
    URL url = RecurrentLmTest.class.getResource("/fixtures/" + name + "/config.json");
    try {
      if (url != null && url.getProtocol().equals("file")) return Path.of(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
    return Path.of("src", "test", "resources", "fixtures", name);
  }

  private static void load(LanguageModel m, SafetensorsFile f) {
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : m.stateDict().keySet()) state.put(name, f.tensor(name));
    m.loadStateDict(state);
  }

  /** logits, h_n (and c_n), the mean next-token cross-entropy and every parameter's gradient. */
  private static void checkAgainst(LanguageModel m, SafetensorsFile io) {
    m.eval();
    m.zeroGrad();
    IntTensor tokens = io.ints("tokens");
    LanguageModel.Output out = m.forward(tokens, LanguageModel.Request.LOGITS);
    assertMatchesFixture(io, "logits", out.logits());
    assertMatchesFixture(io, "h_n", out.extras().get("h_n"));
    if (io.has("c_n")) assertMatchesFixture(io, "c_n", out.extras().get("c_n"));
    assertNull(out.hiddenStates());
    assertNull(out.attentions());
    Tensor loss = out.logits().crossEntropy(io.ints("targets"));
    assertMatchesFixture(io, "loss", loss);
    loss.backward();
    int grads = 0;
    for (var e : m.namedParameters().entrySet()) {
      assertNotNull(e.getValue().grad(), "grad of " + e.getKey());
      assertMatchesFixture(io, "grad." + e.getKey(), e.getValue().grad());
      grads++;
    }
    long stored = io.names().stream().filter(n -> n.startsWith("grad.")).count();
    assertEquals(stored, grads, "every stored gradient is checked");
  }

  @ParameterizedTest
  @ValueSource(strings = {"lstm_lm", "rnn_lm"})
  void singleFileFixture(String name) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    RecurrentLmConfig config = RecurrentLmConfig.parse(json(f.metadata().get("config")));
    LanguageModel m = config.newModel(new Rng(1));
    assertTrue(name.equals("lstm_lm") ? m instanceof LstmLm : m instanceof RnnLm);
    assertEquals(Long.parseLong(f.metadata().get("num_parameters")), m.numParameters());
    assertEquals(config.expectedParameters(), m.numParameters());
    load(m, f);
    checkAgainst(m, f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"lstm_lm", "rnn_lm"})
  void checkpointDirectoryFixture(String name) throws IOException {
    Path dir = fixtureDir(name);
    JsonNode configJson = JSON.readTree(Files.readString(dir.resolve("config.json")));
    LanguageModel m = name.equals("lstm_lm") ? LstmLm.fromConfig(configJson, new Rng(2)) : RnnLm.fromConfig(configJson, new Rng(2));
    // config() writes back exactly the keys (and values) read
    assertEquals(configJson, m.config());
    SafetensorsFile weights = Safetensors.read(dir.resolve("model.safetensors"));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String n : weights.names()) state.put(n, weights.tensor(n));
    m.loadStateDict(state);
    checkAgainst(m, Safetensors.read(dir.resolve("io.safetensors")));
  }

  /** Through the checkpoint directory API: save, load into a fresh model, and a bad tensor named. */
  @ParameterizedTest
  @ValueSource(strings = {"lstm-lm", "rnn-lm"})
  void checkpointRoundTripAndBadTensor(String type, @org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    LanguageModel m = new RecurrentLmConfig(type, 9, 4, 5, 2, true, 0.0, null).newModel(new Rng(8));
    Path dir = tmp.resolve("ckpt");
    lmlab.nn.ModuleCheckpoint.save(dir, m.config(), m);
    LanguageModel back = RecurrentLmConfig.parse(lmlab.io.Checkpoint.readConfig(dir)).newModel(new Rng(99));
    lmlab.nn.ModuleCheckpoint.loadInto(dir, back);
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 8, 0, 4}, 2, 3);
    FixtureAssert.assertClose("reloaded logits", back.logits(tokens), m.logits(tokens), 0, 0);

    String wrong = type.equals("lstm-lm") ? "lstm.layers.1.forget_gate.weight" : "rnn.layers.1.W_hh";
    Map<String, Tensor> state = new LinkedHashMap<>(m.stateDict());
    state.put(wrong, Tensor.zeros(5, 3));
    Path bad = tmp.resolve("bad");
    lmlab.io.Checkpoint.save(bad, m.config(), state);
    Exception e = assertThrows(Exception.class, () -> lmlab.nn.ModuleCheckpoint.loadInto(bad, back));
    assertTrue(e.getMessage().contains(wrong), e.getMessage());
  }

  @Test
  void parameterNames() {
    LstmLm lstm = new LstmLm(new RecurrentLmConfig("lstm-lm", 11, 6, 8, 2, true, 0.0, null), new Rng(1));
    List<String> names = List.copyOf(lstm.stateDict().keySet());
    assertEquals("embedding.weight", names.get(0));
    assertTrue(names.contains("lstm.layers.1.cell_gate.weight"));
    assertEquals(List.of("classifier.weight", "classifier.bias"), names.subList(names.size() - 2, names.size()));
    RnnLm rnn = new RnnLm(new RecurrentLmConfig("rnn-lm", 11, 6, 8, 2, false, 0.0, Activation.TANH), new Rng(1));
    assertEquals(List.of("embedding.weight", "rnn.layers.0.W_hx", "rnn.layers.0.W_hh", "rnn.layers.1.W_hx",
        "rnn.layers.1.W_hh", "classifier.weight", "classifier.bias"), List.copyOf(rnn.stateDict().keySet()));
  }

  /** models.md's closed form, at several sizes, with and without bias. */
  @Test
  void parameterCountsMatchTheClosedForm() {
    int[][] sizes = {{11, 6, 8, 2}, {13, 5, 7, 1}, {50, 16, 32, 3}, {7, 3, 3, 4}, {100, 128, 128, 2}};
    for (int[] s : sizes) {
      long v = s[0];
      long e = s[1];
      long h = s[2];
      long l = s[3];
      long lstmBias = v * e + 4 * (e + h) * h + 4 * h + (l - 1) * (8 * h * h + 4 * h) + v * h + v;
      long lstmNoBias = lstmBias - 4 * h * l;
      long rnnBias = v * e + (e + h) * h + h + (l - 1) * (2 * h * h + h) + v * h + v;
      long rnnNoBias = rnnBias - h * l;
      Rng rng = new Rng(3);
      assertEquals(lstmBias, new RecurrentLmConfig("lstm-lm", s[0], s[1], s[2], s[3], true, 0, null).newModel(rng).numParameters());
      assertEquals(lstmNoBias, new RecurrentLmConfig("lstm-lm", s[0], s[1], s[2], s[3], false, 0, null).newModel(rng).numParameters());
      assertEquals(rnnBias, new RecurrentLmConfig("rnn-lm", s[0], s[1], s[2], s[3], true, 0, null).newModel(rng).numParameters());
      assertEquals(rnnNoBias, new RecurrentLmConfig("rnn-lm", s[0], s[1], s[2], s[3], false, 0, null).newModel(rng).numParameters());
      assertEquals(lstmBias, new RecurrentLmConfig("lstm-lm", s[0], s[1], s[2], s[3], true, 0, null).expectedParameters());
      assertEquals(rnnNoBias, new RecurrentLmConfig("rnn-lm", s[0], s[1], s[2], s[3], false, 0, null).expectedParameters());
    }
  }

  @Test
  void defaults() {
    RecurrentLmConfig c = RecurrentLmConfig.parse(json("{\"model_type\": \"lstm-lm\", \"vocab_size\": 50}"));
    assertEquals(new RecurrentLmConfig("lstm-lm", 50, 128, 128, 2, true, 0.0, null), c);
    assertEquals(RecurrentLmConfig.lstmLm(50), c);
    RecurrentLmConfig r = RecurrentLmConfig.parse(json("{\"model_type\": \"rnn-lm\", \"vocab_size\": 50}"));
    assertEquals(Activation.TANH, r.activation());
    assertEquals(RecurrentLmConfig.rnnLm(50), r);
    ObjectNode written = new LstmLm(c, new Rng(1)).config();
    assertEquals(List.of("model_type", "vocab_size", "embedding_size", "hidden_size", "num_hidden_layers", "bias",
        "dropout"), iterToList(written.fieldNames()));
    assertEquals(c, RecurrentLmConfig.parse(written));
    RecurrentLmConfig slide = RecurrentLmConfig.parse(
        json("{\"model_type\": \"rnn-lm\", \"vocab_size\": 5, \"activation\": \"slide\", \"dropout\": 0.25}"));
    assertEquals(slide, RecurrentLmConfig.parse(new RnnLm(slide, new Rng(1)).config()));
    assertEquals("slide", new RnnLm(slide, new Rng(1)).config().get("activation").asText());
  }

  private static List<String> iterToList(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"num_layers\": 2}|num_layers",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"activation\": \"tanh\"}|activation",
    "{\"model_type\": \"gru-lm\", \"vocab_size\": 11}|model_type",
    "{\"vocab_size\": 11}|model_type",
    "{\"model_type\": \"lstm-lm\"}|vocab_size",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 0}|vocab_size",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"hidden_size\": -3}|hidden_size",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"embedding_size\": 2.5}|embedding_size",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"num_hidden_layers\": 0}|num_hidden_layers",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"dropout\": 1.0}|dropout",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"dropout\": \"high\"}|dropout",
    "{\"model_type\": \"lstm-lm\", \"vocab_size\": 11, \"bias\": \"yes\"}|bias",
    "{\"model_type\": \"rnn-lm\", \"vocab_size\": 11, \"activation\": \"swish\"}|activation",
    "{\"model_type\": \"rnn-lm\", \"vocab_size\": \"11\"}|vocab_size",
  })
  void badConfigsNameTheField(String caseLine) {
    String[] parts = caseLine.split("\\|");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RecurrentLmConfig.parse(json(parts[0])));
    assertTrue(e.getMessage().contains(parts[1]), e.getMessage());
  }

  @Test
  void fromConfigChecksTheModelType() {
    JsonNode rnn = json("{\"model_type\": \"rnn-lm\", \"vocab_size\": 11}");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LstmLm.fromConfig(rnn, new Rng(1)));
    assertTrue(e.getMessage().contains("model_type"), e.getMessage());
  }

  @Test
  void tokensOutsideTheVocabularyAreAClearError() {
    for (RecurrentLmConfig c : List.of(
        new RecurrentLmConfig("lstm-lm", 11, 4, 4, 1, true, 0, null),
        new RecurrentLmConfig("rnn-lm", 11, 4, 4, 1, true, 0, null))) {
      LanguageModel m = c.newModel(new Rng(1));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> m.logits(IntTensor.of(new int[] {1, 2, 11}, 1, 3)));
      assertTrue(e.getMessage().contains("11") && e.getMessage().contains("vocab"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> m.logits(IntTensor.of(new int[] {-1}, 1, 1)));
    }
  }

  /** Fed one token at a time with the state carried over, the models reproduce the full forward's logits. */
  @Test
  void incrementalDecodingMatchesTheFullForward() {
    SafetensorsFile f = FixtureAssert.fixture("lstm_lm");
    IntTensor tokens = f.ints("tokens");
    int batch = tokens.size(0);
    int steps = tokens.size(1);
    LstmLm lstm = (LstmLm) RecurrentLmConfig.parse(json(f.metadata().get("config"))).newModel(new Rng(1));
    load(lstm, f);
    Tensor h = null;
    Tensor c = null;
    for (int t = 0; t < steps; t++) {
      LanguageModel.Output o = lstm.forward(column(tokens, t), h, c, LanguageModel.Request.LOGITS);
      h = o.extras().get("h_n");
      c = o.extras().get("c_n");
      FixtureAssert.assertClose("lstm step " + t, o.logits().select(1, 0), f.tensor("logits").select(1, t));
    }
    assertMatchesFixture(f, "h_n", h);
    assertMatchesFixture(f, "c_n", c);

    SafetensorsFile g = FixtureAssert.fixture("rnn_lm");
    RnnLm rnn = (RnnLm) RecurrentLmConfig.parse(json(g.metadata().get("config"))).newModel(new Rng(1));
    load(rnn, g);
    IntTensor rt = g.ints("tokens");
    Tensor hr = null;
    for (int t = 0; t < rt.size(1); t++) {
      LanguageModel.Output o = rnn.forward(column(rt, t), hr, LanguageModel.Request.LOGITS);
      hr = o.extras().get("h_n");
      FixtureAssert.assertClose("rnn step " + t, o.logits().select(1, 0), g.tensor("logits").select(1, t));
    }
    assertMatchesFixture(g, "h_n", hr);
    assertEquals(2, batch);
  }

  private static IntTensor column(IntTensor tokens, int t) {
    int batch = tokens.size(0);
    int[] ids = new int[batch];
    for (int b = 0; b < batch; b++) ids[b] = tokens.get(b, t);
    return IntTensor.of(ids, batch, 1);
  }

  @Test
  void hiddenStatesOnRequest() {
    SafetensorsFile f = FixtureAssert.fixture("lstm_lm");
    LanguageModel m = RecurrentLmConfig.parse(json(f.metadata().get("config"))).newModel(new Rng(1));
    load(m, f);
    LanguageModel.Output o = m.forward(f.ints("tokens"), new LanguageModel.Request(true, false));
    Tensor hs = o.hiddenStates();
    assertEquals(List.of(2, 2, 7, 8), List.of(hs.size(0), hs.size(1), hs.size(2), hs.size(3)));
    // the last layer's states feed the classifier; its last step is h_n[L-1]
    FixtureAssert.assertClose("h_n[1]", hs.select(1, 1).select(1, 6), o.extras().get("h_n").select(0, 1));
    assertThrows(IllegalArgumentException.class, () -> m.forward(f.ints("tokens"), new LanguageModel.Request(false, true)));
  }

  @Test
  void dropoutIsTrainingOnly() {
    RecurrentLmConfig c = new RecurrentLmConfig("lstm-lm", 11, 6, 8, 3, true, 0.5, null);
    LanguageModel a = c.newModel(new Rng(5));
    LanguageModel b = new RecurrentLmConfig("lstm-lm", 11, 6, 8, 3, true, 0.0, null).newModel(new Rng(5));
    IntTensor tokens = IntTensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
    a.train(true);
    Tensor trained = a.logits(tokens);
    a.eval();
    FixtureAssert.assertClose("eval", a.logits(tokens), b.logits(tokens));
    assertTrue(Math.abs(trained.get(0, 2, 0) - b.logits(tokens).get(0, 2, 0)) > 0);
  }
}
