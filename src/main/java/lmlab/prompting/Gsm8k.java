package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The GSM8K splits ({@code gsm8k_train.jsonl}, {@code gsm8k_test.jsonl}; Cobbe et al. 2021,
 * "Training Verifiers to Solve Math Word Problems") and the gold fields prompting.md derives from a
 * worked solution: the answer after the last {@code ####}, the steps without calculator
 * annotations, and a difficulty from the number of steps.
 */
public final class Gsm8k {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CALCULATOR = Pattern.compile("<<.*?>>");

  /** One problem, named by split and 0-based line number ({@code test:779}). */
  public record Problem(String split, int index, String question, String solution) {
    public String id() {
      return split + ":" + index;
    }

    /** The text after the last {@code ####}, stripped, thousands separators removed. */
    public String goldAnswer() {
      int at = solution.lastIndexOf("####");
      if (at < 0) throw new IllegalStateException("GSM8K " + id() + " has no '####' answer line");
      return solution.substring(at + 4).strip().replace(",", "");
    }

    /** The non-empty lines before {@code ####}, stripped, {@code <<…>>} annotations removed. */
    public List<String> goldSteps() {
      int at = solution.lastIndexOf("####");
      List<String> steps = new ArrayList<>();
      for (String line : solution.substring(0, Math.max(at, 0)).split("\n")) {
        String s = CALCULATOR.matcher(line.strip()).replaceAll("").strip();
        if (!s.isEmpty()) steps.add(s);
      }
      return steps;
    }

    /** easy for at most 2 steps, medium for 3-4, hard for 5 or more (prompting.md). */
    public String goldDifficulty() {
      return difficultyOf(goldSteps().size());
    }
  }

  public static String difficultyOf(int steps) {
    return steps <= 2 ? "easy" : steps <= 4 ? "medium" : "hard";
  }

  private Gsm8k() {}

  /** The file of a split inside the data folder. */
  public static Path file(Path dataDir, String split) {
    return dataDir.resolve("gsm8k_" + split + ".jsonl");
  }

  /**
   * Reads a split. A missing file or a malformed line is an {@link IllegalArgumentException}
   * naming the file (and line).
   */
  public static List<Problem> load(Path dataDir, String split) {
    if (!split.equals("train") && !split.equals("test"))
      throw new IllegalArgumentException("split '" + split + "' unknown: expected train or test");
    Path file = file(dataDir, split);
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("GSM8K data not found: " + file + " (expected gsm8k_" + split + ".jsonl, --data DIR)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Problem> problems = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      try {
        JsonNode n = JSON.readTree(lines.get(i));
        if (n == null || !n.path("question").isTextual() || !n.path("answer").isTextual())
          throw new IOException("expected an object with 'question' and 'answer' strings");
        problems.add(new Problem(split, i, n.get("question").asText(), n.get("answer").asText()));
      } catch (IOException e) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage());
      }
    }
    return problems;
  }
}
