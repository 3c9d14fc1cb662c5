package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import lmlab.testing.ModuleFixtures;
import org.junit.jupiter.api.Test;

/** The gpt model on p = 3 arithmetic sequences with the RHS loss (fixture gpt_arith). */
class GptArithTest {
  @Test
  void singleFileFixtureLossAccuracyAndEveryGradient() {
    SafetensorsFile f = FixtureAssert.fixture("gpt_arith");
    TransformerConfig c = TransformerConfig.fromJson(f.metadata().get("config"));
    Map<String, Tensor> state = new LinkedHashMap<>();
    for (String name : f.names()) {
      if (name.startsWith("model.") || name.startsWith("lm_head.")) state.put(name, f.tensor(name));
    }
    Transformer model = Transformer.fromStateDict(c, state);
    check(model, f);
  }

  @Test
  void checkpointDirectoryFixture() throws Exception {
    Transformer model = Transformer.load(resourceDir("gpt_arith"));
    check(model, FixtureAssert.fixture("gpt_arith/io"));
  }

  @Test
  void fixtureSequencesAreTheLabsSequences() {
    // p = 3, +, orders {2, 3}: every fixture row is an equation of the data set, laid out as ours
    SafetensorsFile f = FixtureAssert.fixture("gpt_arith");
    ArithmeticConfig cfg = ArithmeticConfig.builder().p(3).orders(2, 3).build();
    ArithmeticVocab vocab = ArithmeticVocab.of(cfg);
    assertThat(vocab.size()).isEqualTo(11);
    IntTensor tokens = f.ints("tokens");
    IntTensor targets = f.ints("targets");
    int[] eq = f.ints("eq_position").toArray();
    int[] mask = f.ints("mask").toArray();
    int b = tokens.size(0);
    int s = tokens.size(1);
    java.util.Set<String> all = new java.util.HashSet<>();
    ArithmeticDataset d = ArithmeticDataset.of(cfg);
    for (ArithmeticSplit sp : java.util.List.of(d.train(), d.val())) {
      for (int i = 0; i < sp.size(); i++) all.add(vocab.decode(sp.sequence(i)));
    }
    for (int i = 0; i < b; i++) {
      int[] seq = new int[s + 1];
      for (int j = 0; j < s; j++) seq[j] = tokens.get(i, j);
      seq[s] = targets.get(i, s - 1);
      for (int j = 0; j < s - 1; j++) assertThat(targets.get(i, j)).isEqualTo(seq[j + 1]);
      assertThat(all).contains(vocab.decode(seq));
      int order = seq[6] == vocab.eq() ? 3 : 2;
      assertThat(eq[i]).isEqualTo(ArithmeticDataset.eqPosition(order));
      for (int j = 0; j < s; j++) assertThat(mask[i * s + j]).isEqualTo(targets.get(i, j) == vocab.pad() ? 0 : 1);
    }
  }

  private static void check(Transformer model, SafetensorsFile f) {
    model.zeroGrad();
    IntTensor tokens = f.ints("tokens");
    Tensor logits = model.logits(tokens);
    FixtureAssert.assertMatchesFixture(f, "logits", logits);
    RhsLoss.Result none = RhsLoss.rhs(logits, f.ints("targets"), f.ints("eq_position"), f.ints("mask"), Reduction.NONE);
    FixtureAssert.assertMatchesFixture(f, "loss_none", none.loss());
    assertThat(none.accuracy().toArray()).containsExactly(f.tensor("accuracy_none").toArray());
    RhsLoss.Result mean = RhsLoss.rhs(logits, f.ints("targets"), f.ints("eq_position"), f.ints("mask"), Reduction.MEAN);
    FixtureAssert.assertMatchesFixture(f, "loss", mean.loss());
    assertThat(mean.accuracy().item()).isEqualTo(f.tensor("accuracy").item());
    mean.loss().backward();
    ModuleFixtures.assertParamGrads(model, f);
    for (String name : f.names()) {
      if (name.startsWith("grad.")) assertThat(model.namedParameters()).containsKey(name.substring(5));
    }
  }

  static Path resourceDir(String name) throws URISyntaxException {
    var url = GptArithTest.class.getResource("/fixtures/" + name + "/config.json");
    return url != null ? Path.of(url.toURI()).getParent() : Path.of("src/test/resources/fixtures", name);
  }
}
