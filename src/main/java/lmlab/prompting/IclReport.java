package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The reports of a GSM8K run (prompting.md, Runs and reports), computed only from {@code
 * config.json} and {@code requests.jsonl}, so {@code lmlab prompt report DIR} rebuilds them:
 * the summary per endpoint × condition, the per-question table, and the zero- vs few-shot lines.
 * Replies are parsed again from their raw text, so the reports follow the current parser.
 */
public final class IclReport {
  private IclReport() {}

  /** One question of the run. */
  record Question(String id, String gold, String goldDifficulty, int goldSteps, int group, int index) {}

  /** What one (endpoint, condition, group, repeat) produced: a parsed reply or a failure. */
  record Cell(JsonNode record, ParsedReply parsed) {
    boolean ok() {
      return record != null && record.path("status").asText().equals("ok") && parsed != null;
    }
  }

  /** The summary metrics of one endpoint × condition. */
  public record ConditionMetrics(
      String endpoint, String model, String condition, int questions, int repeats, int replies,
      double strictFormat, double usable, double accuracyMean, double accuracyStd, double flexibleMean,
      double flexibleStd, double consistency, double majorityVote, double difficultyAgreement, double meanSteps,
      double goldMeanSteps, double promptTokens, double completionTokens, double latencyMeanS, double latencyMedianS,
      int failed, int nonNumericAnswers) {}

  public static boolean allSucceeded(JsonNode config, List<JsonNode> records) {
    Map<String, JsonNode> latest = latest(records);
    int expected = config.path("endpoints").size() * config.path("conditions").size() * config.path("groups").asInt()
        * config.path("repeats").asInt();
    long ok = latest.values().stream().filter(r -> r.path("status").asText().equals("ok")).count();
    return ok == expected;
  }

  /** The last successful record of each request, else its last record. */
  static Map<String, JsonNode> latest(List<JsonNode> records) {
    Map<String, JsonNode> m = new HashMap<>();
    for (JsonNode r : records) {
      String k = IclExperiment.key(r.path("endpoint").asText(), r.path("condition").asText(), r.path("group").asInt(),
          r.path("repeat").asInt());
      JsonNode prev = m.get(k);
      if (prev == null || !prev.path("status").asText().equals("ok") || r.path("status").asText().equals("ok")) m.put(k, r);
    }
    return m;
  }

  public static void write(Path dir, JsonNode config, List<JsonNode> records) throws IOException {
    int perPrompt = config.path("per_prompt").asInt();
    int repeats = config.path("repeats").asInt();
    List<Question> questions = new ArrayList<>();
    JsonNode groups = config.path("questions");
    for (int g = 0; g < groups.size(); g++)
      for (int q = 0; q < groups.get(g).size(); q++) {
        JsonNode n = groups.get(g).get(q);
        questions.add(new Question(n.path("id").asText(), n.path("gold").asText(), n.path("gold_difficulty").asText(),
            n.path("gold_steps").asInt(), g, q + 1));
      }
    Map<String, JsonNode> latest = latest(records);
    Map<String, ParsedReply> parsed = new HashMap<>();

    Table summary = new Table(List.of("endpoint", "model", "condition", "questions", "repeats", "strict-format %",
        "usable %", "accuracy", "flexible accuracy", "consistency", "majority-vote accuracy", "difficulty agreement",
        "mean steps (gold)", "prompt tokens", "completion tokens", "latency s (mean / median)", "failed requests"));
    List<String> perQHeader = new ArrayList<>(List.of("question", "endpoint", "condition", "gold", "gold difficulty"));
    for (int r = 0; r < repeats; r++) perQHeader.add("answer r" + r);
    perQHeader.addAll(List.of("correct", "difficulties", "steps"));
    Table perQuestion = new Table(perQHeader);
    List<ConditionMetrics> metrics = new ArrayList<>();

    for (JsonNode e : config.path("endpoints")) {
      String ep = e.path("name").asText();
      for (JsonNode cond : config.path("conditions")) {
        String cn = cond.path("name").asText();
        Cell[][] cells = new Cell[groups.size()][repeats];
        for (int g = 0; g < groups.size(); g++)
          for (int r = 0; r < repeats; r++) {
            JsonNode rec = latest.get(IclExperiment.key(ep, cn, g, r));
            ParsedReply p = null;
            if (rec != null && rec.path("reply").isTextual())
              p = parsed.computeIfAbsent(rec.path("reply").asText() + "\u0000" + perPrompt,
                  k -> ReplyParser.parse(rec.path("reply").asText(), perPrompt));
            cells[g][r] = new Cell(rec, p);
          }
        ConditionMetrics m = metrics(ep, e.path("model").asText(), cn, questions, cells, repeats);
        metrics.add(m);
        summary.add(summaryRow(m));
        for (Question q : questions) perQuestion.add(perQuestionRow(q, ep, cn, cells[q.group()], repeats));
      }
    }
    List<String> zeroFew = zeroVsFew(metrics);

    StringBuilder md = new StringBuilder("# GSM8K in-context learning\n\n");
    md.append("Split ").append(config.path("split").asText()).append(", seed ").append(config.path("seed").asLong())
        .append(", ").append(questions.size()).append(" questions in ").append(groups.size()).append(" group(s) of ")
        .append(perPrompt).append(", ").append(repeats).append(" repeats (request seeds ")
        .append(config.path("request_seeds").toString()).append("), temperature ")
        .append(config.path("temperature").asDouble()).append(", API ").append(config.path("api").asText()).append(".\n\n");
    md.append("## Summary\n\n").append(summary.markdown()).append('\n');
    md.append("## Per question\n\n").append(perQuestion.markdown()).append('\n');
    md.append("## Zero- vs few-shot\n\n");
    for (String l : zeroFew) md.append("- ").append(l).append('\n');
    if (zeroFew.isEmpty()) md.append("(no pair of zero- and few-shot conditions)\n");

    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.set("summary", RunFiles.RECORDS.valueToTree(metrics));
    json.set("per_question", tableJson(perQuestion));
    ArrayNode zf = json.putArray("zero_vs_few");
    zeroFew.forEach(zf::add);

    RunFiles.writeAtomically(dir.resolve("report.md"), md.toString());
    RunFiles.writeAtomically(dir.resolve("report.csv"), summary.csv());
    RunFiles.writeAtomically(dir.resolve("report.json"), RunFiles.PRETTY.writeValueAsString(json) + "\n");
  }

