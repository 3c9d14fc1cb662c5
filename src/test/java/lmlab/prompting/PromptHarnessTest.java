package lmlab.prompting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code lmlab prompt gsm8k|contrast|report} end to end against scripted OpenAI-compatible
 * endpoints on 127.0.0.1: records, reports, retries, skips, timeouts and exit status
 * (prompting.md, Failures and Checks), and the one-line errors for bad input.
 */
@Timeout(60)
class PromptHarnessTest {
  static final String GOOD = "{\"answers\": [{\"question_id\": 1, \"reasoning_process\": [\"a\", \"b\", \"c\"], \"final_answer\": 255, \"difficulty\": \"hard\"},"
      + " {\"question_id\": 2, \"reasoning_process\": [\"x\"], \"final_answer\": 1170, \"difficulty\": \"easy\"},"
      + " {\"question_id\": 3, \"reasoning_process\": [\"y\"], \"final_answer\": 40, \"difficulty\": \"hard\"}]}";

  @TempDir Path tmp;

  @BeforeAll
  static void data() {
    assumeTrue(Files.exists(PromptingFixturesTest.DATA.resolve("gsm8k_test.jsonl")), "skipped: ../shared/data/gsm8k_test.jsonl absent");
  }

  record Run(int exit, String out, String err) {}

