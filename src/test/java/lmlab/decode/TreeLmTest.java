package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tree language models (decoding.md) and the course-style example of examples/decoding/tree.json. */
class TreeLmTest {
  static final Path EXAMPLE = Path.of("examples", "decoding", "tree.json");

  @Test
  void greedyBeamAndExhaustiveGiveThreeDifferentAnswersOnTheExample() {
    TreeLm tree = TreeLm.read(EXAMPLE);
    int[] bos = {tree.bos()};
    Eos eos = Eos.of(tree.eos());
    int t = tree.depth();
    assertThat(t).isEqualTo(4); // three words and the end of the sequence
    Sequence greedy = Greedy.search(tree, bos, t, eos, TokenSink.NONE);
    Sequence beam = BeamSearch.search(tree, bos, t, eos, 2, 0).get(0);
    Sequence exact = ExhaustiveSearch.search(tree, bos, t, eos, 1, 0, 1_000_000).get(0);
    assertThat(tree.text(greedy.tokens())).isEqualTo("the cat sat <EOS>");
    assertThat(tree.text(beam.tokens())).isEqualTo("a cat ran <EOS>");
    assertThat(tree.text(exact.tokens())).isEqualTo("one cat purred <EOS>");
    // the hand computation: products of the probabilities along each path
    assertThat(Math.exp(greedy.logLikelihood())).isCloseTo(0.5 * 0.4 * 0.55, within(1e-5));
    assertThat(Math.exp(beam.logLikelihood())).isCloseTo(0.3 * 0.9 * 0.6, within(1e-5));
    assertThat(Math.exp(exact.logLikelihood())).isCloseTo(0.2 * 0.95 * 1.0, within(1e-5));
    assertThat(exact.logLikelihood()).isGreaterThan(beam.logLikelihood());
    assertThat(beam.logLikelihood()).isGreaterThan(greedy.logLikelihood());
    // per-token log-probabilities are the tree's own values; the leaf's end costs nothing
    assertThat(beam.logProbs()[0]).isCloseTo((float) Math.log(0.3), within(1e-5f));
    assertThat(beam.logProbs()[3]).isZero();
    // beam B = 2 returns its two hypotheses, best first; B = 3 already finds the exact answer
    List<Sequence> two = BeamSearch.search(tree, bos, t, eos, 2, 0);
    assertThat(tree.text(two.get(1).tokens())).isEqualTo("the cat sat <EOS>");
    assertThat(tree.text(BeamSearch.search(tree, bos, t, eos, 3, 0).get(0).tokens())).isEqualTo("one cat purred <EOS>");
  }

  @Test
  void malformedTreesAreErrorsNamingTheNodeAndValue() throws Exception {
    ObjectMapper json = new ObjectMapper();
    String over = "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"prob\": 0.6, \"children\": ["
        + "{\"token\": \"x\", \"logprob\": -0.1}, {\"token\": \"y\", \"logprob\": -1.0}]}]}";
    assertThatThrownBy(() -> TreeLm.parse(json.readTree(over), "t.json"))
        .hasMessageContaining("t.json").hasMessageContaining("node '<BOS> a'").hasMessageContaining("1.27")
        .hasMessageContaining("> 1");
    String positive = "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"logprob\": 0.5}]}";
    assertThatThrownBy(() -> TreeLm.parse(json.readTree(positive), "t.json")).hasMessageContaining("logprob 0.5");
    String twice = "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"prob\": 0.5}, {\"token\": \"a\", \"prob\": 0.2}]}";
    assertThatThrownBy(() -> TreeLm.parse(json.readTree(twice), "t.json")).hasMessageContaining("two children 'a'");
    String both = "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"prob\": 0.5, \"logprob\": -1}]}";
    assertThatThrownBy(() -> TreeLm.parse(json.readTree(both), "t.json")).hasMessageContaining("exactly one of");
    // just within the tolerance is accepted
    String edge = "{\"token\": \"<BOS>\", \"children\": [{\"token\": \"a\", \"prob\": 0.5}, {\"token\": \"b\", \"prob\": 0.5000005}]}";
    assertThat(TreeLm.parse(json.readTree(edge), "t.json").vocabSize()).isEqualTo(4);
  }

  @Test
  void exhaustiveSearchRefusesTooManySequencesSayingHowMany() {
    TreeLm tree = TreeLm.read(EXAMPLE);
    assertThatThrownBy(() -> ExhaustiveSearch.search(tree, new int[] {0}, 9, Eos.of(tree.eos()), 1, 0, 1_000_000))
        .hasMessageContaining("N^T = " + tree.vocabSize() + "^9 = ").hasMessageContaining("limit of 1000000");
  }
}
