package lmlab.prompting;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The GSM8K in-context-learning experiment of prompting.md: G groups of P test questions asked in
 * one prompt, zero-shot and with demonstrations (optionally also with the answer schema), R
 * seeded repeats, against one or more endpoints; every request and reply recorded as it
 * happens, then the reports.
 */
public final class IclExperiment {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private final IclSettings settings;
  private final OpenAiClient client;
  private final PrintWriter log;

  public IclExperiment(IclSettings settings, OpenAiClient client, PrintWriter log) {
    this.settings = settings;
    this.client = client;
    this.log = log;
  }

  /**
   * Runs every request not yet successfully recorded in {@code dir} (all of them in a new
   * directory), then writes the reports. Returns 0 when every request succeeded, else 2.
   */
  public int run(Path dir) throws IOException {
    List<Gsm8k.Problem> train = Gsm8k.load(settings.data(), "train");
    List<Gsm8k.Problem> evaluated = settings.split().equals("train") ? train : Gsm8k.load(settings.data(), settings.split());
    Map<Integer, QuestionPlan> plans = new LinkedHashMap<>();
    for (IclSettings.Condition c : settings.conditions())
      plans.computeIfAbsent(c.shots(), d -> settings.ids().isEmpty()
          ? QuestionPlan.sample(evaluated, train, settings.perPrompt(), settings.groups(), d, settings.seed())
          : QuestionPlan.of(QuestionPlan.byIds(settings.ids(), settings.data()), train, settings.perPrompt(), d, settings.seed()));
    QuestionPlan base = plans.values().iterator().next();

    Set<String> done = new HashSet<>();
    for (JsonNode r : RunFiles.readRecords(dir))
      if (r.path("status").asText().equals("ok")) done.add(key(r.path("endpoint").asText(), r.path("condition").asText(),
          r.path("group").asInt(), r.path("repeat").asInt()));

    try (RunFiles files = new RunFiles(dir)) {
      ObjectNode config = config(base, plans);
      files.writeConfig(config);
      for (Endpoint e : settings.endpoints()) {
        EndpointSession session = new EndpointSession(e, client, log);
        session.check();
        for (IclSettings.Condition c : settings.conditions()) {
          QuestionPlan plan = plans.get(c.shots());
          for (int g = 0; g < plan.groups().size(); g++) {
            List<ChatMessage> messages = Prompts.messages(plan.groups().get(g), plan.demonstrations());
            for (int r = 0; r < settings.repeats(); r++) {
              if (done.contains(key(e.name(), c.name(), g, r))) continue;
              long seed = settings.seed() + r;
              ObjectNode body = body(e, messages, c.structured(), seed);
              Exchange x = session.send(settings.completions() ? "/completions" : "/chat/completions", body);
              ObjectNode rec = record(e, c, g, r, seed, x, plan.groups().get(g));
              files.append(rec);
              log.println(progress(rec));
            }
          }
        }
      }
    }
    List<JsonNode> records = RunFiles.readRecords(dir);
    IclReport.write(dir, RunFiles.readConfig(dir), records);
    return IclReport.allSucceeded(RunFiles.readConfig(dir), records) ? 0 : 2;
  }

  static String key(String endpoint, String condition, int group, int repeat) {
    return endpoint + "\u0000" + condition + "\u0000" + group + "\u0000" + repeat;
  }

  private ObjectNode body(Endpoint e, List<ChatMessage> messages, boolean structured, long seed) {
    ObjectNode b = F.objectNode();
    b.put("model", e.model());
    if (settings.completions()) {
      b.put("prompt", Prompts.completionPrompt(messages));
      b.putArray("stop").add(Prompts.COMPLETION_STOP);
    } else {
      ArrayNode m = b.putArray("messages");
      for (ChatMessage cm : messages) m.addObject().put("role", cm.role()).put("content", cm.content());
    }
    b.put("temperature", settings.temperature());
    b.put("top_p", settings.topP());
    b.put("max_tokens", settings.maxTokens());
    b.put("seed", seed);
    if (structured) b.set("response_format", AnswerSchema.responseFormat(settings.perPrompt()));
    return b;
  }

