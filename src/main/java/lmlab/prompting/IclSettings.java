package lmlab.prompting;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Every setting of a GSM8K in-context-learning run (prompting.md, Runs and reports).
 *
 * @param shots demonstration counts to compare, 0 meaning zero-shot (default 0 and 2)
 * @param structured also run each mode with the answer schema as {@code response_format}
 * @param ids explicit evaluated questions ({@code test:779}) instead of sampled ones; empty to sample
 * @param completions use {@code /v1/completions} with the completion-mode prompt instead of chat
 */
public record IclSettings(
    List<Endpoint> endpoints,
    boolean completions,
    List<Integer> shots,
    boolean structured,
    int perPrompt,
    int groups,
    int repeats,
    String split,
    List<String> ids,
    long seed,
    Path data,
    double temperature,
    double topP,
    int maxTokens,
    Duration timeout) {

  public IclSettings {
    if (endpoints.isEmpty()) throw new IllegalArgumentException("--endpoint: at least one endpoint is needed");
    if (shots.isEmpty()) throw new IllegalArgumentException("--shots: at least one count is needed");
    for (int s : shots) if (s < 0) throw new IllegalArgumentException("--shots: " + s + " is negative; expected 0 (zero-shot) or more demonstrations");
    ids = List.copyOf(ids);
    if (!ids.isEmpty() && ids.size() % perPrompt != 0)
      throw new IllegalArgumentException("--ids: " + ids.size() + " questions do not split into groups of --per-prompt " + perPrompt);
    if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
    if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
    if (!(temperature >= 0 && temperature <= 2)) throw new IllegalArgumentException("--temperature must be in [0, 2], got " + temperature);
    if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
  }

  /** One condition: a demonstration count, with or without the schema. */
  public record Condition(int shots, boolean structured, String name) {}

  public List<Condition> conditions() {
    long fewCounts = shots.stream().filter(s -> s > 0).distinct().count();
    List<Condition> out = new java.util.ArrayList<>();
    for (boolean s : structured ? List.of(false, true) : List.of(false))
      for (int d : shots.stream().distinct().toList()) {
        String name = d == 0 ? "zero-shot" : fewCounts == 1 ? "few-shot" : "few-shot-" + d;
        out.add(new Condition(d, s, s ? name + " structured" : name));
      }
    return out;
  }
}