  static ArrayNode tableJson(Table t) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    for (List<String> row : t.rows()) {
      ObjectNode o = a.addObject();
      for (int i = 0; i < row.size(); i++) o.put(t.header().get(i), row.get(i));
    }
    return a;
  }

  private static ConditionMetrics metrics(String ep, String model, String cn, List<Question> qs, Cell[][] cells, int repeats) {
    int replies = 0, strict = 0, usable = 0, failed = 0, nonNumeric = 0;
    List<Double> promptTokens = new ArrayList<>(), completionTokens = new ArrayList<>(), latency = new ArrayList<>();
    for (Cell[] row : cells)
      for (Cell c : row) {
        if (!c.ok()) {
          failed++;
          continue;
        }
        replies++;
        if (c.parsed().strictValid()) strict++;
        if (c.parsed().usable()) usable++;
        for (ParsedReply.QuestionAnswer a : c.parsed().answers())
          if ("final_answer not numeric".equals(a.note())) nonNumeric++;
        JsonNode u = c.record().path("usage");
        if (u.path("prompt_tokens").isNumber()) promptTokens.add(u.path("prompt_tokens").asDouble());
        if (u.path("completion_tokens").isNumber()) completionTokens.add(u.path("completion_tokens").asDouble());
        latency.add(c.record().path("latency_ms").asDouble() / 1000);
      }
    double[] acc = new double[repeats], flex = new double[repeats];
    int consistent = 0, majority = 0, answered = 0, agree = 0, steps = 0, goldSteps = 0;
    for (Question q : qs) {
      goldSteps += q.goldSteps();
      List<String> answers = new ArrayList<>();
      for (int r = 0; r < repeats; r++) {
        ParsedReply.QuestionAnswer a = answer(cells[q.group()][r], q.index());
        answers.add(a == null ? null : a.answer());
        if (a == null) continue;
        if (Extraction.correct(a.answer(), q.gold())) acc[r] += 1.0 / qs.size();
        if (Extraction.correct(a.answerFlexible(), q.gold())) flex[r] += 1.0 / qs.size();
        if (a.answer() != null) {
          answered++;
          steps += a.steps();
          if (q.goldDifficulty().equals(a.difficulty())) agree++;
        }
      }
      if (answers.stream().allMatch(x -> x != null) && answers.stream().distinct().count() == 1) consistent++;
      String vote = majority(answers);
      if (Extraction.correct(vote, q.gold())) majority++;
    }
    return new ConditionMetrics(ep, model, cn, qs.size(), repeats, replies, ratio(strict, replies), ratio(usable, replies),
        mean(acc), std(acc), mean(flex), std(flex), ratio(consistent, qs.size()), ratio(majority, qs.size()),
        ratio(agree, answered), ratio(steps, answered), ratio(goldSteps, qs.size()), mean(promptTokens),
        mean(completionTokens), mean(latency), median(latency), failed, nonNumeric);
  }

  static ParsedReply.QuestionAnswer answer(Cell c, int q) {
    return c.ok() ? c.parsed().answerTo(q) : null;
  }

  /** The answer more frequent than any other, or null (ties and no answers count as none). */
  static String majority(List<String> answers) {
    Map<String, Integer> counts = new HashMap<>();
    for (String a : answers) if (a != null) counts.merge(a, 1, Integer::sum);
    String best = null;
    int bestN = 0;
    boolean tie = false;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (e.getValue() > bestN) {
        best = e.getKey();
        bestN = e.getValue();
        tie = false;
      } else if (e.getValue() == bestN) {
        tie = true;
      }
    }
    return tie ? null : best;
  }

  private static List<String> summaryRow(ConditionMetrics m) {
    return List.of(m.endpoint(), m.model(), m.condition(), "" + m.questions(), "" + m.repeats(), pct(m.strictFormat()),
        pct(m.usable()), f3(m.accuracyMean()) + " ± " + f3(m.accuracyStd()), f3(m.flexibleMean()) + " ± " + f3(m.flexibleStd()),
        f3(m.consistency()), f3(m.majorityVote()), f3(m.difficultyAgreement()),
        f1(m.meanSteps()) + " (" + f1(m.goldMeanSteps()) + ")", f1(m.promptTokens()), f1(m.completionTokens()),
        f2(m.latencyMeanS()) + " / " + f2(m.latencyMedianS()), "" + m.failed());
  }

  private static List<String> perQuestionRow(Question q, String ep, String cn, Cell[] row, int repeats) {
    List<String> cells = new ArrayList<>(List.of(q.id(), ep, cn, q.gold(), q.goldDifficulty()));
    StringBuilder correct = new StringBuilder();
    List<String> diffs = new ArrayList<>(), steps = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      Cell c = row[r];
      if (!c.ok()) {
        cells.add(c.record() == null ? "ERR missing" : "ERR " + c.record().path("status").asText());
        correct.append('✗');
        diffs.add("—");
        steps.add("—");
        continue;
      }
      ParsedReply.QuestionAnswer a = c.parsed().answerTo(q.index());
      cells.add(a == null || a.answer() == null ? "—" : a.answer());
      correct.append(a != null && Extraction.correct(a.answer(), q.gold()) ? '✓' : '✗');
      diffs.add(a == null || a.difficulty() == null ? "—" : a.difficulty());
      steps.add(a == null ? "—" : "" + a.steps());
    }
    cells.add(correct.toString());
    cells.add(String.join(" ", diffs));
    cells.add(String.join(" ", steps));
    return cells;
  }

  /** Few-shot against zero-shot per endpoint (structured variants against each other). */
  static List<String> zeroVsFew(List<ConditionMetrics> ms) {
    List<String> out = new ArrayList<>();
    for (ConditionMetrics zero : ms) {
      if (!zero.condition().startsWith("zero-shot")) continue;
      boolean structured = zero.condition().endsWith(" structured");
      for (ConditionMetrics few : ms) {
        if (!few.endpoint().equals(zero.endpoint()) || !few.condition().startsWith("few-shot")
            || few.condition().endsWith(" structured") != structured) continue;
        out.add(String.format(Locale.ROOT,
            "%s: %s vs %s: strict-format %s pp, accuracy %s, consistency %s, prompt tokens per request %s, completion"
                + " tokens %s; non-numeric final answers: %s %d, %s %d",
            zero.endpoint(), few.condition(), zero.condition(), signed(100 * (few.strictFormat() - zero.strictFormat()), 1),
            signed(few.accuracyMean() - zero.accuracyMean(), 3), signed(few.consistency() - zero.consistency(), 3),
            signed(few.promptTokens() - zero.promptTokens(), 1), signed(few.completionTokens() - zero.completionTokens(), 1),
            zero.condition(), zero.nonNumericAnswers(), few.condition(), few.nonNumericAnswers()));
      }
    }
    return out;
  }

  static double ratio(int a, int b) {
    return b == 0 ? Double.NaN : (double) a / b;
  }

  static double mean(double[] v) {
    return v.length == 0 ? Double.NaN : Arrays.stream(v).sum() / v.length;
  }

  /** Population standard deviation (divide by n), as arithmetic.md. */
  static double std(double[] v) {
    double m = mean(v);
    return v.length == 0 ? Double.NaN : Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / v.length);
  }

  static double mean(List<Double> v) {
    return mean(v.stream().mapToDouble(Double::doubleValue).toArray());
  }

  static double median(List<Double> v) {
    if (v.isEmpty()) return Double.NaN;
    double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static String pct(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", 100 * v);
  }

  static String f1(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
  }

  static String f2(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2f", v);
  }

  static String f3(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
  }

  static String signed(double v, int decimals) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%+." + decimals + "f", v);
  }
}