  /** One line of requests.jsonl: what was sent where, what came back, and what it meant. */
  private ObjectNode record(Endpoint e, IclSettings.Condition c, int g, int r, long seed, Exchange x, List<Gsm8k.Problem> group) {
    ObjectNode rec = F.objectNode();
    rec.put("endpoint", e.name()).put("url", e.baseUrl().toString()).put("model", e.model());
    rec.put("condition", c.name()).put("shots", c.shots()).put("structured", c.structured());
    rec.put("group", g).put("repeat", r).put("seed", seed);
    String content = x.ok() ? ReplyFields.content(x.body(), settings.completions()) : null;
    String status = x.status();
    String error = x.error();
    if (x.ok() && content == null) {
      status = "invalid_reply";
      error = "reply has no " + (settings.completions() ? "choices[0].text" : "choices[0].message.content");
    }
    rec.put("status", status).put("http_status", x.httpStatus()).put("attempts", x.attempts());
    rec.put("latency_ms", Math.round(x.latencyMs() * 10) / 10.0);
    if (x.body() != null) {
      rec.put("request_id", x.body().path("id").asText(null));
      rec.put("finish_reason", x.body().path("choices").path(0).path("finish_reason").asText(null));
      JsonNode u = x.body().get("usage");
      if (u != null && u.isObject()) rec.set("usage", u);
    }
    rec.put("reply", content);
    if (content != null) {
      ParsedReply p = ReplyParser.parse(content, group.size());
      rec.set("parse", RunFiles.RECORDS.valueToTree(p));
      rec.set("scores", RunFiles.RECORDS.valueToTree(QuestionScore.score(p, group.stream().map(Gsm8k.Problem::goldAnswer).toList())));
    }
    rec.put("error", error);
    return rec;
  }

  private static String progress(ObjectNode rec) {
    String what = rec.path("endpoint").asText() + " " + rec.path("condition").asText() + " group " + rec.path("group").asInt()
        + " repeat " + rec.path("repeat").asInt() + ": ";
    if (!rec.path("status").asText().equals("ok")) return what + rec.path("error").asText();
    int answered = 0;
    int correct = 0;
    for (JsonNode s : rec.path("scores")) {
      if (!s.path("answer").isNull()) answered++;
      if (s.path("correct").asBoolean()) correct++;
    }
    return what + String.format(java.util.Locale.ROOT, "%.1f s, %d/%d answered, %d correct, %s",
        rec.path("latency_ms").asDouble() / 1000, answered, rec.path("scores").size(), correct,
        rec.path("parse").path("strict_valid").asBoolean() ? "strict-valid" : "not strict-valid");
  }

  private ObjectNode config(QuestionPlan base, Map<Integer, QuestionPlan> plans) {
    ObjectNode c = F.objectNode();
    c.put("kind", "gsm8k");
    ArrayNode eps = c.putArray("endpoints");
    for (Endpoint e : settings.endpoints()) {
      ObjectNode o = eps.addObject().put("name", e.name()).put("url", e.baseUrl().toString()).put("model", e.model());
      if (e.apiKeyEnv() != null) o.put("api_key_env", e.apiKeyEnv());
    }
    c.put("api", settings.completions() ? "completions" : "chat");
    ArrayNode conds = c.putArray("conditions");
    for (IclSettings.Condition k : settings.conditions())
      conds.addObject().put("name", k.name()).put("shots", k.shots()).put("structured", k.structured());
    c.put("per_prompt", settings.perPrompt()).put("groups", settings.groups()).put("repeats", settings.repeats());
    c.put("split", settings.split()).put("seed", settings.seed()).put("data", settings.data().toString());
    c.put("temperature", settings.temperature()).put("top_p", settings.topP()).put("max_tokens", settings.maxTokens());
    c.put("timeout_s", settings.timeout().toSeconds());
    ArrayNode seeds = c.putArray("request_seeds");
    for (int r = 0; r < settings.repeats(); r++) seeds.add(settings.seed() + r);
    ArrayNode groups = c.putArray("questions");
    for (List<Gsm8k.Problem> g : base.groups()) {
      ArrayNode ga = groups.addArray();
      for (Gsm8k.Problem p : g)
        ga.addObject().put("id", p.id()).put("gold", p.goldAnswer()).put("gold_difficulty", p.goldDifficulty())
            .put("gold_steps", p.goldSteps().size());
    }
    ObjectNode demos = c.putObject("demonstrations");
    ObjectNode hashes = c.putObject("prompt_sha256");
    for (Map.Entry<Integer, QuestionPlan> en : plans.entrySet()) {
      ArrayNode d = demos.putArray(String.valueOf(en.getKey()));
      for (List<Gsm8k.Problem> demo : en.getValue().demonstrations()) {
        ArrayNode da = d.addArray();
        for (Gsm8k.Problem p : demo) da.add(p.id());
      }
    }
    for (IclSettings.Condition k : settings.conditions()) {
      if (k.structured()) continue;
      ArrayNode h = hashes.putArray(k.name());
      QuestionPlan plan = plans.get(k.shots());
      for (List<Gsm8k.Problem> g : plan.groups()) {
        List<ChatMessage> m = Prompts.messages(g, plan.demonstrations());
        String text = settings.completions() ? Prompts.completionPrompt(m) : RunFiles.JSON.valueToTree(m).toString();
        h.add(sha256(text));
      }
    }
    return c;
  }

  static String sha256(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
