package lmlab.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * What a {@link lmlab.train} trainer trains a language model on: where batches come from, the
 * training loss of a batch, the evaluation reported every eval period, the metric the trainer
 * watches, the run summary, and any state of its own that a checkpoint must carry. The arithmetic
 * lab, and later the character model, implement it; the trainer knows nothing about their data.
 */
public interface Task {
  /** A training batch: model inputs (B, S) and whatever the loss needs, owned by the task. */
  interface Batch {
    /** Number of sequences (B). */
    int size();
  }

  /**
   * The metric the trainer watches (a key of {@link #evaluate}): it stops early when the metric
   * reaches the run's {@code stop_at} threshold, keeps {@code checkpoints/best/} at its best value,
   * and shows it on the progress line.
   */
  record Monitor(String name, Goal goal) {
    public enum Goal { MIN, MAX }

    public Monitor {
      if (name == null || name.isBlank()) throw new IllegalArgumentException("a monitored metric needs a name");
      if (goal == null) throw new IllegalArgumentException("monitored metric " + name + ": give min or max");
    }

    public static Monitor min(String name) {
      return new Monitor(name, Goal.MIN);
    }

    public static Monitor max(String name) {
      return new Monitor(name, Goal.MAX);
    }

    /** Whether value is strictly better than best (any finite value beats NaN, the "none yet"). */
    public boolean better(double value, double best) {
      if (!Double.isFinite(value)) return false;
      if (Double.isNaN(best)) return true;
      return goal == Goal.MIN ? value < best : value > best;
    }

    /** Whether value has reached threshold (at most it for MIN, at least it for MAX). */
    public boolean reached(double value, double threshold) {
      if (Double.isNaN(value)) return false;
      return goal == Goal.MIN ? value <= threshold : value >= threshold;
    }

    /**
     * The metric without its split prefix ("val_acc" → "acc"), naming the train/val pair the
     * progress line shows.
     */
    public String base() {
      int u = name.indexOf('_');
      String prefix = u < 0 ? "" : name.substring(0, u);
      return prefix.equals("val") || prefix.equals("train") ? name.substring(u + 1) : name;
    }

    public String describe() {
      return name + " (" + (goal == Goal.MIN ? "min" : "max") + ")";
    }
  }

  /**
   * Draws the next training batch of batchSize sequences from rng (the trainer saves rng's state):
   * the {@code replacement} batch sampling.
   */
  Batch sample(Rng rng, int batchSize);

  /**
   * The number of training sequences N_train, for {@code epochs} batch sampling (shuffled epochs
   * through {@link #batch}); -1 when the task has no indexed training set (then only replacement).
   */
  default int trainSize() {
    return -1;
  }

  /** The batch of the training sequences at these indices (0 .. trainSize() − 1), in this order. */
  default Batch batch(int[] rows) {
    throw new UnsupportedOperationException(getClass().getName() + " has no indexed training set");
  }

  /** The scalar training loss of model on batch (recorded by autograd). */
  Tensor loss(LanguageModel model, Batch batch);

  /**
   * Evaluates model (in eval mode, under noGrad) and returns named metrics in a stable order, e.g.
   * train_loss, train_acc, val_loss, val_acc (and per-order variants). Values are plain numbers.
   */
  Map<String, Double> evaluate(LanguageModel model);

  /** The task's settings as written to the run's config.json (e.g. p, operator, orders, r_train, seed). */
  Map<String, Object> describe();

  /** The metric to watch; by default the validation loss, which every task reports. */
  default Monitor monitor() {
    return Monitor.min("val_loss");
  }

  /**
   * summary.json's "run_metrics" from the run's evaluation lines (metrics.jsonl as objects): by
   * default the run metrics of arithmetic.md ({@link RunMetrics}), per-split and per-scope.
   */
  default JsonNode summary(List<ObjectNode> lines) {
    return RunMetrics.summaryJson(lines);
  }

  /**
   * State of the task's own that a checkpoint must hold for an exact resume (null: none). Saved in
   * trainer.json under "task_state" and handed back to {@link #restoreState} on resume.
   */
  default ObjectNode state() {
    return null;
  }

  /** Restores what {@link #state()} returned (called once, before the first step of a resumed session). */
  default void restoreState(JsonNode state) {}

  // ---------------------------------------------------------------- stages and per-update logs

  /**
   * The steps at which a later stage begins (text.md "Stages"), ascending, each in 1 .. T − 2:
   * the step before the stage's first update is evaluated, and the optimizer state (moments, step
   * count) is reset before that update, as a new run would start. Default: one stage.
   */
  default long[] stageStarts() {
    return new long[0];
  }

  /** Called at the top of every step t of the loop (before its evaluation and its update). */
  default void atStep(long t) {}

  /**
   * Whether the trainer writes {@code steps.jsonl}: one line per update with the batch loss, the
   * learning rate, {@link #stepFields()} and the engine's time and memory of the update
   * ({@link StepMeter}).
   */
  default boolean logsSteps() {
    return false;
  }

  /** Fields of this task added to the current update's steps.jsonl line (e.g. block_size). */
  default Map<String, Object> stepFields() {
    return Map.of();
  }

  /**
   * Called once a run directory is attached to the task: at the start (step 0) or on resume at
   * the checkpoint's step (a task's own files are cut back to the steps before it here); steps is
   * the run's T.
   */
  default void attach(java.nio.file.Path runDir, long step, long steps) throws java.io.IOException {}

  /** Called after the evaluation of step t (model in training mode afterwards); e.g. samples. */
  default void afterEvaluation(long t, LanguageModel model) throws java.io.IOException {}

  /** Writes the task's files into a checkpoint directory being assembled (e.g. vocab.json). */
  default void writeCheckpointFiles(java.nio.file.Path dir) throws java.io.IOException {}

  /** Called when a session ends (completed, stopped or interrupted), after summary.json. */
  default void finish() throws java.io.IOException {}
}
