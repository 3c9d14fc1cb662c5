package lmlab.lab;

import lmlab.train.Task;

/**
 * A {@link Task} the CLI and sweeps build by name ({@link Tasks}): besides what the trainer needs,
 * it declares what a model for it must have (vocabulary size, sequence length) and a short label
 * for default run names.
 */
public interface LabTask extends Task {
  /** The registry name written to config.json's task.name (e.g. "arithmetic"). */
  String name();

  /** Tokens in the vocabulary: a model's vocab_size must equal it. */
  int vocabSize();

  /** Why the vocabulary has that size, for error messages (e.g. "n = max(p, q) numbers + 8 tokens"). */
  String vocabularyNote();

  /** Model input tokens per sequence (S): a model with learned positions needs at least this many. */
  int sequenceLength();

  /**
   * The length of the learned position table the task needs (S_max; the run sets the model's
   * max_position_embeddings to it unless given), or 0 to leave the preset's.
   */
  default int positionTable() {
    return 0;
  }

  /** The step count T the task's schedule fixes (a stage schedule: Σ iters + 1), or -1 when steps is free. */
  default long requiredSteps() {
    return -1;
  }

  /** A short label of the settings for default run names (e.g. "add-p31-o23"). */
  String runLabel();
}
