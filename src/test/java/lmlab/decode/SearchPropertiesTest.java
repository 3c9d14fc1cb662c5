package lmlab.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import lmlab.autograd.Autograd;
import lmlab.models.LanguageModel;
import lmlab.models.LstmLm;
import lmlab.models.RecurrentLmConfig;
import lmlab.models.RnnLm;
import lmlab.models.Transformer;
import lmlab.nn.Activation;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Acceptance 1 of issue 15 on random small models (every family) and random trees: beam search with
 * B = 1 is greedy search; with B >= N^T it is exhaustive search; every reported log-likelihood is
 * the sum of log-softmax of a full forward pass over the sequence (<= 1e-4).
 */
class SearchPropertiesTest {
  static final int V = 5;

  /** Random small models of every family, vocabulary V, spread logits (pytorch init). */
  static List<Supplier<LanguageModel>> models(int seed) {
    return List.of(
        () -> eval(new Transformer(KvCacheTest.small("chargpt", "vocab_size", "" + V, "init", "pytorch"), seed)),
        () -> eval(new Transformer(KvCacheTest.small("qwen2", "vocab_size", "" + V, "init", "pytorch"), seed)),
        () -> eval(new Transformer(KvCacheTest.small("llama", "vocab_size", "" + V, "init", "pytorch",
            "masks", "\"sliding(3)\""), seed)),
        () -> eval(new LstmLm(new RecurrentLmConfig("lstm-lm", V, 6, 8, 2, true, 0.0, null), new Rng(seed))),
        () -> eval(new RnnLm(new RecurrentLmConfig("rnn-lm", V, 6, 8, 2, true, 0.0, Activation.TANH), new Rng(seed))));
  }

  static LanguageModel eval(LanguageModel m) {
    m.eval();
    return m;
  }

  /** Σ log-softmax of one full forward pass over prompt + tokens, at the new tokens. */
  static double fullForward(LanguageModel m, int[] prompt, int[] tokens) {
    int[] all = new int[prompt.length + tokens.length];
    System.arraycopy(prompt, 0, all, 0, prompt.length);
    System.arraycopy(tokens, 0, all, prompt.length, tokens.length);
    Tensor lp;
    try (var g = Autograd.noGrad()) {
      lp = m.logits(IntTensor.of(all, 1, all.length)).logSoftmax(-1);
    }
    double sum = 0;
    for (int i = 0; i < tokens.length; i++) sum += lp.get(0, prompt.length - 1 + i, tokens[i]);
    return sum;
  }

  static void assertLogLikelihoods(LanguageModel m, int[] prompt, List<Sequence> seqs) {
    for (Sequence s : seqs) {
      double sum = 0;
      for (float v : s.logProbs()) sum += v;
      assertThat(s.logLikelihood()).isEqualTo(sum);
      if (s.length() > 0) assertThat(s.logLikelihood()).as(s.toString()).isCloseTo(fullForward(m, prompt, s.tokens()), within(1e-4));
    }
  }

