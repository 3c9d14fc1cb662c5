package lmlab.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import lmlab.cli.Main;
import lmlab.prompting.RunFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The prompting harness end to end against {@code lmlab serve} (issue 19 acceptance 4, prompting.md
 * Checks): {@code lmlab prompt icl} zero- and few-shot, free and structured, against a random
 * character model served on 127.0.0.1. The answers are nonsense; the pipeline must not be: every
 * request recorded with the server's response id (found in the server's log), every structured
 * reply that ends with stop valid JSON of the answer schema (strict-valid but for the id rule a
 * schema cannot express), the reports written; a contrast run over two endpoints
 * of which one is down keeps the other's results and exits 2.
 */
@Timeout(900)
class PromptAgainstServeTest {
  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  static Run lmlab(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(cl.execute(args), out.toString(), err.toString());
  }

  @Test
  void gsm8kZeroAndFewShotFreeAndStructuredAgainstLmlabServe() throws Exception {
    assumeTrue(Files.exists(Path.of("../shared/data/gsm8k_test.jsonl")), "skipped: ../shared/data/gsm8k_test.jsonl absent");
    Path dir = TinyCheckpoints.charModel(tmp.resolve("tiny"), 2, 8192, 32, 2);
    List<String> log = new ArrayList<>();
    Handler h = new Handler() {
      @Override public void publish(LogRecord r) { synchronized (log) { log.add(r.getMessage()); } }
      @Override public void flush() { }
      @Override public void close() { }
    };
    ApiHandler.LOG.addHandler(h);
    try (ModelGenerator model = ModelGenerator.load(dir, null, "chatml", 2);
        LmlabServer server = new LmlabServer(model, ServeConfig.defaults().withSlots(2, 16).withPort(0)).start()) {
      Path out = tmp.resolve("run");
      Run r = lmlab("prompt", "icl", "--endpoint", "serve=" + server.baseUrl() + "/v1", "--model", "tiny", "--repeats", "2",
          "--shots", "0,1", "--structured", "--max-tokens", "1500", "--out", out.toString());
      assertThat(r.exit()).as(r.err()).isZero();
      List<JsonNode> recs = RunFiles.readRecords(out);
      assertThat(recs).hasSize(8); // zero/few x free/structured x 2 repeats
      int structuredStops = 0;
      for (JsonNode rec : recs) {
        assertThat(rec.path("status").asText()).isEqualTo("ok");
        String id = rec.path("request_id").asText();
        assertThat(id).startsWith("chatcmpl-");
        synchronized (log) {
          assertThat(log).anySatisfy(line -> assertThat(line).contains(" " + id + " 200 "));
        }
        if (rec.path("structured").asBoolean() && rec.path("finish_reason").asText().equals("stop")) {
          structuredStops++;
          // the schema holds for any model; the id rule beyond it (ids exactly 1..P) is the model's to follow
          JsonNode v = new com.fasterxml.jackson.databind.ObjectMapper().readTree(rec.path("reply").asText());
          assertThat(lmlab.prompting.SchemaValidator.validate(lmlab.prompting.AnswerSchema.schema(3), v)).isEmpty();
          for (JsonNode e : rec.path("parse").path("strict_errors"))
            assertThat(e.asText()).as(rec.path("reply").asText()).startsWith("/answers: question_id values must be 1..3");
        }
      }
      System.out.println("prompt icl against lmlab serve: " + structuredStops + " of 4 structured replies ended with stop");
      for (String f : new String[] {"config.json", "report.md", "report.csv", "report.json"}) assertThat(out.resolve(f)).exists();
      String md = Files.readString(out.resolve("report.md"));
      assertThat(md).contains("serve").contains("tiny");

      // contrast: one endpoint up (lmlab serve), one down: results kept, exit 2
      Path c = tmp.resolve("contrast");
      int down;
      try (var s = new java.net.ServerSocket(0)) {
        down = s.getLocalPort();
      }
      Run cr = lmlab("prompt", "contrast", "--prompt", "What is 6*7?", "--answer", "42", "--endpoint",
          "A=" + server.baseUrl() + "/v1", "--endpoint", "B=http://127.0.0.1:" + down + "/v1", "--models", "tiny,tiny",
          "--max-tokens", "20", "--out", c.toString());
      assertThat(cr.exit()).as(cr.err()).isEqualTo(2);
      assertThat(cr.err()).contains("endpoint B (http://127.0.0.1:" + down + "/v1)");
      List<JsonNode> crecs = RunFiles.readRecords(c);
      assertThat(crecs.stream().filter(x -> x.path("endpoint").asText().equals("A") && x.path("status").asText().equals("ok"))).hasSize(3);
      assertThat(c.resolve("report.md")).exists();
    } finally {
      ApiHandler.LOG.removeHandler(h);
    }
  }
}
