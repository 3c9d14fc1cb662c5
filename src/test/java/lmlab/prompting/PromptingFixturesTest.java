package lmlab.prompting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** prompting.md's deterministic steps against the fixtures of ../shared/fixtures/prompting, exactly. */
class PromptingFixturesTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path DATA = Path.of("../shared/data");

  static List<JsonNode> lines(String name) throws IOException {
    try (InputStream in = PromptingFixturesTest.class.getResourceAsStream("/fixtures/prompting/" + name)) {
      List<JsonNode> out = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
        if (!line.isBlank()) out.add(JSON.readTree(line));
      return out;
    }
  }

  @Test
  void samplerMatchesSamplingJson() throws IOException {
    JsonNode all;
    try (InputStream in = PromptingFixturesTest.class.getResourceAsStream("/fixtures/prompting/sampling.json")) {
      all = JSON.readTree(in);
    }
    assertThat(all.size()).isEqualTo(9);
    for (JsonNode c : all) {
      int[] got = Sampler.sample(c.get("n").asInt(), c.get("k").asInt(), c.get("seed").asLong());
      List<Integer> want = new ArrayList<>();
      c.get("indices").forEach(i -> want.add(i.asInt()));
      assertThat(got).as("seed %s", c.get("seed")).containsExactly(want.stream().mapToInt(i -> i).toArray());
    }
  }

  @Test
  void samplingMoreThanAvailableNamesBoth() {
    assertThatThrownBy(() -> Sampler.sample(5, 6, 0)).hasMessage("cannot sample 6 questions out of 5");
  }

  @Test
  void promptsMatchGsm8kPromptsJsonl() throws IOException {
    assumeTrue(Files.exists(DATA.resolve("gsm8k_test.jsonl")), "skipped: ../shared/data/gsm8k_test.jsonl absent");
    List<Gsm8k.Problem> test = Gsm8k.load(DATA, "test");
    List<Gsm8k.Problem> train = Gsm8k.load(DATA, "train");
    List<JsonNode> cases = lines("gsm8k_prompts.jsonl");
    assertThat(cases).hasSize(4);
    for (JsonNode c : cases) {
      String split = c.get("split").asText();
      QuestionPlan plan = QuestionPlan.sample(split.equals("test") ? test : train, train,
          c.get("per_prompt").asInt(), c.get("groups").asInt(), c.get("shots").asInt(), c.get("seed").asLong());
      List<Gsm8k.Problem> group = plan.groups().get(c.get("group").asInt());
      String what = "seed " + c.get("seed") + " group " + c.get("group");
      assertThat(group.stream().map(Gsm8k.Problem::index).toList()).as(what).isEqualTo(ints(c.get("eval_indices")));
      List<List<Integer>> demos = plan.demonstrations().stream().map(d -> d.stream().map(Gsm8k.Problem::index).toList()).toList();
      List<List<Integer>> wantDemos = new ArrayList<>();
      c.get("demo_indices").forEach(d -> wantDemos.add(ints(d)));
      assertThat(demos).as(what).isEqualTo(wantDemos);
      assertThat(group.stream().map(Gsm8k.Problem::goldAnswer).toList()).isEqualTo(texts(c.get("gold")));
      assertThat(group.stream().map(Gsm8k.Problem::goldDifficulty).toList()).isEqualTo(texts(c.get("gold_difficulty")));
      List<ChatMessage> zero = Prompts.messages(group, List.of());
      List<ChatMessage> few = Prompts.messages(group, plan.demonstrations());
      assertThat(zero).as(what).isEqualTo(messages(c.get("zero_shot_messages")));
      assertThat(few).as(what).isEqualTo(messages(c.get("few_shot_messages")));
      assertThat(Prompts.completionPrompt(zero)).isEqualTo(c.get("zero_shot_completion_prompt").asText());
      assertThat(Prompts.completionPrompt(few)).isEqualTo(c.get("few_shot_completion_prompt").asText());
    }
  }

  @Test
  void scoringCasesMatchExactly() throws IOException {
    List<JsonNode> cases = lines("scoring_cases.jsonl");
    assertThat(cases).hasSize(11);
    for (JsonNode c : cases) {
      String name = c.get("name").asText();
      int n = c.get("n").asInt();
      ParsedReply r = ReplyParser.parse(c.get("raw").asText(), n);
      assertThat(r.format()).as(name).isEqualTo(c.get("format").asText());
      assertThat(r.fenced()).as(name).isEqualTo(c.get("fenced").asBoolean());
      assertThat(r.trailingText()).as(name).isEqualTo(c.get("trailing_text").asBoolean());
      assertThat(r.strictValid()).as(name).isEqualTo(c.get("strict_valid").asBoolean());
      assertThat(r.strictErrors()).as(name).isEqualTo(texts(c.get("strict_errors")));
      assertThat(r.usable()).as(name).isEqualTo(c.get("usable").asBoolean());
      assertThat(r.errors()).as(name).isEqualTo(texts(c.get("errors")));
      List<ParsedReply.QuestionAnswer> want = new ArrayList<>();
      for (JsonNode a : c.get("answers"))
        want.add(new ParsedReply.QuestionAnswer(a.get("question_id").asInt(), text(a.get("answer")),
            text(a.get("answer_flexible")), text(a.get("difficulty")), a.get("steps").asInt(), text(a.get("note"))));
      assertThat(r.answers()).as(name).isEqualTo(want);
      List<String> gold = texts(c.get("gold"));
      List<QuestionScore> scores = QuestionScore.score(r, gold);
      List<QuestionScore> wantScores = new ArrayList<>();
      for (JsonNode s : c.get("scores"))
        wantScores.add(new QuestionScore(s.get("question_id").asInt(), s.get("gold").asText(), text(s.get("answer")),
            s.get("correct").asBoolean(), text(s.get("answer_flexible")), s.get("correct_flexible").asBoolean()));
      assertThat(scores).as(name).isEqualTo(wantScores);
    }
  }

  @Test
  void extractionCasesMatchExactly() throws IOException {
    for (JsonNode c : lines("extraction_cases.jsonl")) {
      String t = c.get("text").asText();
      assertThat(Extraction.strictMatch(t)).as(t).isEqualTo(c.get("strict_match").asText());
      assertThat(Extraction.flexibleExtract(t)).as(t).isEqualTo(c.get("flexible_extract").asText());
      assertThat(Extraction.normalise(Extraction.strictMatch(t))).as(t).isEqualTo(c.get("strict_normalised").asText());
      assertThat(Extraction.normalise(Extraction.flexibleExtract(t))).as(t).isEqualTo(c.get("flexible_normalised").asText());
    }
  }

  static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  static List<String> texts(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asText()));
    return out;
  }

  static List<Integer> ints(JsonNode a) {
    List<Integer> out = new ArrayList<>();
    a.forEach(x -> out.add(x.asInt()));
    return out;
  }

  static List<ChatMessage> messages(JsonNode a) {
    List<ChatMessage> out = new ArrayList<>();
    a.forEach(m -> out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText())));
    return out;
  }
}
