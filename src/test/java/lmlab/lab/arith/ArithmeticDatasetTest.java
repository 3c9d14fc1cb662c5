package lmlab.lab.arith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArithmeticDatasetTest {
  private static ArithmeticConfig cfg(int p, String op, int... orders) {
    return ArithmeticConfig.builder().p(p).operator(op).orders(orders).build();
  }

  /** Every equation of the data set (train and validation), decoded, in lexicographic order of operands. */
  private static List<String> equations(ArithmeticConfig c, int order) {
    ArithmeticVocab v = ArithmeticVocab.of(c);
    int len = c.sequenceLength();
    int[] seqs = ArithmeticDataset.equations(c, v, order, len);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < seqs.length / len; i++) out.add(v.decode(seqs, i * len, (i + 1) * len));
    return out;
  }

  private static Set<String> all(ArithmeticDataset d) {
    Set<String> s = new HashSet<>();
    for (ArithmeticSplit sp : List.of(d.train(), d.val())) {
      for (int i = 0; i < sp.size(); i++) s.add(d.vocab().decode(sp.sequence(i)));
    }
    return s;
  }

  @Test
  void additionModThreeWrittenOut() {
    assertThat(equations(cfg(3, "+", 2), 2)).containsExactly(
        "BOS 0 + 0 = 0 EOS", "BOS 0 + 1 = 1 EOS", "BOS 0 + 2 = 2 EOS",
        "BOS 1 + 0 = 1 EOS", "BOS 1 + 1 = 2 EOS", "BOS 1 + 2 = 0 EOS",
        "BOS 2 + 0 = 2 EOS", "BOS 2 + 1 = 0 EOS", "BOS 2 + 2 = 1 EOS");
  }

  @Test
  void subtractionAndMultiplicationModThree() {
    assertThat(equations(cfg(3, "-", 2), 2)).containsExactly(
        "BOS 0 - 0 = 0 EOS", "BOS 0 - 1 = 2 EOS", "BOS 0 - 2 = 1 EOS",
        "BOS 1 - 0 = 1 EOS", "BOS 1 - 1 = 0 EOS", "BOS 1 - 2 = 2 EOS",
        "BOS 2 - 0 = 2 EOS", "BOS 2 - 1 = 1 EOS", "BOS 2 - 2 = 0 EOS");
    assertThat(equations(cfg(3, "*", 2), 2)).containsExactly(
        "BOS 0 * 0 = 0 EOS", "BOS 0 * 1 = 0 EOS", "BOS 0 * 2 = 0 EOS",
        "BOS 1 * 0 = 0 EOS", "BOS 1 * 1 = 1 EOS", "BOS 1 * 2 = 2 EOS",
        "BOS 2 * 0 = 0 EOS", "BOS 2 * 1 = 2 EOS", "BOS 2 * 2 = 1 EOS");
  }

  @Test
  void divisionModThreeLeavesOutDivisionByZero() {
    assertThat(equations(cfg(3, "/", 2), 2)).containsExactly(
        "BOS 0 / 1 = 0 EOS", "BOS 0 / 2 = 0 EOS",
        "BOS 1 / 1 = 1 EOS", "BOS 1 / 2 = 2 EOS",
        "BOS 2 / 1 = 2 EOS", "BOS 2 / 2 = 1 EOS");
    // ternary: neither divisor may be 0: 3 * 2 * 2
    List<String> t = equations(cfg(3, "/", 3), 3);
    assertThat(t).hasSize(12);
    assertThat(t.get(0)).isEqualTo("BOS 0 / 1 / 1 = 0 EOS");
    assertThat(t).noneMatch(s -> s.contains("/ 0"));
    assertThat(ArithmeticDataset.of(cfg(3, "/", 2, 3)).size()).isEqualTo(6 + 12);
  }

  @Test
  void ternaryEquationsAreEvaluatedLeftToRight() {
    ArithmeticConfig minus = cfg(3, "-", 3);
    List<String> t = equations(minus, 3);
    assertThat(t).hasSize(27);
    assertThat(t.get(0)).isEqualTo("BOS 0 - 0 - 0 = 0 EOS");
    // (1 - 2) - 2 = 2 - 2 = 0, whereas 1 - (2 - 2) = 1
    assertThat(t).contains("BOS 1 - 2 - 2 = 0 EOS");
    // (1 / 2) / 3 mod 5 = 3 / 3 = 1, whereas 1 / (2 / 3) = 1 / 4 = 4
    assertThat(equations(cfg(5, "/", 3), 3)).contains("BOS 1 / 2 / 3 = 1 EOS").hasSize(5 * 4 * 4);
    assertThat(equations(cfg(3, "+", 3), 3)).contains("BOS 2 + 2 + 2 = 0 EOS", "BOS 1 + 0 + 2 = 0 EOS");
  }

  @Test
  void sizesArePSquaredAndPCubed() {
    for (String op : List.of("+", "-", "*")) {
      assertThat(ArithmeticDataset.of(cfg(7, op, 2)).size()).isEqualTo(49);
      assertThat(ArithmeticDataset.of(cfg(7, op, 3)).size()).isEqualTo(343);
      assertThat(ArithmeticDataset.of(cfg(7, op, 2, 3)).size()).isEqualTo(49 + 343);
    }
    // division: divisors 1..p-1 only
    assertThat(ArithmeticDataset.of(cfg(7, "/", 2)).size()).isEqualTo(7 * 6);
    assertThat(ArithmeticDataset.of(cfg(7, "/", 3)).size()).isEqualTo(7 * 6 * 6);
    assertThat(ArithmeticDataset.of(ArithmeticConfig.defaults()).size()).isEqualTo(961);
  }

  @Test
  void operandsRangeOverPResultsOverQ() {
    // p = 5, q = 3: operands 0..4 (reduced mod 3), results 0..2; with '/', divisors 0 and 3 are 0 mod 3
    ArithmeticConfig plus = ArithmeticConfig.builder().p(5).q(3).build();
    assertThat(equations(plus, 2)).hasSize(25).contains("BOS 4 + 4 = 2 EOS", "BOS 3 + 0 = 0 EOS");
    ArithmeticConfig div = ArithmeticConfig.builder().p(5).q(3).operator("/").build();
    List<String> d = equations(div, 2);
    assertThat(d).hasSize(5 * 3).contains("BOS 4 / 4 = 1 EOS", "BOS 2 / 2 = 1 EOS").noneMatch(s -> s.contains("/ 3 "));
    // p = 3, q = 5: results up to 4
    assertThat(equations(ArithmeticConfig.builder().p(3).q(5).build(), 2)).contains("BOS 2 + 2 = 4 EOS");
  }

  @Test
  void sequenceLayoutBinaryOnly() {
    ArithmeticDataset d = ArithmeticDataset.of(ArithmeticConfig.defaults());
    ArithmeticBatch b = d.train().rows(0, 5);
    assertThat(b.inputs().shape()).containsExactly(5, 6);
    assertThat(b.targets().shape()).containsExactly(5, 6);
    assertThat(b.eqPosition().toArray()).containsOnly(3);
    assertThat(b.mask().toArray()).containsOnly(1);
    assertThat(b.order().toArray()).containsOnly(2);
    for (int i = 0; i < 5; i++) {
      int[] seq = d.train().sequence(i);
      assertThat(seq).hasSize(7);
      for (int j = 0; j < 6; j++) {
        assertThat(b.inputs().get(i, j)).isEqualTo(seq[j]);
        assertThat(b.targets().get(i, j)).isEqualTo(seq[j + 1]);
      }
      assertThat(b.targets().get(i, 3)).isEqualTo(d.vocab().eq());
      assertThat(b.inputs().get(i, 0)).isEqualTo(d.vocab().bos());
      assertThat(b.targets().get(i, 5)).isEqualTo(d.vocab().eos());
    }
  }

  @Test
  void sequenceLayoutWithBothOrders() {
    ArithmeticDataset d = ArithmeticDataset.of(cfg(3, "+", 2, 3));
    ArithmeticVocab v = d.vocab();
    ArithmeticSplit tr = d.train();
    boolean sawBinary = false;
    boolean sawTernary = false;
    ArithmeticBatch b = tr.all();
    assertThat(b.inputs().shape()).containsExactly(tr.size(), 8);
    for (int i = 0; i < tr.size(); i++) {
      String text = v.decode(tr.sequence(i));
      int order = tr.order(i);
      assertThat(b.order().get(i)).isEqualTo(order);
      if (order == 2) {
        sawBinary = true;
        assertThat(text).matches("BOS \\d [+] \\d = \\d EOS PAD PAD");
        assertThat(b.eqPosition().get(i)).isEqualTo(3);
        for (int j = 0; j < 8; j++) assertThat(b.mask().get(i, j)).isEqualTo(j < 6 ? 1 : 0);
        assertThat(b.targets().get(i, 6)).isEqualTo(v.pad());
      } else {
        sawTernary = true;
        assertThat(text).matches("BOS \\d [+] \\d [+] \\d = \\d EOS");
        assertThat(b.eqPosition().get(i)).isEqualTo(5);
        for (int j = 0; j < 8; j++) assertThat(b.mask().get(i, j)).isEqualTo(1);
      }
      assertThat(b.targets().get(i, b.eqPosition().get(i))).isEqualTo(v.eq());
    }
    assertThat(sawBinary && sawTernary).isTrue();
  }

  @Test
  void splitTakesFloorOfRTrainPerOrderAndCoversEverythingOnce() {
    ArithmeticDataset d = ArithmeticDataset.of(ArithmeticConfig.builder().p(31).orders(2, 3).build());
    // 961 binary: floor(480.5) = 480 train; 29791 ternary: floor(14895.5) = 14895 train
    assertThat(d.train().count(2)).isEqualTo(480);
    assertThat(d.val().count(2)).isEqualTo(481);
    assertThat(d.train().count(3)).isEqualTo(14895);
    assertThat(d.val().count(3)).isEqualTo(14896);
    // the training set is the binary part followed by the ternary part
    for (int i = 0; i < d.train().size(); i++) assertThat(d.train().order(i)).isEqualTo(i < 480 ? 2 : 3);
    assertThat(all(d)).hasSize(961 + 29791);

    ArithmeticDataset small = ArithmeticDataset.of(ArithmeticConfig.builder().p(7).orders(2, 3).rTrain(0.3).build());
    assertThat(small.train().count(2)).isEqualTo(14); // floor(0.3 * 49) = 14
    assertThat(small.train().count(3)).isEqualTo(102); // floor(0.3 * 343) = 102
    Set<String> tr = new HashSet<>();
    for (int i = 0; i < small.train().size(); i++) tr.add(small.vocab().decode(small.train().sequence(i)));
    for (int i = 0; i < small.val().size(); i++) assertThat(tr).doesNotContain(small.vocab().decode(small.val().sequence(i)));
    assertThat(tr.size() + small.val().size()).isEqualTo(49 + 343);
  }

  @Test
  void theSplitIsAFisherYatesShuffleWithTheSeed() {
    ArithmeticConfig c = ArithmeticConfig.builder().p(5).seed(11).build();
    int[] perm = new int[25];
    for (int i = 0; i < 25; i++) perm[i] = i;
    lmlab.tensor.Rng rng = new lmlab.tensor.Rng(11);
    for (int i = 24; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    List<String> eqs = equations(c, 2);
    ArithmeticDataset d = ArithmeticDataset.of(c);
    assertThat(d.train().size()).isEqualTo(12);
    for (int i = 0; i < 12; i++) assertThat(d.vocab().decode(d.train().sequence(i))).isEqualTo(eqs.get(perm[i]));
    for (int i = 0; i < 13; i++) assertThat(d.vocab().decode(d.val().sequence(i))).isEqualTo(eqs.get(perm[12 + i]));
  }

  @Test
  void deterministicPerSeed() {
    ArithmeticConfig c = ArithmeticConfig.builder().p(11).orders(2, 3).build();
    ArithmeticDataset a = ArithmeticDataset.of(c);
    ArithmeticDataset b = ArithmeticDataset.of(c);
    ArithmeticDataset other = ArithmeticDataset.of(c.withSeed(42));
    assertThat(a.train().all().inputs().toArray()).containsExactly(b.train().all().inputs().toArray());
    assertThat(a.val().all().targets().toArray()).containsExactly(b.val().all().targets().toArray());
    assertThat(a.train().all().inputs().toArray()).isNotEqualTo(other.train().all().inputs().toArray());
    // the binary part of a both-orders split is the binary-only split with the same seed
    ArithmeticDataset binary = ArithmeticDataset.of(c.toBuilder().orders(2).build());
    for (int i = 0; i < binary.train().size(); i++) {
      assertThat(a.vocab().decode(a.train().sequence(i)))
          .isEqualTo(binary.vocab().decode(binary.train().sequence(i)) + " PAD PAD");
    }
  }

  @Test
  void anEmptyTrainingPartIsAnError() {
    // p = 2: 4 binary equations; floor(0.2 * 4) = 0
    assertThatThrownBy(() -> ArithmeticDataset.of(ArithmeticConfig.builder().p(2).rTrain(0.2).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("r_train = 0.2 leaves the training set of the 4 binary equations empty")
        .hasMessageContaining("floor(0.2 * 4) = 0");
  }

  @Test
  void batchesPickRowsWithRepeats() {
    ArithmeticDataset d = ArithmeticDataset.of(cfg(3, "+", 2));
    ArithmeticBatch b = d.train().batch(new int[] {2, 0, 2});
    assertThat(b.size()).isEqualTo(3);
    for (int j = 0; j < 6; j++) assertThat(b.inputs().get(0, j)).isEqualTo(b.inputs().get(2, j));
    assertThat(b.inputs().get(1, 1)).isEqualTo(d.train().sequence(0)[1]);
    assertThatThrownBy(() -> d.train().batch(new int[] {99})).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