  /**
   * Same sequences, same order, log-likelihoods within 1e-5: a batch of a different size may run
   * another product kernel (the GEMM above a few rows), so scores can differ in the last float
   * bits, and two sequences whose scores tie within that may swap places, nothing else.
   */
  static void assertSame(List<Sequence> a, List<Sequence> b, String what) {
    assertThat(a).as(what).hasSameSizeAs(b);
    java.util.Set<String> left = new java.util.TreeSet<>();
    java.util.Set<String> right = new java.util.TreeSet<>();
    for (int i = 0; i < a.size(); i++) {
      Sequence x = a.get(i);
      Sequence y = b.get(i);
      assertThat(x.logLikelihood()).as("%s, sequence %d", what, i).isCloseTo(y.logLikelihood(), within(1e-5));
      if (!java.util.Arrays.equals(x.tokens(), y.tokens())) {
        assertThat(x.score()).as("%s, sequence %d differs: %s vs %s, not a near tie", what, i, x, y)
            .isCloseTo(y.score(), within(1e-5));
      } else {
        assertThat(x.endedAtEos()).isEqualTo(y.endedAtEos());
      }
      left.add(java.util.Arrays.toString(x.tokens()));
      right.add(java.util.Arrays.toString(y.tokens()));
    }
    if (a.size() == b.size() && left.size() == a.size()) {
      // the swaps above only reorder: the same sequences, unless the list was cut inside a tie
      long differing = left.stream().filter(t -> !right.contains(t)).count();
      assertThat(differing).as("%s: sequences in one list only", what).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void beamOfOneIsGreedyOnEveryFamily() {
    for (int seed = 1; seed <= 3; seed++) {
      for (Supplier<LanguageModel> f : models(seed)) {
        LanguageModel m = f.get();
        Random r = new Random(seed);
        int[] prompt = {r.nextInt(V), r.nextInt(V)};
        for (Eos eos : List.of(Eos.NONE, Eos.of(seed % V))) {
          String what = m.getClass().getSimpleName() + " seed " + seed + " " + eos;
          Sequence g = Greedy.search(new SteppedModel(m), prompt, 12, eos, TokenSink.NONE);
          List<Sequence> b = BeamSearch.search(new SteppedModel(m), prompt, 12, eos, 1, 0);
          assertSame(b, List.of(g), what);
          assertLogLikelihoods(m, prompt, b);
        }
      }
    }
  }

  @Test
  void beamOfAtLeastNToTheTIsExhaustiveOnEveryFamily() {
    int t = 4;
    int all = (int) Math.pow(V, t); // 625
    for (int seed = 1; seed <= 2; seed++) {
      for (Supplier<LanguageModel> f : models(seed)) {
        LanguageModel m = f.get();
        int[] prompt = {seed % V};
        for (Eos eos : List.of(Eos.NONE, Eos.of(2))) {
          String what = m.getClass().getSimpleName() + " seed " + seed + " " + eos;
          List<Sequence> ex = ExhaustiveSearch.search(new SteppedModel(m), prompt, t, eos, all, 0, 1_000_000);
          List<Sequence> beam = BeamSearch.search(new SteppedModel(m), prompt, t, eos, all, 0);
          assertSame(beam, ex, what);
          if (eos == Eos.NONE) assertThat(ex).hasSize(all);
          for (int i = 1; i < ex.size(); i++) {
            assertThat(ex.get(i).score()).isLessThanOrEqualTo(ex.get(i - 1).score());
          }
          // the best few: each checked against a full forward pass
          assertLogLikelihoods(m, prompt, ex.subList(0, 8));
          // a narrower beam never beats the exact argmax
          List<Sequence> narrow = BeamSearch.search(new SteppedModel(m), prompt, t, eos, 3, 0);
          assertThat(narrow.get(0).logLikelihood()).isLessThanOrEqualTo(ex.get(0).logLikelihood() + 1e-5);
          assertLogLikelihoods(m, prompt, narrow);
        }
      }
    }
  }

  @Test
  void sampledSequencesReportTheModelsLogLikelihood() {
    for (Supplier<LanguageModel> f : models(5)) {
      LanguageModel m = f.get();
      int[] prompt = {1, 3};
      List<Sequence> s = Sample.generate(new SteppedModel(m), prompt, 10, Eos.of(4), new Sampling(0.8, 3, 0.9, 0, 1.2, 1),
          4, TokenSink.NONE);
      assertLogLikelihoods(m, prompt, s);
    }
  }

  @Test
  void lengthPenaltyRanksFinishedSequencesByLogLikelihoodOverLength() {
    LanguageModel m = models(3).get(0).get();
    int[] prompt = {0};
    for (double alpha : new double[] {1.0, -0.5, 2.0}) {
      List<Sequence> all = ExhaustiveSearch.search(new SteppedModel(m), prompt, 4, Eos.of(1), 1000, alpha, 1_000_000);
      List<Sequence> beam = BeamSearch.search(new SteppedModel(m), prompt, 4, Eos.of(1), 1000, alpha);
      assertSame(beam, all, "alpha " + alpha);
      for (Sequence s : all) {
        assertThat(s.score()).isCloseTo(s.logLikelihood() / Math.pow(s.length(), alpha), within(1e-12));
      }
    }
  }

  // ----------------------------------------------------------------------------- random trees

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A random tree of the given depth over tokens t0..t{n-1} and <EOS>; some nodes lose mass, some are leaves. */
  static ObjectNode randomTree(Random r, int depth, int n) {
    ObjectNode root = JSON.createObjectNode().put("token", "<BOS>");
    grow(r, root, depth, n);
    return root;
  }

  private static void grow(Random r, ObjectNode node, int depth, int n) {
    if (depth == 0) return;
    int kids = 1 + r.nextInt(n);
    if (kids == 1 && r.nextBoolean()) return; // a leaf before the bottom
    java.util.List<Integer> tokens = new java.util.ArrayList<>();
    for (int i = 0; i <= n; i++) tokens.add(i);
    java.util.Collections.shuffle(tokens, r);
    double[] w = new double[kids];
    double sum = 0;
    for (int i = 0; i < kids; i++) sum += (w[i] = 0.05 + r.nextDouble());
    double mass = r.nextBoolean() ? 1.0 : 0.9;
    ArrayNode children = node.putArray("children");
    for (int i = 0; i < kids; i++) {
      String tok = tokens.get(i) == n ? "<EOS>" : "t" + tokens.get(i);
      ObjectNode c = children.addObject().put("token", tok).put("logprob", Math.log(mass * w[i] / sum));
      if (!tok.equals("<EOS>")) grow(r, c, depth - 1, n);
    }
  }

  @Test
  void onRandomTreesBeamOfOneIsGreedyAndWideBeamIsExhaustive() {
    for (int seed = 0; seed < 40; seed++) {
      Random r = new Random(seed);
      TreeLm tree = TreeLm.parse(randomTree(r, 2 + r.nextInt(3), 2 + r.nextInt(3)), "random tree " + seed);
      int t = tree.depth();
      int[] prompt = {tree.bos()};
      Eos eos = Eos.of(tree.eos());
      Sequence g = Greedy.search(tree, prompt, t, eos, TokenSink.NONE);
      assertSame(BeamSearch.search(tree, prompt, t, eos, 1, 0), List.of(g), "tree " + seed + " B = 1");
      int all = (int) Math.pow(tree.vocabSize(), t);
      List<Sequence> ex = ExhaustiveSearch.search(tree, prompt, t, eos, all, 0, 10_000_000);
      assertSame(BeamSearch.search(tree, prompt, t, eos, all, 0), ex, "tree " + seed + " B = N^T");
      // every path of the tree is one sequence, ending at EOS
      for (Sequence s : ex) assertThat(s.endedAtEos()).isTrue();
    }
  }
}
