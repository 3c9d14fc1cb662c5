package lmlab.lab.text;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lmlab.lab.LabTask;
import lmlab.lab.TaskType;

/**
 * The text task in the registry ({@code --task text}): keys data, train_fraction, block_size,
 * eval_windows, stages and the sample settings. Its runs default to minGPT's chargpt training
 * (text.md, "chargpt training defaults"): model chargpt, AdamW lr 5e-4, betas (0.9, 0.95), weight
 * decay 0.1 on Linear weights only, batch 64 drawn with replacement, clipping 1.0, 600 iterations
 * (steps 601), evaluation every 100 steps, seed 3407.
 */
public final class TextTaskType implements TaskType {
  public static final String NAME = "text";

  private static final Set<String> KEYS = new LinkedHashSet<>(List.of("data", "train_fraction", "block_size",
      "eval_windows", "stages", "sample_prompt", "sample_chars", "sample_period", "sample_temperature", "sample_top_k"));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> keys() {
    return KEYS;
  }

  @Override
  public String defaultModel() {
    return "chargpt";
  }

  @Override
  public Map<String, Object> trainDefaults() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", 601); // chargpt.py / the course's max_iters = 600 iterations
    m.put("batch_size", 64); // trainer.py 24
    m.put("batch_sampling", "replacement"); // RandomSampler(replacement=True)
    m.put("lr", 5e-4); // chargpt.py 36
    m.put("beta1", 0.9); // trainer.py 25-27
    m.put("beta2", 0.95);
    m.put("eps", 1e-8);
    m.put("weight_decay", 0.1);
    m.put("weight_decay_on", "matmul"); // model.py 226-257
    m.put("clip", 1.0); // trainer.py 28
    m.put("schedule", "constant");
    m.put("eval_period", 100);
    m.put("eval_first", 0);
    m.put("seed", 3407); // chargpt.py 24
    return m;
  }

  @Override
  public LabTask create(Map<String, Object> settings, long seed) {
    for (String k : settings.keySet()) {
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown text task key '" + k + "'; keys: " + String.join(", ", KEYS));
      }
    }
    return new TextTask(TextConfig.fromMap(settings), seed);
  }

  @Override
  public LabTask restore(Map<String, Object> recorded) {
    Map<String, Object> m = new LinkedHashMap<>(recorded);
    Object sha = m.remove("data_sha256");
    m.remove("data_chars");
    m.remove("vocab_size");
    Object seed = m.remove("seed");
    TextTask t = new TextTask(TextConfig.fromMap(m), seed instanceof Number n ? n.longValue() : 0);
    if (sha != null && !sha.equals(t.data().sha256())) {
      throw new IllegalArgumentException("data file " + t.config().data() + " has changed since the run started (SHA-256 "
          + t.data().sha256() + ", the run recorded " + sha + ")");
    }
    return t;
  }
}
