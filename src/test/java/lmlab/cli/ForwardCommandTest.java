package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.function.Consumer;
import lmlab.cli.MainTest.Run;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code lmlab forward} driven through the command line against the fixture model directories. */
class ForwardCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** The fixture directory src/test/resources/fixtures/name (classpath copy when there is one). */
  static Path fixtureDir(String name) {
    URL url = ForwardCommandTest.class.getResource("/fixtures/" + name + "/config.json");
    try {
      if (url != null && url.getProtocol().equals("file")) return Path.of(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return Path.of("src", "test", "resources", "fixtures", name);
  }

  private static boolean transformer(String name) {
    return !name.endsWith("_lm");
  }

  private static boolean mixer(String name) {
    return name.equals("gla_lm") || name.equals("mamba2_lm");
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt", "chargpt", "qwen2", "qwen2_variant", "qwen2_hf", "lstm_lm", "rnn_lm", "gla_lm", "mamba2_lm"})
  void reproducesTheFixtureOutputsLossAndEveryGradient(String name) throws IOException {
    Path dir = fixtureDir(name);
    Path out = tmp.resolve(name + ".safetensors");
    List<String> args = new ArrayList<>(List.of("forward", "--model", dir.toString(), "--input",
        dir.resolve("io.safetensors").toString(), "--out", out.toString(), "--hidden-states", "--grads"));
    if (transformer(name)) args.add("--attentions");
    Run r = MainTest.run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().count()).isEqualTo(1);
    assertThat(r.err()).startsWith("lmlab forward: ").contains(out.toString());

    try (SafetensorsFile expected = Safetensors.read(dir.resolve("io.safetensors"));
        SafetensorsFile actual = Safetensors.read(out)) {
      List<String> compared = new ArrayList<>();
      for (String t : expected.names()) {
        assertThat(actual.has(t)).as("%s: the output lacks tensor '%s'", name, t).isTrue();
        if (t.equals("tokens") || t.equals("targets")) {
          FixtureAssert.assertMatchesFixture(expected, t, actual.ints(t));
        } else {
          FixtureAssert.assertMatchesFixture(expected, t, actual.tensor(t));
        }
        compared.add(t);
      }
      // every fixture output of a model is checked, and no gradient is missing or extra
      assertThat(compared).contains("logits", "loss", "tokens", "targets");
      if (transformer(name)) {
        assertThat(compared).contains("hidden_states", "attentions");
      } else if (mixer(name)) { // the final states of every layer
        assertThat(compared).contains(name.equals("gla_lm") ? "recurrent_state" : "ssm_state");
        if (name.equals("mamba2_lm")) assertThat(compared).contains("conv_state");
        assertThat(actual.has("hidden_states")).isTrue();
        assertThat(actual.has("attentions")).isFalse();
      } else {
        assertThat(compared).contains("h_n");
        if (name.equals("lstm_lm")) assertThat(compared).contains("c_n");
        assertThat(actual.has("hidden_states")).isTrue();
        assertThat(actual.has("attentions")).isFalse();
      }
      List<String> grads = actual.names().stream().filter(n -> n.startsWith("grad.")).sorted().toList();
      List<String> expectedGrads = expected.names().stream().filter(n -> n.startsWith("grad.")).sorted().toList();
      assertThat(grads).isNotEmpty().isEqualTo(expectedGrads);
      assertThat(actual.metadata().get("num_parameters")).isEqualTo(expected.metadata().get("num_parameters"));
    }
  }

  @Test
  void oneSequenceFromTokensAndTargets() throws IOException {
    Path dir = fixtureDir("gpt");
    SafetensorsFile io = Safetensors.read(dir.resolve("io.safetensors"));
    int[] tokens = io.ints("tokens").toArray();
    int[] targets = io.ints("targets").toArray();
    int s = io.ints("tokens").size(1);
    String tok = ids(tokens, 0, s);
    String tgt = ids(targets, 0, s);
    Path out = tmp.resolve("one.safetensors");
    Run r = MainTest.run("forward", "--model", dir.toString(), "--tokens", tok, "--targets", tgt, "--out",
        out.toString(), "--hidden-states");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEmpty();
    try (SafetensorsFile f = Safetensors.read(out)) {
      assertThat(f.names()).containsExactlyInAnyOrder("tokens", "targets", "logits", "loss", "hidden_states");
      assertThat(f.ints("tokens").shape()).containsExactly(1, s);
      // causal attention, no batch interaction: row 0 of the fixture's batch
      Tensor logits0 = io.tensor("logits").narrow(0, 0, 1);
      FixtureAssert.assertClose("logits[0]", f.tensor("logits"), logits0);
      FixtureAssert.assertClose("hidden_states[0]", f.tensor("hidden_states"), io.tensor("hidden_states").narrow(0, 0, 1));
      Tensor loss0 = logits0.crossEntropy(IntTensor.of(java.util.Arrays.copyOf(targets, s), 1, s));
      FixtureAssert.assertClose("loss", f.tensor("loss"), loss0);
    }
    // without targets: logits only, no loss
    Path out2 = tmp.resolve("two.safetensors");
    Run r2 = MainTest.run("forward", "--model", dir.toString(), "--tokens", " 1, 2 ,3", "--out", out2.toString());
    assertThat(r2.code()).as(r2.err()).isZero();
    try (SafetensorsFile f = Safetensors.read(out2)) {
      assertThat(f.names()).containsExactlyInAnyOrder("tokens", "logits");
      assertThat(f.tensor("logits").shape()).containsExactly(1, 3, 11);
    }
  }

  @Test
  void recurrentModelFromTokensWritesItsFinalStates() throws IOException {
    Path out = tmp.resolve("lstm.safetensors");
    Run r = MainTest.run("forward", "--model", fixtureDir("lstm_lm").toString(), "--tokens", "1,2,3,4", "--out",
        out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    try (SafetensorsFile f = Safetensors.read(out)) {
      assertThat(f.names()).containsExactlyInAnyOrder("tokens", "logits", "h_n", "c_n");
      assertThat(f.tensor("h_n").shape()).containsExactly(2, 1, 8);
    }
  }

  private static String ids(int[] all, int row, int s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s; i++) b.append(i > 0 ? "," : "").append(all[row * s + i]);
    return b.toString();
  }

  // ------------------------------------------------------------------------------ bad input

  private Run forward(Path model, String... more) {
    List<String> args = new ArrayList<>(List.of("forward", "--model", model.toString(), "--out",
        tmp.resolve("out.safetensors").toString()));
    args.addAll(List.of(more));
    return MainTest.run(args.toArray(String[]::new));
  }

  private Run forwardOnFixtureInput(Path model, String... more) {
    List<String> args = new ArrayList<>(List.of("--input", fixtureDir("gpt").resolve("io.safetensors").toString()));
    args.addAll(List.of(more));
    return forward(model, args.toArray(String[]::new));
  }

  /** The one "lmlab: " line of an error, which must be the first line of stderr. */
  private String message(Run r) {
    assertThat(r.out()).isEmpty();
    assertThat(Files.exists(tmp.resolve("out.safetensors"))).as("no output on error").isFalse();
    String first = r.err().lines().findFirst().orElse("");
    assertThat(first).startsWith("lmlab: ");
    return first;
  }

  /** A copy of a fixture checkpoint (config.json, model.safetensors) in the temp dir. */
  private Path copy(String name) throws IOException {
    Path src = fixtureDir(name);
    Path dst = Files.createDirectories(tmp.resolve("ckpt-" + name + "-" + System.nanoTime()));
    Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
    Files.copy(src.resolve("model.safetensors"), dst.resolve("model.safetensors"));
    return dst;
  }

  private static void editTensors(Path dir, Consumer<Map<String, Tensor>> edit) throws IOException {
    Map<String, Tensor> t = new LinkedHashMap<>();
    try (SafetensorsFile f = Safetensors.read(dir.resolve("model.safetensors"))) {
      for (String n : f.names()) t.put(n, f.tensor(n));
    }
    edit.accept(t);
    Safetensors.write(dir.resolve("model.safetensors"), t, Map.of(), Map.of("format", "pt"));
  }

  private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode c = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    edit.accept(c);
    Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(c));
  }

  @Test
  void missingModelDirectory() {
    Path missing = tmp.resolve("no-such-checkpoint");
    Run r = forward(missing, "--tokens", "1,2");
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains(missing.toString()).contains("does not exist");
  }

  @Test
  void missingOptionsAreUsageErrors() {
    Run noModel = MainTest.run("forward", "--tokens", "1,2", "--out", tmp.resolve("o.safetensors").toString());
    assertThat(noModel.code()).isEqualTo(2);
    assertThat(noModel.err()).contains("--model");
    Run noTokens = forward(fixtureDir("gpt"));
    assertThat(noTokens.code()).isEqualTo(2);
    assertThat(message(noTokens)).contains("--tokens").contains("--input");
    Run both = forwardOnFixtureInput(fixtureDir("gpt"), "--tokens", "1,2");
    assertThat(both.code()).isEqualTo(2);
    assertThat(message(both)).contains("--tokens and --input");
    Run badId = forward(fixtureDir("gpt"), "--tokens", "1,x,3");
    assertThat(badId.code()).isEqualTo(2);
    assertThat(message(badId)).contains("--tokens").contains("'x'");
    Run badLength = forward(fixtureDir("gpt"), "--tokens", "1,2,3", "--targets", "1,2");
    assertThat(badLength.code()).isEqualTo(2);
    assertThat(message(badLength)).contains("--targets has 2 ids").contains("--tokens has 3");
  }

  @Test
  void checkpointMissingATensor() throws IOException {
    Path dir = copy("gpt");
    editTensors(dir, t -> t.remove("lm_head.bias"));
    Run r = forwardOnFixtureInput(dir);
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains("missing").contains("'lm_head.bias'").contains(dir.toString());
  }

  @Test
  void checkpointWithAnExtraTensor() throws IOException {
    Path dir = copy("chargpt");
    editTensors(dir, t -> t.put("model.layers.0.extra.weight", Tensor.zeros(3)));
    Run r = forwardOnFixtureInput(dir);
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains("unexpected").contains("'model.layers.0.extra.weight'");
  }

  @Test
  void checkpointWithAMisShapedTensor() throws IOException {
    Path dir = copy("lstm_lm");
    editTensors(dir, t -> t.put("lstm.layers.1.forget_gate.weight", Tensor.zeros(8, 15)));
    Run r = forward(dir, "--tokens", "1,2,3");
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains("'lstm.layers.1.forget_gate.weight'").contains("(8, 15)").contains("(8, 16)");
  }

  @Test
  void configWithAnUnknownKey() throws IOException {
    Path dir = copy("gpt");
    editConfig(dir, c -> c.put("hidden_sizes", 16));
    Run r = forwardOnFixtureInput(dir);
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains("config.json").contains("unknown key 'hidden_sizes'");

    Path rnn = copy("rnn_lm");
    editConfig(rnn, c -> c.put("cell", "gru"));
    Run r2 = forward(rnn, "--tokens", "1,2");
    assertThat(r2.code()).isEqualTo(1);
    assertThat(message(r2)).contains("config.json").contains("unknown key 'cell'");
  }

  @Test
  void configWithAnOutOfRangeValue() throws IOException {
    Path dir = copy("gpt");
    editConfig(dir, c -> c.put("norm", "batch"));
    Run r = forwardOnFixtureInput(dir);
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains("config.json").contains("norm=\"batch\"").contains("layernorm");

    Path heads = copy("chargpt");
    editConfig(heads, c -> {
      c.remove("head_dim");
      c.put("num_attention_heads", 5);
      c.put("num_key_value_heads", 5);
    });
    Run r2 = forward(heads, "--tokens", "1,2");
    assertThat(r2.code()).isEqualTo(1);
    assertThat(message(r2)).contains("hidden_size=12").contains("num_attention_heads=5").contains("divisible");
  }

  @Test
  void unknownModelTypeNamesItAndTheFile() throws IOException {
    Path dir = copy("lstm_lm");
    editConfig(dir, c -> c.put("model_type", "gru-lm"));
    Run r = forward(dir, "--tokens", "1,2");
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains(dir.resolve("config.json").toString()).contains("model_type \"gru-lm\"")
        .contains("lstm-lm");
  }

  @Test
  void tokenIdOutOfRange() throws IOException {
    Run r = forward(fixtureDir("gpt"), "--tokens", "3,11,4");
    assertThat(r.code()).isEqualTo(2);
    assertThat(message(r)).contains("token id 11").contains("position 1").contains("vocab_size 11");

    Run t = forward(fixtureDir("rnn_lm"), "--tokens", "3,1,4", "--targets", "1,-1,5");
    assertThat(t.code()).isEqualTo(2);
    assertThat(message(t)).contains("target id -1").contains("position 1").contains("vocab_size 11");

    Path input = tmp.resolve("in.safetensors");
    Safetensors.write(input, Map.of(), Map.of("tokens", IntTensor.of(new int[] {1, 2, 3, 4, 5, 13}, 2, 3)), Map.of());
    Run f = forward(fixtureDir("chargpt"), "--input", input.toString());
    assertThat(f.code()).isEqualTo(1);
    assertThat(message(f)).contains("token id 13").contains("(batch 1, position 2)").contains("vocab_size 13");
  }

  @Test
  void gradsNeedTargets() throws IOException {
    Run r = forward(fixtureDir("gpt"), "--tokens", "1,2,3", "--grads");
    assertThat(r.code()).isEqualTo(2);
    assertThat(message(r)).contains("--grads needs targets");

    Path input = tmp.resolve("in.safetensors");
    Safetensors.write(input, Map.of(), Map.of("tokens", IntTensor.of(new int[] {1, 2, 3}, 1, 3)), Map.of());
    Run f = forward(fixtureDir("lstm_lm"), "--input", input.toString(), "--grads");
    assertThat(f.code()).isEqualTo(2);
    assertThat(message(f)).contains("--grads needs targets").contains("'targets'");
  }

  @Test
  void attentionsOnARecurrentModel() {
    Run r = forward(fixtureDir("rnn_lm"), "--tokens", "1,2,3", "--attentions");
    assertThat(r.code()).isEqualTo(2);
    assertThat(message(r)).contains("--attentions").contains("rnn-lm").contains("only Transformers");
  }

  @Test
  void inputWithoutTokens() throws IOException {
    Path input = tmp.resolve("in.safetensors");
    Safetensors.write(input, Map.of("x", Tensor.zeros(2, 3)), Map.of(), Map.of());
    Run r = forward(fixtureDir("gpt"), "--input", input.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(message(r)).contains(input.toString()).contains("no tensor 'tokens'").contains("x");

    Run missing = forward(fixtureDir("gpt"), "--input", tmp.resolve("none.safetensors").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(message(missing)).contains("none.safetensors");
  }

  @Test
  void helpListsTheOptions() {
    Run r = MainTest.run("forward", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--model", "--tokens", "--targets", "--input", "--out", "--hidden-states",
        "--attentions", "--grads");
    assertThat(MainTest.run("--help").out()).contains("forward", "params");
  }
}
