package lmlab.lab.text;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The text task's settings (text.md): the data file, the split, the block size or a stage
 * schedule, the evaluation window cap and the samples (minGPT's: prompt "O God, O God!", 500
 * characters, τ 1.0, top-k 10).
 *
 * @param stages null: one stage at blockSize for the whole run
 * @param evalWindows at most this many windows per split and block size (0: every window)
 * @param samplePeriod also sample every this many steps (0: only at the end of each stage)
 */
public record TextConfig(Path data, double trainFraction, int blockSize, int evalWindows, List<Stage> stages,
    String samplePrompt, int sampleChars, int samplePeriod, double sampleTemperature, int sampleTopK) {

  public static final Set<String> KEYS = Set.of("data", "train_fraction", "block_size", "eval_windows", "stages",
      "sample_prompt", "sample_chars", "sample_period", "sample_temperature", "sample_top_k");
  /** Facts of the data recorded in config.json, checked when a run resumes. */
  static final Set<String> RECORDED = Set.of("data_sha256", "data_chars", "vocab_size", "seed");

  public static final String DEFAULT_DATA = "../shared/data/tinyshakespeare.txt";
  public static final int DEFAULT_BLOCK = 128;
  public static final String DEFAULT_PROMPT = "O God, O God!";

  public TextConfig {
    if (data == null) throw new IllegalArgumentException("text task: give a data file (--data FILE)");
    if (!(trainFraction > 0 && trainFraction <= 1)) {
      throw new IllegalArgumentException("train_fraction must be in (0, 1], got " + trainFraction);
    }
    if (blockSize < 1) throw new IllegalArgumentException("block_size must be >= 1, got " + blockSize);
    if (evalWindows < 0) throw new IllegalArgumentException("eval_windows must be >= 0 (0: every window), got " + evalWindows);
    if (sampleChars < 0) throw new IllegalArgumentException("sample_chars must be >= 0, got " + sampleChars);
    if (samplePeriod < 0) throw new IllegalArgumentException("sample_period must be >= 0 (0: off), got " + samplePeriod);
    if (!(sampleTemperature > 0)) throw new IllegalArgumentException("sample_temperature must be > 0, got " + sampleTemperature);
    if (sampleTopK < 0) throw new IllegalArgumentException("sample_top_k must be >= 0 (0: off), got " + sampleTopK);
    if (samplePrompt == null || samplePrompt.isEmpty()) throw new IllegalArgumentException("sample_prompt must not be empty");
    stages = stages == null ? null : List.copyOf(stages);
  }

  /** The stages the run trains (one of blockSize when none are given; its iters then come from steps). */
  public boolean staged() {
    return stages != null;
  }

  /** The largest block size (S_max, the position table's length). */
  public int maxBlockSize() {
    if (stages == null) return blockSize;
    int m = 0;
    for (Stage s : stages) m = Math.max(m, s.blockSize());
    return m;
  }

  /** Every block size of the schedule, in first-use order. */
  public List<Integer> blockSizes() {
    if (stages == null) return List.of(blockSize);
    return stages.stream().map(Stage::blockSize).distinct().toList();
  }

  /** From settings (plain values); missing keys take the defaults. */
  public static TextConfig fromMap(Map<String, Object> m) {
    for (String k : m.keySet()) {
      if (!KEYS.contains(k) && !RECORDED.contains(k)) {
        throw new IllegalArgumentException("unknown text task key '" + k + "'; keys: " + String.join(", ", KEYS));
      }
    }
    List<Stage> stages = m.get("stages") == null ? null : Stage.parse(m.get("stages"));
    if (stages != null && m.get("block_size") != null) {
      throw new IllegalArgumentException("block_size " + m.get("block_size") + " and stages both given; "
          + "the stages' block sizes apply (leave block_size out)");
    }
    int block = stages != null ? stages.getFirst().blockSize() : (int) whole(m, "block_size", DEFAULT_BLOCK);
    return new TextConfig(Path.of(String.valueOf(m.getOrDefault("data", DEFAULT_DATA))),
        number(m, "train_fraction", 0.9), block, (int) whole(m, "eval_windows", 0), stages,
        String.valueOf(m.getOrDefault("sample_prompt", DEFAULT_PROMPT)), (int) whole(m, "sample_chars", 500),
        (int) whole(m, "sample_period", 0), number(m, "sample_temperature", 1.0), (int) whole(m, "sample_top_k", 10));
  }

  /** The settings as config.json's task records them. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("data", data.toString());
    m.put("train_fraction", trainFraction);
    if (stages == null) m.put("block_size", blockSize);
    else m.put("stages", stages.stream().map(Stage::toMap).toList());
    m.put("eval_windows", evalWindows);
    m.put("sample_prompt", samplePrompt);
    m.put("sample_chars", sampleChars);
    m.put("sample_period", samplePeriod);
    m.put("sample_temperature", sampleTemperature);
    m.put("sample_top_k", sampleTopK);
    return m;
  }

  private static long whole(Map<String, Object> m, String key, long dflt) {
    Object v = m.get(key);
    if (v == null) return dflt;
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        // below
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number, got " + v);
  }

  private static double number(Map<String, Object> m, String key, double dflt) {
    Object v = m.get(key);
    if (v == null) return dflt;
    if (v instanceof Number n) return n.doubleValue();
    if (v instanceof String s) {
      try {
        return Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        // below
      }
    }
    throw new IllegalArgumentException(key + " must be a number, got " + v);
  }
}