  static Run lmlab(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  static List<JsonNode> records(Path dir) throws IOException {
    return RunFiles.readRecords(dir);
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void gsm8kEndToEndRecordsScoresAndReports() throws IOException {
    try (FakeOpenAi api = new FakeOpenAi("tiny", body -> GOOD)) {
      Path out = tmp.resolve("run");
      Run r = lmlab("prompt", "icl", "--endpoint", api.url(), "--model", "tiny", "--repeats", "2", "--structured", "--out", out.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      List<JsonNode> recs = records(out);
      assertThat(recs).hasSize(8); // 4 conditions x 1 group x 2 repeats
      assertThat(api.requests).hasSize(8);
      JsonNode first = api.requests.get(0);
      assertThat(first.path("seed").asLong()).isZero();
      assertThat(api.requests.get(1).path("seed").asLong()).isEqualTo(1);
      assertThat(first.path("messages").size()).isEqualTo(2);
      assertThat(api.requests.get(2).path("messages").size()).isEqualTo(6);
      assertThat(first.path("temperature").asDouble()).isEqualTo(0.7);
      assertThat(first.has("response_format")).isFalse();
      assertThat(api.requests.get(4).path("response_format").path("json_schema").path("name").asText()).isEqualTo("gsm8k_answers");
      assertThat(recs.get(0).path("status").asText()).isEqualTo("ok");
      assertThat(recs.get(0).path("request_id").asText()).isEqualTo("chatcmpl-test");
      assertThat(recs.get(0).path("parse").path("strict_valid").asBoolean()).isTrue();
      assertThat(recs.get(0).path("scores").path(2).path("correct").asBoolean()).isFalse();
      JsonNode config = RunFiles.readConfig(out);
      assertThat(config.path("questions").path(0).path(0).path("id").asText()).isEqualTo("test:779");
      assertThat(config.path("demonstrations").path("2").path(0).path(0).asText()).isEqualTo("train:2268");
      assertThat(config.path("prompt_sha256").path("zero-shot").path(0).asText()).hasSize(64);
      String md = Files.readString(out.resolve("report.md"));
      // 2 of 3 correct in both repeats; difficulty agrees for test:779 and test:876 (hard), not test:805 (medium)
      assertThat(md).contains("| A | tiny | zero-shot | 3 | 2 | 100.0 | 100.0 | 0.667 ± 0.000 | 0.667 ± 0.000 | 1.000 | 0.667 | 0.667 |");
      assertThat(md).contains("| test:876 | A | few-shot | 41 | hard | 40 | 40 | ✗✗ | hard hard | 1 1 |");
      assertThat(md).contains("A: few-shot vs zero-shot: strict-format +0.0 pp, accuracy +0.000");
      assertThat(Files.readString(out.resolve("report.csv"))).startsWith("endpoint,model,condition,");
      assertThat(RunFiles.JSON.readTree(out.resolve("report.json").toFile()).path("summary").size()).isEqualTo(4);

      // the reports are rebuilt from the records alone
      Files.delete(out.resolve("report.md"));
      assertThat(lmlab("prompt", "report", out.toString()).exit()).isZero();
      assertThat(Files.readString(out.resolve("report.md"))).isEqualTo(md);
    }
  }

  @Test
  void retriesThenRecordsFailuresKeepsOthersAndExits2() throws IOException {
    try (FakeOpenAi api = new FakeOpenAi("tiny", body -> GOOD)) {
      api.then(503, Map.of("Retry-After", "0"), "{\"error\": {\"message\": \"Server busy\"}}", 0)
          .then(429, Map.of("Retry-After", "0"), "{}", 0)
          .thenContent(GOOD)
          .then(400, Map.of(), "{\"error\": {\"message\": \"Invalid type for 'temperature'\", \"type\": \"invalid_request_error\"}}", 0)
          .then(200, Map.of(), "<html>not json</html>", 0);
      Path out = tmp.resolve("run");
      int dead = closedPort();
      Run r = lmlab("prompt", "gsm8k", "--endpoint", "good=" + api.url(), "--endpoint", "dead=http://127.0.0.1:" + dead + "/v1",
          "--model", "tiny", "--shots", "0", "--repeats", "3", "--out", out.toString());
      assertThat(r.exit()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).contains("lmlab: endpoint dead (http://127.0.0.1:" + dead + "/v1): connection refused");
      List<JsonNode> recs = records(out);
      assertThat(recs).hasSize(6);
      assertThat(recs.get(0).path("status").asText()).isEqualTo("ok");
      assertThat(recs.get(0).path("attempts").asInt()).isEqualTo(3);
      assertThat(recs.get(1).path("status").asText()).isEqualTo("http_error");
      assertThat(recs.get(1).path("attempts").asInt()).isEqualTo(1);
      assertThat(recs.get(1).path("error").asText()).isEqualTo("HTTP 400: Invalid type for 'temperature'");
      assertThat(recs.get(2).path("status").asText()).isEqualTo("invalid_reply");
      assertThat(recs.get(2).path("error").asText()).isEqualTo("reply is not JSON: <html>not json</html>");
      for (int i = 3; i < 6; i++) {
        assertThat(recs.get(i).path("endpoint").asText()).isEqualTo("dead");
        assertThat(recs.get(i).path("error").asText()).isEqualTo("skipped: endpoint unreachable");
      }
      assertThat(api.requestCount()).isEqualTo(5);
      String md = Files.readString(out.resolve("report.md"));
      assertThat(md).contains("| test:779 | good | zero-shot | 255 | hard | 255 | ERR http_error | ERR invalid_reply |");
      assertThat(md).contains("| dead | tiny | zero-shot | 3 | 3 | – | – |");

      // --resume reruns only what has no successful record
      Run again = lmlab("prompt", "gsm8k", "--endpoint", "good=" + api.url(), "--endpoint", "dead=" + api.url(),
          "--model", "tiny", "--shots", "0", "--repeats", "3", "--resume", out.toString());
      assertThat(again.exit()).as(again.err()).isZero();
      assertThat(api.requestCount()).isEqualTo(5 + 5);
    }
  }

  @Test
  void threeConnectionFailuresMarkAnEndpointDown() {
    OpenAiClient client = new OpenAiClient(java.time.Duration.ofSeconds(5), d -> {});
    StringWriter log = new StringWriter();
    Endpoint e;
    try {
      e = new Endpoint("X", Endpoint.parseUrl("X", "http://127.0.0.1:" + closedPort() + "/v1"), "m", null);
    } catch (IOException ex) {
      throw new AssertionError(ex);
    }
    EndpointSession s = new EndpointSession(e, client, new PrintWriter(log, true));
    var body = RunFiles.JSON.createObjectNode();
    for (int i = 0; i < 3; i++) {
      Exchange x = s.send("/chat/completions", body);
      assertThat(x.status()).isEqualTo("connection_failed");
      assertThat(x.attempts()).isEqualTo(OpenAiClient.MAX_TRIES);
      assertThat(x.error()).isEqualTo("connection refused (after 5 tries)");
    }
    assertThat(s.down()).isTrue();
    assertThat(s.send("/chat/completions", body).status()).isEqualTo("skipped");
    assertThat(log.toString()).contains("marked down after 3 consecutive connection failures");
  }

  @Test
  void aStalledReplyIsRecordedAsTimeout() throws IOException {
    try (FakeOpenAi api = new FakeOpenAi("tiny", body -> GOOD)) {
      api.then(200, Map.of(), FakeOpenAi.reply(GOOD, false), 3000);
      Path out = tmp.resolve("run");
      Run r = lmlab("prompt", "gsm8k", "--endpoint", api.url(), "--model", "tiny", "--shots", "0", "--repeats", "2",
          "--timeout", "0.5", "--out", out.toString());
      assertThat(r.exit()).isEqualTo(2);
      List<JsonNode> recs = records(out);
      assertThat(recs.get(0).path("status").asText()).isEqualTo("timeout");
      assertThat(recs.get(0).path("error").asText()).startsWith("timeout: no reply within");
      assertThat(recs.get(1).path("status").asText()).isEqualTo("ok");
    }
  }

  @Test
  void badInputIsOneLineAndExit1() throws IOException {
    Run url = lmlab("prompt", "icl", "--endpoint", "htp:/nowhere", "--model", "m", "--out", tmp.resolve("a").toString());
    assertThat(url.exit()).isEqualTo(1);
    assertThat(url.err().strip()).isEqualTo("lmlab: endpoint A: 'htp:/nowhere' is not an http(s) URL (expected http://host:port/v1)");

    Run id = lmlab("prompt", "icl", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--ids", "test:1,test:2,test:5000",
        "--out", tmp.resolve("b").toString());
    assertThat(id.exit()).isEqualTo(1);
    assertThat(id.err().strip()).isEqualTo("lmlab: --ids: test:5000 is not in GSM8K (the test split has 1319 questions, test:0 to test:1318)");

    Run shots = lmlab("prompt", "icl", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--shots", "0,2500",
        "--out", tmp.resolve("c").toString());
    assertThat(shots.exit()).isEqualTo(1);
    assertThat(shots.err().strip()).isEqualTo("lmlab: 2500 demonstrations of 3 questions need 7500 train questions, more than the 7473 available");

    Run data = lmlab("prompt", "icl", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--data", tmp.toString(),
        "--out", tmp.resolve("d").toString());
    assertThat(data.exit()).isEqualTo(1);
    assertThat(data.err().strip()).isEqualTo("lmlab: GSM8K data not found: " + tmp.resolve("gsm8k_train.jsonl")
        + " (expected gsm8k_train.jsonl, --data DIR)");

    Run key = lmlab("prompt", "icl", "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--api-key-env", "LMLAB_TEST_NO_SUCH_VAR",
        "--out", tmp.resolve("e").toString());
    assertThat(key.exit()).isEqualTo(1);
    assertThat(key.err().strip()).isEqualTo("lmlab: endpoint A: environment variable LMLAB_TEST_NO_SUCH_VAR (--api-key-env) is not set");
    assertThat(Files.exists(tmp.resolve("a"))).isFalse();
  }

  @Test
  void contrastHoldsAndShowsEveryReply() throws IOException {
    try (FakeOpenAi a = new FakeOpenAi("big", body -> "Let me think. The answer is 42.");
        FakeOpenAi b = new FakeOpenAi("small", body -> "It is 41.")) {
      Path out = tmp.resolve("contrast");
      String keyVar = System.getenv("HOME") != null ? "HOME" : "PATH";
      Run r = lmlab("prompt", "contrast", "--prompt", "What is 6*7?", "--answer", "42", "--endpoints", a.url() + "," + b.url(),
          "--models", "big,small", "--api-key-env", "A=" + keyVar, "--out", out.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err()).contains("contrast holds: A 3/3, B 0/3");
      assertThat(a.authorizations).containsOnly("Bearer " + System.getenv(keyVar));
      assertThat(b.authorizations).containsOnly((String) null);
      assertThat(a.requests.get(2).path("seed").asLong()).isEqualTo(2);
      assertThat(a.requests.get(0).path("messages").get(0).path("content").asText()).isEqualTo("What is 6*7?");
      String md = Files.readString(out.resolve("report.md"));
      assertThat(md).contains("| B | small | 1 | 1 | It is 41. | 41 | ✗ |");
      assertThat(md).contains("**contrast holds: A 3/3, B 0/3**");
      assertThat(md).contains("```\nLet me think. The answer is 42.\n```");
      String config = Files.readString(out.resolve("config.json"));
      assertThat(config).contains("\"api_key_env\" : \"" + keyVar + "\"").doesNotContain(System.getenv(keyVar));
    }
  }
}
