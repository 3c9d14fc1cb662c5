package lmlab.lab;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One entry of the task registry ({@link Tasks}): a name (and aliases), the settings keys it
 * reads, and how it builds a task from them. Settings are plain values (numbers, strings, lists)
 * from flags, a --config file, a sweep, or a run's config.json.
 */
public interface TaskType {
  /** The name given to {@code --task} (e.g. "arith"). */
  String name();

  /** Other names that select it (e.g. "arithmetic", the name recorded in older config.json files). */
  default List<String> aliases() {
    return List.of();
  }

  /** The model preset a run of this task trains unless --model says otherwise. */
  default String defaultModel() {
    return "gpt";
  }

  /**
   * Train settings (TrainConfig keys) this task's runs default to, over the course defaults
   * (arithmetic.md) and under the user's (e.g. the text task's minGPT optimizer and batch).
   */
  default Map<String, Object> trainDefaults() {
    return Map.of();
  }

  /** The settings keys of this task (flags and config keys), besides the run's seed. */
  Set<String> keys();

  /**
   * A task from user settings (keys of {@link #keys()}; missing ones take the defaults) and the
   * run's seed. Errors are IllegalArgumentExceptions naming the key and what was expected.
   */
  LabTask create(Map<String, Object> settings, long seed);

  /** The task recorded in a run's config.json ("task", without "name"), for resuming the run. */
  LabTask restore(Map<String, Object> recorded);
}
