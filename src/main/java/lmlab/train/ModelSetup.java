package lmlab.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import lmlab.io.AtomicDirectory;
import lmlab.io.Checkpoint;
import lmlab.models.LanguageModel;
import lmlab.models.ModelSpec;
import lmlab.nn.ModuleCheckpoint;
import lmlab.tensor.Rng;

/**
 * What a run does to the model its spec builds before training starts, and what its checkpoints
 * hold. {@link #NONE}: training from the initialisation, every tensor in every checkpoint. A
 * fine-tuning run ({@link Finetune}) loads a base into it, may quantise and adapt it, and checkpoints
 * only what it trains.
 */
public interface ModelSetup {
  ModelSetup NONE = new ModelSetup() {};

  /** Changes the freshly built model (before the optimizer sees its trainable parameters); dropout is the run's generator. */
  default void prepare(LanguageModel model, Rng dropout) throws IOException {}

  /** Writes a checkpoint directory of model, atomically, with the trainer's files added by extra. */
  default void save(Path dir, ModelSpec spec, LanguageModel model, AtomicDirectory.Content extra) throws IOException {
    Checkpoint.save(dir, spec.toJson(), model.stateDict(), extra);
  }

  /** The files {@link #save} writes into a checkpoint directory (resume checks they are all there). */
  default List<String> checkpointFiles() {
    return RunDirectory.MODEL_FILES;
  }

  /** Loads a checkpoint written by {@link #save} into the prepared model (resuming). */
  default void load(Path dir, LanguageModel model) throws IOException {
    ModuleCheckpoint.loadInto(dir, model);
  }
}
