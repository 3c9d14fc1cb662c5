package lmlab.prompting;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which questions a GSM8K run asks (prompting.md, Sampling): G groups of P evaluated questions
 * from the evaluated split, and D demonstrations of P train questions shared by every group. The
 * demonstrations never include an evaluated question, nor a train question with the same text.
 *
 * @param groups evaluated problems, one list of P per group
 * @param demonstrations D lists of P train problems (empty for zero-shot only)
 */
public record QuestionPlan(List<List<Gsm8k.Problem>> groups, List<List<Gsm8k.Problem>> demonstrations) {

  /**
   * Samples a plan. {@code evaluated} is the evaluated split, {@code train} the train split (the
   * same list when the evaluated split is train).
   */
  public static QuestionPlan sample(
      List<Gsm8k.Problem> evaluated, List<Gsm8k.Problem> train, int perPrompt, int groupCount, int shots, long seed) {
    if (perPrompt < 1) throw new IllegalArgumentException("--per-prompt must be at least 1, got " + perPrompt);
    if (groupCount < 1) throw new IllegalArgumentException("--groups must be at least 1, got " + groupCount);
    int k = perPrompt * groupCount;
    if (k > evaluated.size())
      throw new IllegalArgumentException(k + " evaluated questions (--per-prompt " + perPrompt + " x --groups "
          + groupCount + ") are more than the " + evaluated.size() + " of the " + splitName(evaluated) + " split");
    int[] idx = Sampler.sample(evaluated.size(), k, seed);
    List<List<Gsm8k.Problem>> groups = new ArrayList<>();
    for (int g = 0; g < groupCount; g++) {
      List<Gsm8k.Problem> group = new ArrayList<>();
      for (int q = 0; q < perPrompt; q++) group.add(evaluated.get(idx[g * perPrompt + q]));
      groups.add(List.copyOf(group));
    }
    return withDemonstrations(groups, train, perPrompt, shots, seed);
  }

  /** A plan for given evaluated questions (cut into groups of P), with sampled demonstrations. */
  public static QuestionPlan of(List<Gsm8k.Problem> questions, List<Gsm8k.Problem> train, int perPrompt, int shots, long seed) {
    List<List<Gsm8k.Problem>> groups = new ArrayList<>();
    for (int i = 0; i < questions.size(); i += perPrompt) groups.add(List.copyOf(questions.subList(i, i + perPrompt)));
    return withDemonstrations(groups, train, perPrompt, shots, seed);
  }

  /** Looks questions up by {@code split:index}; an unknown id is an error naming it and the split's range. */
  public static List<Gsm8k.Problem> byIds(List<String> ids, java.nio.file.Path data) {
    java.util.Map<String, List<Gsm8k.Problem>> splits = new java.util.HashMap<>();
    List<Gsm8k.Problem> out = new ArrayList<>();
    for (String id : ids) {
      String[] parts = id.strip().split(":");
      int index;
      try {
        if (parts.length != 2) throw new NumberFormatException();
        index = Integer.parseInt(parts[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--ids: '" + id + "' is not a question id (expected SPLIT:INDEX, e.g. test:779)");
      }
      if (!parts[0].equals("test") && !parts[0].equals("train"))
        throw new IllegalArgumentException("--ids: '" + id + "' names split '" + parts[0] + "'; expected test or train");
      List<Gsm8k.Problem> split = splits.computeIfAbsent(parts[0], s -> Gsm8k.load(data, s));
      if (index < 0 || index >= split.size())
        throw new IllegalArgumentException("--ids: " + id + " is not in GSM8K (the " + parts[0] + " split has "
            + split.size() + " questions, " + parts[0] + ":0 to " + parts[0] + ":" + (split.size() - 1) + ")");
      out.add(split.get(index));
    }
    return out;
  }

  private static QuestionPlan withDemonstrations(
      List<List<Gsm8k.Problem>> groups, List<Gsm8k.Problem> train, int perPrompt, int shots, long seed) {
    List<Gsm8k.Problem> pool = demonstrationPool(groups, train);
    int d = perPrompt * shots;
    if (d > pool.size())
      throw new IllegalArgumentException(shots + " demonstrations of " + perPrompt + " questions need " + d
          + " train questions, more than the " + pool.size() + " available");
    int[] pos = Sampler.sample(pool.size(), d, seed + 1);
    List<List<Gsm8k.Problem>> demos = new ArrayList<>();
    for (int s = 0; s < shots; s++) {
      List<Gsm8k.Problem> demo = new ArrayList<>();
      for (int q = 0; q < perPrompt; q++) demo.add(pool.get(pos[s * perPrompt + q]));
      demos.add(List.copyOf(demo));
    }
    return new QuestionPlan(List.copyOf(groups), List.copyOf(demos));
  }

  /** Train questions in index order, minus evaluated ones (and same-text ones) when evaluating train. */
  static List<Gsm8k.Problem> demonstrationPool(List<List<Gsm8k.Problem>> groups, List<Gsm8k.Problem> train) {
    Set<Integer> excludedIndex = new HashSet<>();
    Set<String> excludedText = new HashSet<>();
    for (List<Gsm8k.Problem> g : groups)
      for (Gsm8k.Problem p : g)
        if (p.split().equals("train")) {
          excludedIndex.add(p.index());
          excludedText.add(p.question());
        }
    List<Gsm8k.Problem> pool = new ArrayList<>();
    for (Gsm8k.Problem p : train)
      if (!excludedIndex.contains(p.index()) && !excludedText.contains(p.question())) pool.add(p);
    return pool;
  }

  private static String splitName(List<Gsm8k.Problem> split) {
    return split.isEmpty() ? "empty" : split.get(0).split();
  }

  public int perPrompt() {
    return groups.get(0).size();
  }
}
