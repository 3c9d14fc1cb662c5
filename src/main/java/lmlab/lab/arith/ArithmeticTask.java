package lmlab.lab.arith;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.lab.LabTask;
import lmlab.models.LanguageModel;
import lmlab.tensor.Reduction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.train.Task;

/**
 * The modular-arithmetic lab as a {@link Task}: batches drawn from the training set, the RHS loss,
 * and the full-set evaluation.
 *
 * <p><b>Batches</b>: {@link #sample} draws <em>with replacement</em> (each of the B rows an
 * independent uniform draw {@code rng.nextInt(N_train)}); {@link #batch} gives the rows the
 * trainer's shuffled epochs ask for ({@code batch_sampling}, {@link lmlab.train.EpochOrder}).
 *
 * <p><b>Training loss</b>: the mean RHS loss ({@link RhsLoss}), or the whole-sequence next-token
 * loss when the config says {@code loss_on = sequence}.
 *
 * <p><b>Evaluation</b> always uses the RHS loss and accuracy (the metrics grokking is judged by),
 * over the full training and validation sets in chunks of {@link #EVAL_CHUNK} rows, under
 * {@code noGrad} with the model in eval mode (its previous mode restored afterwards). Keys, in
 * order: train_loss, train_acc, val_loss, val_acc and, with both orders, train_loss_order2,
 * train_acc_order2, val_loss_order2, val_acc_order2, then the same for order 3.
 *
 * <p><b>Monitored metric</b>: val_acc (max), the metric grokking is judged by.
 */
public final class ArithmeticTask implements LabTask {
  /** Rows per forward pass during evaluation. */
  public static final int EVAL_CHUNK = 4096;

  private final ArithmeticConfig config;
  private final ArithmeticDataset data;

  public ArithmeticTask(ArithmeticConfig config) {
    this(ArithmeticDataset.of(config));
  }

  public ArithmeticTask(ArithmeticDataset data) {
    this.data = data;
    this.config = data.config();
  }

  public ArithmeticConfig config() {
    return config;
  }

  public ArithmeticDataset dataset() {
    return data;
  }

  @Override
  public String name() {
    return ArithmeticTaskType.RECORDED_NAME;
  }

  /** The vocabulary size a model for this task needs (n + 8). */
  @Override
  public int vocabSize() {
    return data.vocab().size();
  }

  @Override
  public String vocabularyNote() {
    return "n = max(p, q) numbers + 8 tokens";
  }

  /** The model input length S (6, or 8 with ternary equations). */
  public int inputLength() {
    return config.inputLength();
  }

  @Override
  public int sequenceLength() {
    return inputLength();
  }

  @Override
  public String runLabel() {
    String op = switch (config.operator().symbol()) {
      case "+" -> "add";
      case "-" -> "sub";
      case "*" -> "mul";
      default -> "div";
    };
    String orders = config.orders().size() > 1 ? "-o23" : config.orders().contains(3) ? "-o3" : "";
    return op + "-p" + config.p() + orders;
  }

  @Override
  public Monitor monitor() {
    return Monitor.max("val_acc");
  }

  @Override
  public String toString() {
    return config.toString();
  }

  @Override
  public ArithmeticBatch sample(Rng rng, int batchSize) {
    if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    int n = data.train().size();
    int[] idx = new int[batchSize];
    for (int i = 0; i < batchSize; i++) idx[i] = rng.nextInt(n);
    return data.train().batch(idx);
  }

  @Override
  public int trainSize() {
    return data.train().size();
  }

  @Override
  public ArithmeticBatch batch(int[] rows) {
    return data.train().batch(rows);
  }

  @Override
  public Tensor loss(LanguageModel model, Batch batch) {
    ArithmeticBatch b = asArith(batch);
    checkVocab(model);
    Tensor logits = model.logits(b.inputs());
    return RhsLoss.compute(config.lossSpan(), logits, b.targets(), b.eqPosition(), b.mask(), Reduction.MEAN).loss();
  }

  @Override
  public Map<String, Double> evaluate(LanguageModel model) {
    checkVocab(model);
    boolean wasTraining = model.isTraining();
    model.eval();
    try (var g = Autograd.noGrad()) {
      SplitStats tr = evaluate(model, data.train());
      SplitStats va = evaluate(model, data.val());
      Map<String, Double> out = new LinkedHashMap<>();
      out.put("train_loss", tr.loss(0));
      out.put("train_acc", tr.acc(0));
      out.put("val_loss", va.loss(0));
      out.put("val_acc", va.acc(0));
      if (config.mixedOrders()) {
        for (int ord : config.orders()) {
          out.put("train_loss_order" + ord, tr.loss(ord));
          out.put("train_acc_order" + ord, tr.acc(ord));
          out.put("val_loss_order" + ord, va.loss(ord));
          out.put("val_acc_order" + ord, va.acc(ord));
        }
      }
      return out;
    } finally {
      model.train(wasTraining);
    }
  }

  /** Sums of per-sequence RHS loss and accuracy: index 0 all, 2 and 3 per order. */
  private static final class SplitStats {
    final double[] loss = new double[4];
    final double[] acc = new double[4];
    final long[] count = new long[4];

    double loss(int k) {
      return count[k] == 0 ? Double.NaN : loss[k] / count[k];
    }

    double acc(int k) {
      return count[k] == 0 ? Double.NaN : acc[k] / count[k];
    }
  }

  private static SplitStats evaluate(LanguageModel model, ArithmeticSplit split) {
    SplitStats st = new SplitStats();
    for (int from = 0; from < split.size(); from += EVAL_CHUNK) {
      ArithmeticBatch b = split.rows(from, Math.min(split.size(), from + EVAL_CHUNK));
      Tensor logits = model.logits(b.inputs());
      RhsLoss.Result r = RhsLoss.rhs(logits, b.targets(), b.eqPosition(), b.mask(), Reduction.NONE);
      float[] l = r.loss().toArray();
      float[] a = r.accuracy().toArray();
      int[] ord = b.order().storage();
      for (int i = 0; i < l.length; i++) {
        for (int k : new int[] {0, ord[i]}) {
          st.loss[k] += l[i];
          st.acc[k] += a[i];
          st.count[k]++;
        }
      }
    }
    return st;
  }

  @Override
  public Map<String, Object> describe() {
    return config.toMap();
  }

  private static ArithmeticBatch asArith(Batch batch) {
    if (batch instanceof ArithmeticBatch b) return b;
    throw new IllegalArgumentException(
        "ArithmeticTask.loss: expected a batch from ArithmeticTask.sample, got " + batch.getClass().getName());
  }

  private void checkVocab(LanguageModel model) {
    if (model.vocabSize() != vocabSize()) {
      throw new IllegalArgumentException("the model's vocabulary has " + model.vocabSize()
          + " tokens but the arithmetic task (n = max(p, q) = " + data.vocab().numbers() + ") needs " + vocabSize());
    }
  }
}
