package lmlab.lab.arith;

import java.util.ArrayList;
import java.util.List;
import lmlab.tensor.Rng;

/**
 * Every modular-arithmetic equation of a config, tokenized and split (arithmetic.md).
 *
 * <ul>
 *   <li>Each tuple of operands appears once, in lexicographic order before shuffling: p² binary
 *       (a, b) and p³ ternary (a, b, c) tuples. The result is evaluated left to right mod q,
 *       r = ((a ∘ b) ∘ c) mod q; '/' multiplies by the modular inverse and tuples dividing by
 *       0 (mod q) are left out.
 *   <li>Sequences {@code BOS a ∘ b = r EOS} (7 tokens) or {@code BOS a ∘ b ∘ c = r EOS} (9); with
 *       both orders binary sequences are right-padded with PAD to 9. X = seq[:-1], Y = seq[1:],
 *       eq_position = index of '=' in Y (3 binary, 5 ternary), mask = (Y != PAD).
 *   <li>Split: one {@link Rng} seeded with the config's seed shuffles each order's equations in
 *       turn (binary first) with Fisher–Yates (for i = N-1 … 1 swap i with rng.nextInt(i + 1));
 *       the first floor(r_train · N) of each order go to training, the rest to validation; the
 *       training set is the binary part followed by the ternary part, and so is validation. So a
 *       binary-only split equals the binary part of the both-orders split with the same seed.
 * </ul>
 */
public final class ArithmeticDataset {
  private final ArithmeticConfig config;
  private final ArithmeticVocab vocab;
  private final ArithmeticSplit train;
  private final ArithmeticSplit val;

  private ArithmeticDataset(ArithmeticConfig config, ArithmeticVocab vocab, ArithmeticSplit train, ArithmeticSplit val) {
    this.config = config;
    this.vocab = vocab;
    this.train = train;
    this.val = val;
  }

  /**
   * Builds and splits the data set. Throws IllegalArgumentException when r_train leaves an
   * order's training part empty (floor(r_train · N) = 0).
   */
  public static ArithmeticDataset of(ArithmeticConfig config) {
    ArithmeticVocab vocab = ArithmeticVocab.of(config);
    int length = config.sequenceLength();
    Rng rng = new Rng(config.seed());
    List<int[]> trainParts = new ArrayList<>();
    List<int[]> valParts = new ArrayList<>();
    List<Integer> trainOrders = new ArrayList<>();
    List<Integer> valOrders = new ArrayList<>();
    for (int ord : config.orders()) {
      int[] seqs = equations(config, vocab, ord, length);
      int n = seqs.length / length;
      int[] perm = new int[n];
      for (int i = 0; i < n; i++) perm[i] = i;
      shuffle(perm, rng);
      int nTrain = trainCount(config.rTrain(), n);
      if (nTrain == 0 || nTrain == n) {
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
            "r_train = %s leaves the %s set of the %d %s equations empty (floor(%s * %d) = %d); use a %s r_train or"
                + " a larger p",
            config.rTrain(), nTrain == 0 ? "training" : "validation", n, ord == 2 ? "binary" : "ternary",
            config.rTrain(), n, nTrain, nTrain == 0 ? "larger" : "smaller"));
      }
      int[] tr = new int[nTrain * length];
      int[] va = new int[(n - nTrain) * length];
      for (int i = 0; i < n; i++) {
        int[] dst = i < nTrain ? tr : va;
        int row = i < nTrain ? i : i - nTrain;
        System.arraycopy(seqs, perm[i] * length, dst, row * length, length);
      }
      trainParts.add(tr);
      valParts.add(va);
      trainOrders.add(ord);
      valOrders.add(ord);
    }
    return new ArithmeticDataset(config, vocab,
        join(trainParts, trainOrders, length, vocab), join(valParts, valOrders, length, vocab));
  }

  /** floor(r_train · n), computed as the product of the double values. */
  static int trainCount(double rTrain, int n) {
    return (int) Math.floor(rTrain * n);
  }

  /** Fisher–Yates: for i = n-1 down to 1, swap a[i] with a[rng.nextInt(i + 1)]. */
  static void shuffle(int[] a, Rng rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }

  /**
   * Every equation of one order as full sequences of the given length (row-major, PAD-padded),
   * in lexicographic order of the operands; division by 0 left out.
   */
  public static int[] equations(ArithmeticConfig config, ArithmeticVocab vocab, int order, int length) {
    if (order != 2 && order != 3) throw new IllegalArgumentException("order must be 2 or 3, got " + order);
    int p = config.p();
    int q = config.q();
    Operator op = config.operator();
    boolean divide = op == Operator.DIVIDE;
    int count = 0;
    long total = order == 2 ? (long) p * p : (long) p * p * p;
    int[] out = new int[Math.toIntExact(total * length)];
    int[] ops = new int[order];
    for (long t = 0; t < total; t++) {
      long rest = t;
      for (int k = order - 1; k >= 0; k--) {
        ops[k] = (int) (rest % p);
        rest /= p;
      }
      if (divide) {
        boolean zero = false;
        for (int k = 1; k < order; k++) if (ops[k] % q == 0) zero = true;
        if (zero) continue;
      }
      int r = ops[0] % q;
      for (int k = 1; k < order; k++) r = op.apply(r, ops[k] % q, q);
      int base = count * length;
      int j = 0;
      out[base + j++] = vocab.bos();
      for (int k = 0; k < order; k++) {
        if (k > 0) out[base + j++] = vocab.operator(op);
        out[base + j++] = vocab.number(ops[k]);
      }
      out[base + j++] = vocab.eq();
      out[base + j++] = vocab.number(r);
      out[base + j++] = vocab.eos();
      while (j < length) out[base + j++] = vocab.pad();
      count++;
    }
    return count * length == out.length ? out : java.util.Arrays.copyOf(out, count * length);
  }

  /** Index of '=' in Y = seq[1:] for an equation of this order: 2·order - 1 (3 or 5). */
  public static int eqPosition(int order) {
    return 2 * order - 1;
  }

  private static ArithmeticSplit join(List<int[]> parts, List<Integer> orders, int length, ArithmeticVocab vocab) {
    int total = 0;
    for (int[] part : parts) total += part.length;
    int[] seq = new int[total];
    int n = total / length;
    int[] eq = new int[n];
    int[] ord = new int[n];
    int at = 0;
    for (int k = 0; k < parts.size(); k++) {
      int[] part = parts.get(k);
      System.arraycopy(part, 0, seq, at * length, part.length);
      int rows = part.length / length;
      for (int i = 0; i < rows; i++) {
        eq[at + i] = eqPosition(orders.get(k));
        ord[at + i] = orders.get(k);
      }
      at += rows;
    }
    return new ArithmeticSplit(seq, eq, ord, length, vocab.pad());
  }

  public ArithmeticConfig config() {
    return config;
  }

  public ArithmeticVocab vocab() {
    return vocab;
  }

  /** The training part: floor(r_train · N_o) equations of each order o. */
  public ArithmeticSplit train() {
    return train;
  }

  /** The validation part: the rest. */
  public ArithmeticSplit val() {
    return val;
  }

  /** Total number of equations (train + validation). */
  public int size() {
    return train.size() + val.size();
  }
}
