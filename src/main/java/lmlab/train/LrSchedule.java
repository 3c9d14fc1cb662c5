package lmlab.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The learning rate as a function of the step (0-based: the rate step t's update uses). */
public sealed interface LrSchedule {
  double lr(long step);

  /** The schedule as the run's config.json holds it. */
  ObjectNode toJson();

  /** The same rate at every step. */
  record Constant(double lr) implements LrSchedule {
    @Override
    public double lr(long step) {
      return lr;
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("schedule", "constant");
      return o;
    }
  }

  /**
   * Linear warm-up, then cosine decay to minLr (as minGPT / nanoGPT):
   * <pre>
   *   lr(t) = maxLr · (t + 1) / warmup                                  t < warmup
   *   lr(t) = minLr + ½ (maxLr − minLr) (1 + cos(π · (t − warmup) / (total − warmup)))
   *                                                                     warmup ≤ t ≤ total
   *   lr(t) = minLr                                                     t > total
   * </pre>
   * total is the number of steps over which the decay runs (the run's step count).
   */
  record WarmupCosine(double maxLr, double minLr, long warmup, long total) implements LrSchedule {
    public WarmupCosine {
      if (warmup < 0) throw new IllegalArgumentException("schedule: warmup steps must be >= 0, got " + warmup);
      if (!(minLr >= 0 && minLr <= maxLr)) {
        throw new IllegalArgumentException("schedule: min lr must be in [0, lr], got " + minLr);
      }
    }

    @Override
    public double lr(long t) {
      if (t < warmup) return maxLr * (t + 1) / warmup;
      if (t > total || total <= warmup) return minLr;
      double progress = (double) (t - warmup) / (total - warmup);
      return minLr + 0.5 * (maxLr - minLr) * (1 + Math.cos(Math.PI * progress));
    }

    @Override
    public ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("schedule", "cosine");
      o.put("warmup_steps", warmup);
      o.put("min_lr", minLr);
      return o;
    }
  }
}
