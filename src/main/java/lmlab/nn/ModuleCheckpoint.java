package lmlab.nn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import lmlab.io.Checkpoint;
import lmlab.io.CheckpointException;
import lmlab.io.WeightFiles;
import lmlab.io.WeightMapper;

/**
 * A module and a checkpoint directory ({@link Checkpoint}: config.json and model.safetensors, or
 * Hugging Face shards). Loading reads the weights through a {@link WeightMapper} from the
 * memory-mapped files straight into the module's parameters and buffers, so the heap holds the
 * model once, not the model plus a state dict of copies.
 */
public final class ModuleCheckpoint {
  private ModuleCheckpoint() {}

  /** Writes config.json and module's state dict as model.safetensors, atomically. */
  public static void save(Path dir, ObjectNode config, Module module) throws IOException {
    Checkpoint.save(dir, config, module.stateDict());
  }

  /** As {@link #save(Path, ObjectNode, Module)}, in shards of at most maxShardBytes each (0: one file). */
  public static void save(Path dir, ObjectNode config, Module module, long maxShardBytes) throws IOException {
    Checkpoint.save(dir, config, module.stateDict(), null, maxShardBytes);
  }

  /**
   * Loads dir's weights into module strictly under lmlab's own names (every name and shape
   * checked first; missing, unexpected and mis-shaped tensors named) and returns dir's config.
   */
  public static ObjectNode loadInto(Path dir, Module module) throws IOException {
    ObjectNode config = Checkpoint.readConfig(dir);
    loadWeights(dir, module, WeightMapper.IDENTITY, true);
    return config;
  }

  /**
   * Loads dir's weights (one file or shards) into module through mapper. Strict: every model
   * tensor must be provided and every stored tensor used (or ignored by the mapper), else an error
   * naming the first few and how many, and nothing is loaded. Not strict: the report lists them.
   * A mis-shaped tensor is an error either way. Errors start with "checkpoint DIR: ".
   */
  public static LoadReport loadWeights(Path dir, Module module, WeightMapper mapper, boolean strict)
      throws IOException {
    try (WeightFiles files = WeightFiles.open(dir)) {
      return module.loadStateDict(files.mapped(mapper), strict);
    } catch (IllegalArgumentException e) {
      throw new CheckpointException("checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }
}
