package lmlab.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import lmlab.tensor.Tensor;

/**
 * Updates named parameters in place from their accumulated gradients, the PyTorch way: one
 * {@link #step()} per optimisation step, parameters without a gradient (never reached by backward)
 * are left alone. The state (step count, moment buffers) is named after the parameters, so a
 * checkpoint stores and restores it with {@link #save} / {@link #load}.
 */
public interface Optimizer {
  /** The name written to configs and optimizer.safetensors ("adamw", "sgd"). */
  String name();

  /** One update of every parameter that has a gradient, at the current learning rate. */
  void step();

  /** The learning rate the next step uses. */
  double lr();

  /** Sets the learning rate of the next steps (schedules call this before each step). */
  void setLr(double lr);

  /** Steps taken so far. */
  long steps();

  /**
   * Restricts weight decay to the parameters named (text.md {@code weight_decay_on: matmul}: the
   * weights of Linear layers, as minGPT's configure_optimizers); by default every parameter decays.
   * An unknown name is an error.
   */
  void decayOnly(java.util.Collection<String> names);

  /** Bytes of the optimizer's state buffers (moments, momentum), for the engine's memory accounting. */
  long stateBytes();

  /** Sets every parameter's gradient to zero. */
  void zeroGrad();

  /** The parameters, by name, in the order given. */
  Map<String, Tensor> parameters();

  /** The state as tensors named {@code <buffer>.<parameter name>} (e.g. exp_avg.lm_head.weight). */
  Map<String, Tensor> stateTensors();

  /** The state's scalars (step count, hyper-parameters) as safetensors metadata. */
  Map<String, String> stateMetadata();

  /**
   * Restores the state from tensors and metadata written by the same optimizer over the same
   * parameters; a missing or mis-shaped buffer, or another optimizer's file, is an error naming it.
   */
  void loadState(Map<String, Tensor> tensors, Map<String, String> metadata);

  /** Writes the state to path (safetensors: buffers by parameter name, step and settings in the metadata). */
  default void save(Path path) throws IOException {
    lmlab.io.Safetensors.write(path, stateTensors(), Map.of(), stateMetadata());
  }

  /** Reads a state written by {@link #save}. */
  default void load(Path path) throws IOException {
    try (var f = lmlab.io.Safetensors.read(path)) {
      Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
      for (String n : f.names()) tensors.put(n, f.tensor(n));
      try {
        loadState(tensors, f.metadata());
      } catch (IllegalArgumentException e) {
        throw new IOException(path + ": " + e.getMessage(), e);
      }
    }
  }
}
