package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The contrast experiment of prompting.md: one single-user-message prompt sent R times to each
 * endpoint (seeds base + r), each reply judged by flexible-extract against a number or by a
 * regular expression, and a verdict saying whether one endpoint is right every time and the
 * other never.
 */
public final class ContrastExperiment {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * @param expectNumber the correct number (compared as a decimal), or null
   * @param expectRegex a pattern a correct reply contains, or null
   */
  public record Settings(
      String prompt, String system, List<Endpoint> endpoints, int repeats, double temperature, long seed,
      String expectNumber, String expectRegex, int maxTokens, Duration timeout) {
    public Settings {
      if (endpoints.size() < 2) throw new IllegalArgumentException("--endpoint: a contrast needs at least two endpoints, got " + endpoints.size());
      if ((expectNumber == null) == (expectRegex == null))
        throw new IllegalArgumentException("give exactly one of --expect-number (--answer) and --expect-regex");
      if (expectNumber != null && Extraction.decimal(expectNumber.strip()) == null)
        throw new IllegalArgumentException("--expect-number: '" + expectNumber + "' is not a number");
      if (expectRegex != null) {
        try {
          Pattern.compile(expectRegex);
        } catch (java.util.regex.PatternSyntaxException e) {
          throw new IllegalArgumentException("--expect-regex: '" + expectRegex + "' is not a regular expression: " + e.getDescription());
        }
      }
      if (repeats < 1) throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
      if (prompt.isBlank()) throw new IllegalArgumentException("--prompt: the prompt is empty");
      if (!(temperature >= 0 && temperature <= 2)) throw new IllegalArgumentException("--temperature must be in [0, 2], got " + temperature);
    }
  }

  private final Settings s;
  private final OpenAiClient client;
  private final PrintWriter log;

  public ContrastExperiment(Settings settings, OpenAiClient client, PrintWriter log) {
    this.s = settings;
    this.client = client;
    this.log = log;
  }

  /** Runs every request, recording each as it returns, then writes report.md/json. 0 if all succeeded, else 2. */
  public int run(Path dir) throws IOException {
    try (RunFiles files = new RunFiles(dir)) {
      files.writeConfig(config());
      for (Endpoint e : s.endpoints()) {
        EndpointSession session = new EndpointSession(e, client, log);
        session.check();
        for (int r = 0; r < s.repeats(); r++) {
          long seed = s.seed() + r;
          ObjectNode body = F.objectNode().put("model", e.model());
          var msgs = body.putArray("messages");
          if (s.system() != null) msgs.addObject().put("role", "system").put("content", s.system());
          msgs.addObject().put("role", "user").put("content", s.prompt());
          body.put("temperature", s.temperature()).put("max_tokens", s.maxTokens()).put("seed", seed);
          Exchange x = session.send("/chat/completions", body);
          ObjectNode rec = F.objectNode();
          rec.put("endpoint", e.name()).put("url", e.baseUrl().toString()).put("model", e.model());
          rec.put("condition", "contrast").put("group", 0).put("repeat", r).put("seed", seed);
          String content = x.ok() ? ReplyFields.content(x.body(), false) : null;
          rec.put("status", x.ok() && content == null ? "invalid_reply" : x.status()).put("http_status", x.httpStatus());
          rec.put("attempts", x.attempts()).put("latency_ms", Math.round(x.latencyMs() * 10) / 10.0);
          if (x.body() != null) {
            rec.put("request_id", x.body().path("id").asText(null));
            rec.put("finish_reason", x.body().path("choices").path(0).path("finish_reason").asText(null));
            if (x.body().path("usage").isObject()) rec.set("usage", x.body().get("usage"));
          }
          rec.put("reply", content);
          rec.put("error", x.ok() && content == null ? "reply has no choices[0].message.content" : x.error());
          files.append(rec);
          log.println(e.name() + " repeat " + r + ": " + (content != null ? oneLine(content, 80) : rec.path("error").asText()));
        }
      }
    }
    JsonNode config = RunFiles.readConfig(dir);
    List<JsonNode> records = RunFiles.readRecords(dir);
    String verdict = write(dir, config, records);
    log.println(verdict);
    return records.stream().allMatch(r -> r.path("status").asText().equals("ok")) && records.size() == s.endpoints().size() * s.repeats() ? 0 : 2;
  }

