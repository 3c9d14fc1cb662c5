package lmlab.train;

import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * What a {@link lmlab.train} trainer trains a language model on: where batches come from, the
 * training loss of a batch, and the evaluation reported every eval period. The arithmetic lab,
 * and later the character model, implement it; the trainer knows nothing about their data.
 */
public interface Task {
  /** A training batch: model inputs (B, S) and whatever the loss needs, owned by the task. */
  interface Batch {
    /** Number of sequences (B). */
    int size();
  }

  /** Draws the next training batch of batchSize sequences from rng (the trainer saves rng's state). */
  Batch sample(Rng rng, int batchSize);

  /** The scalar training loss of model on batch (recorded by autograd). */
  Tensor loss(LanguageModel model, Batch batch);

  /**
   * Evaluates model (in eval mode, under noGrad) and returns named metrics in a stable order, e.g.
   * train_loss, train_acc, val_loss, val_acc (and per-order variants). Values are plain numbers.
   */
  Map<String, Double> evaluate(LanguageModel model);

  /** The task's settings as written to the run's config.json (e.g. p, operator, orders, r_train, seed). */
  Map<String, Object> describe();
}
