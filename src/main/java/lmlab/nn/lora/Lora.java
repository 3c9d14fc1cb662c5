package lmlab.nn.lora;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.nn.Linear;
import lmlab.nn.Module;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * Adapting a model by module surgery (spec lora.md): freeze every parameter, then replace each
 * targeted Linear by a {@link LoraLinear} around it ({@link Module#replaceChild}, so every other
 * name in the state dict stays the same). Merging replaces them back by plain Linear layers.
 */
public final class Lora {
  private Lora() {}

  /**
   * Freezes model and wraps the Linear modules config targets with fresh adapters (A drawn from
   * one generator seeded with seed, in module order; each adapter's dropout from its own).
   * Returns the adapted modules by path. Errors name the target (see {@link LoraTargets#select}).
   */
  public static Map<String, LoraLinear> attach(Module model, LoraConfig config, long seed) {
    return attach(model, config, seed, null);
  }

  /**
   * As above; with dropout not null every adapter draws its masks from that one generator (in turn,
   * so the masks still differ per module and pass), whose state a trainer checkpoints.
   */
  public static Map<String, LoraLinear> attach(Module model, LoraConfig config, long seed, Rng dropout) {
    Map<String, Linear> targets = config.targets().select(model);
    model.requiresGrad(false);
    Rng init = new Rng(seed);
    Map<String, LoraLinear> out = new LinkedHashMap<>();
    int i = 0;
    for (var e : targets.entrySet()) {
      Rng drop = dropout != null ? dropout : new Rng(seed ^ (0x9E3779B97F4A7C15L * (++i)));
      LoraLinear lora = new LoraLinear(e.getValue(), config, init, drop);
      model.replaceChild(e.getKey(), lora);
      out.put(e.getKey(), lora);
    }
    return out;
  }

  /** The adapted modules of model, by path. */
  public static Map<String, LoraLinear> adapters(Module model) {
    Map<String, LoraLinear> out = new LinkedHashMap<>();
    for (var e : model.namedModules().entrySet()) if (e.getValue() instanceof LoraLinear l) out.put(e.getKey(), l);
    return out;
  }

  /** The adapter tensors under their state-dict names ({@code <path>.lora_A.weight}, {@code .lora_B.weight}). */
  public static Map<String, Tensor> adapterState(Module model) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (var e : adapters(model).entrySet()) {
      out.put(e.getKey() + ".lora_A.weight", e.getValue().loraA());
      out.put(e.getKey() + ".lora_B.weight", e.getValue().loraB());
    }
    return out;
  }

  /**
   * Replaces every adapted module by a plain Linear with W + s·B A (dense float32; a quantised
   * base is dequantised, not re-quantised). Returns how many were merged.
   */
  public static int mergeAll(Module model) {
    Map<String, LoraLinear> all = adapters(model);
    for (var e : all.entrySet()) model.replaceChild(e.getKey(), e.getValue().mergedLinear());
    return all.size();
  }

  /** Trainable parameters of the adapters: Σ r·(in + out) (PEFT's "trainable params"). */
  public static long trainableParameters(Module model) {
    long n = 0;
    for (LoraLinear l : adapters(model).values()) n += (long) l.rank() * (l.inFeatures() + l.outFeatures());
    return n;
  }
}