  private ObjectNode config() {
    ObjectNode c = F.objectNode().put("kind", "contrast");
    var eps = c.putArray("endpoints");
    for (Endpoint e : s.endpoints()) {
      ObjectNode o = eps.addObject().put("name", e.name()).put("url", e.baseUrl().toString()).put("model", e.model());
      if (e.apiKeyEnv() != null) o.put("api_key_env", e.apiKeyEnv());
    }
    c.put("prompt", s.prompt()).put("system", s.system()).put("repeats", s.repeats()).put("temperature", s.temperature());
    c.put("seed", s.seed()).put("expect_number", s.expectNumber()).put("expect_regex", s.expectRegex());
    c.put("max_tokens", s.maxTokens()).put("prompt_sha256", IclExperiment.sha256(s.prompt()));
    return c;
  }

  /** Whether a reply is correct, and the value extracted from it. */
  record Judgement(String extracted, boolean correct) {}

  static Judgement judge(JsonNode config, String reply) {
    if (reply == null) return new Judgement(null, false);
    JsonNode num = config.path("expect_number");
    if (num.isTextual()) {
      String v = Extraction.flexibleAnswer(reply);
      return new Judgement(v == null ? Extraction.INVALID : v, Extraction.correct(v, Extraction.decimal(num.asText().strip())));
    }
    boolean found = Pattern.compile(config.path("expect_regex").asText()).matcher(reply).find();
    return new Judgement(found ? "match" : "no match", found);
  }

  /** Writes report.md and report.json from the records; returns the verdict line. */
  public static String write(Path dir, JsonNode config, List<JsonNode> records) throws IOException {
    Table t = new Table(List.of("endpoint", "model", "repeat", "seed", "reply", "extracted", "correct", "latency s"));
    Map<String, int[]> counts = new LinkedHashMap<>();
    for (JsonNode e : config.path("endpoints")) counts.put(e.path("name").asText(), new int[2]);
    StringBuilder full = new StringBuilder();
    var rows = F.arrayNode();
    for (JsonNode r : records) {
      String reply = r.path("reply").isTextual() ? r.path("reply").asText() : null;
      Judgement j = judge(config, reply);
      int[] c = counts.computeIfAbsent(r.path("endpoint").asText(), k -> new int[2]);
      c[1]++;
      if (j.correct()) c[0]++;
      String shown = reply != null ? oneLine(reply, 120) : "ERR " + r.path("error").asText();
      t.add(List.of(r.path("endpoint").asText(), r.path("model").asText(), "" + r.path("repeat").asInt(),
          "" + r.path("seed").asLong(), shown, j.extracted() == null ? "—" : j.extracted(), j.correct() ? "✓" : "✗",
          String.format(Locale.ROOT, "%.2f", r.path("latency_ms").asDouble() / 1000)));
      full.append("### ").append(r.path("endpoint").asText()).append(", repeat ").append(r.path("repeat").asInt())
          .append(" (seed ").append(r.path("seed").asLong()).append(")\n\n");
      full.append(reply != null ? "```\n" + reply + "\n```\n\n" : "ERR " + r.path("error").asText() + "\n\n");
      rows.addObject().put("endpoint", r.path("endpoint").asText()).put("repeat", r.path("repeat").asInt())
          .put("extracted", j.extracted()).put("correct", j.correct());
    }
    String verdict = verdict(counts, config.path("repeats").asInt());
    StringBuilder md = new StringBuilder("# Contrast\n\nPrompt:\n\n```\n").append(config.path("prompt").asText())
        .append("\n```\n\nExpected: ")
        .append(config.path("expect_number").isTextual() ? "the number " + config.path("expect_number").asText()
            : "a match of /" + config.path("expect_regex").asText() + "/")
        .append("\n\n").append(t.markdown()).append("\n**").append(verdict).append("**\n\n## Replies\n\n").append(full);
    ObjectNode json = F.objectNode();
    json.set("rows", rows);
    json.put("verdict", verdict);
    RunFiles.writeAtomically(dir.resolve("report.md"), md.toString());
    RunFiles.writeAtomically(dir.resolve("report.json"), RunFiles.PRETTY.writeValueAsString(json) + "\n");
    return verdict;
  }

  /** "contrast holds" when one endpoint is right in all R repeats and another in none; else the counts. */
  static String verdict(Map<String, int[]> counts, int repeats) {
    List<String> parts = new ArrayList<>();
    boolean allRight = false, noneRight = false;
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      parts.add(e.getKey() + " " + e.getValue()[0] + "/" + repeats);
      allRight |= e.getValue()[0] == repeats;
      noneRight |= e.getValue()[0] == 0;
    }
    String c = String.join(", ", parts);
    return allRight && noneRight && counts.size() == 2 ? "contrast holds: " + c : c + ": not a clean contrast";
  }

  static String oneLine(String s, int max) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= max ? one : one.substring(0, max) + "…";
  }
}
