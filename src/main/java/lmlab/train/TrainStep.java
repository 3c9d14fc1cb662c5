package lmlab.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import lmlab.models.LanguageModel;
import lmlab.tensor.Arena;
import lmlab.tensor.Tensor;

/**
 * One update as {@code lmlab train} makes it, shared by the {@link Trainer} and {@code lmlab bench
 * train} so that the bench times exactly the run's work:
 *
 * <pre>
 *   loss ← f(model, batch)                    inside one arena scope, reused by the next step
 *   backward
 *   clip to global L2 norm (when clip > 0)    torch.nn.utils.clip_grad_norm_
 *   optimizer step; zero grads
 * </pre>
 */
public final class TrainStep {
  private TrainStep() {}

  /**
   * The configured optimizer over the trainable parameters; under {@code weight_decay_on: matmul}
   * only Linear weights decay (minGPT's configure_optimizers, model.py 226–257).
   */
  public static Optimizer newOptimizer(TrainConfig cfg, LanguageModel model, Map<String, Tensor> trainable) {
    Optimizer o = cfg.newOptimizer(trainable);
    if (cfg.weightDecayOn() == TrainConfig.WeightDecayOn.MATMUL) o.decayOnly(linearWeights(model, trainable));
    return o;
  }

  /** The names of the weights of every Linear layer (minGPT's whitelist: nn.Linear weights) that train. */
  static List<String> linearWeights(LanguageModel model, Map<String, Tensor> trainable) {
    List<String> out = new ArrayList<>();
    for (var e : model.namedModules().entrySet()) {
      if (!(e.getValue() instanceof lmlab.nn.Linear)) continue;
      String name = e.getKey().isEmpty() ? "weight" : e.getKey() + ".weight";
      if (trainable.containsKey(name)) out.add(name);
    }
    return out;
  }

  /**
   * Runs one update and returns the loss before it. A loss that is not finite is returned without
   * a backward pass or an update (the caller stops the run).
   */
  public static double run(Arena arena, Supplier<Tensor> lossOfBatch, Collection<Tensor> params, double clip,
      Optimizer optimizer) {
    try (Arena.Scope step = arena.open()) {
      Tensor loss = lossOfBatch.get();
      double value = loss.item();
      if (!Double.isFinite(value)) return value;
      loss.backward();
      if (clip > 0) GradClip.clip(params, clip);
      optimizer.step();
      optimizer.zeroGrad();
      return value;
    }
  }
}
