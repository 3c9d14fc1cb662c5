package lmlab.train;

import java.util.Map;
import lmlab.tensor.Tensor;

/**
 * What every optimizer shares: the named parameters with their state buffers
 * ({@link ParameterSlots}), the learning rate, and the step count.
 */
abstract class SlotOptimizer implements Optimizer {
  protected final ParameterSlots slots;
  protected double lr;
  /** Steps taken so far (PyTorch's state["step"]). */
  protected long t;

  SlotOptimizer(ParameterSlots slots, double lr) {
    this.slots = slots;
    this.lr = lr;
  }

  @Override
  public final void decayOnly(java.util.Collection<String> names) {
    slots.decayOnly(names);
  }

  @Override
  public final long stateBytes() {
    long n = 0;
    for (float[][] kind : slots.buffers.values()) for (float[] b : kind) if (b != null) n += b.length;
    return n * Float.BYTES;
  }

  @Override
  public final double lr() {
    return lr;
  }

  @Override
  public final void setLr(double lr) {
    this.lr = lr;
  }

  @Override
  public final long steps() {
    return t;
  }

  @Override
  public final void zeroGrad() {
    for (Tensor p : slots.params) p.zeroGrad();
  }

  @Override
  public final Map<String, Tensor> parameters() {
    return slots.parameters();
  }

  @Override
  public final Map<String, Tensor> stateTensors() {
    return slots.tensors();
  }

  /** Restores the buffers and the step count; the metadata must name this optimizer. */
  @Override
  public final void loadState(Map<String, Tensor> tensors, Map<String, String> metadata) {
    ParameterSlots.checkName(metadata, name());
    long step = ParameterSlots.longMeta(metadata, "step");
    slots.load(tensors);
    t = step;
  }
}
