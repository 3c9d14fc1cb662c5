package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lmlab.lab.text.TextFixtures;
import lmlab.train.RunDirectory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 1 and 3 (text.md): every char-* experiment at the tiny scale (5 iterations per stage,
 * 4 windows) runs through sweep run and experiment report, with a small chargpt-shaped model
 * (1 layer, d 48, n_q 6, so d_h 8) on a small text; the run ids, the per-update logs, the
 * figures and tables of the spec exist, and char-gqa's K + V bytes are 2·B·S·n_kv·d_h·4 per layer.
 */
class TextExperimentsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Path run(Path tmp, String name) throws IOException {
    ObjectNode d;
    try (InputStream in = TextExperimentsTest.class.getResourceAsStream("/lmlab/experiments/" + name + ".json")) {
      d = (ObjectNode) JSON.readTree(in);
    }
    d.put("runs_dir", tmp.resolve(name).toString());
    Path file = tmp.resolve(name + ".json");
    Files.writeString(file, d.toString());
    Path data = TextFixtures.text(Files.createDirectories(tmp.resolve("data")), 6000);
    MainTest.Run r = MainTest.run("sweep", "run", file.toString(), "--scale", "tiny", "--set", "data=" + data,
        "--set", "set.num_hidden_layers=1", "--set", "set.hidden_size=48", "--set", "batch_size=4", "--set", "sample_chars=20");
    assertThat(r.code()).as(r.err()).isZero();
    Path dir = tmp.resolve(name);
    MainTest.Run rep = MainTest.run("experiment", "report", dir.toString());
    assertThat(rep.code()).as(rep.err()).isZero();
    return dir;
  }

  static List<String> ids(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode r : JSON.readTree(dir.resolve("sweep.json").toFile()).get("runs")) out.add(r.get("id").asText());
    return out;
  }

  static void hasFigures(Path dir, String... ids) {
    for (String id : ids) {
      assertThat(dir.resolve("report/figures/" + id + ".png")).as(id).isRegularFile();
      assertThat(dir.resolve("report/figures/" + id + ".svg")).as(id).isRegularFile();
    }
  }

  @Test
  void charRopeAndCharContext(@TempDir Path tmp) throws IOException {
    Path rope = run(tmp, "char-rope");
    assertThat(ids(rope)).containsExactly("learned-kv6", "rope-kv6");
    hasFigures(rope, "rope-loss");
    assertThat(rope.resolve("report/tables/rope-summary.md")).isRegularFile();
    assertThat(RunDirectory.readLines(rope.resolve("rope-kv6/steps.jsonl"))).hasSize(5);
    assertThat(Files.readString(rope.resolve("report/report.md"))).contains("Sample of rope-kv6 at step 5");
    JsonNode cfg = JSON.readTree(rope.resolve("rope-kv6/config.json").toFile());
    assertThat(cfg.path("model").path("config").path("position").asText()).isEqualTo("rope");

    Path ctx = run(tmp, "char-context");
    assertThat(ids(ctx)).containsExactly("learned-kv6-S128+256", "rope-kv6-S128+256");
    hasFigures(ctx, "context-loss", "context-val");
    assertThat(ctx.resolve("report/tables/context-summary.md")).isRegularFile();
    List<ObjectNode> steps = RunDirectory.readLines(ctx.resolve("learned-kv6-S128+256/steps.jsonl"));
    assertThat(steps.stream().map(l -> l.get("block_size").asInt()).toList()).containsExactly(128, 128, 128, 128, 128, 256, 256,
        256, 256, 256);
    List<ObjectNode> evals = RunDirectory.readLines(ctx.resolve("learned-kv6-S128+256/metrics.jsonl"));
    assertThat(evals.stream().map(l -> l.get("step").asInt()).toList()).containsExactly(0, 5, 10);
    assertThat(evals.getLast().has("val_loss_S128") && evals.getLast().has("val_loss_S256")).isTrue();
    // samples after each stage
    assertThat(Files.readAllLines(ctx.resolve("rope-kv6-S128+256/samples.jsonl"))).hasSize(2);
  }

  @Test
  void charGqaKvBytesAreTheFormulaAndLinearInNkv(@TempDir Path tmp) throws IOException {
    Path gqa = run(tmp, "char-gqa");
    assertThat(ids(gqa)).containsExactly("learned-kv1", "learned-kv6"); // tiny: the first and last grid values
    hasFigures(gqa, "gqa-memory-per-iteration", "gqa-memory", "gqa-time", "gqa-loss");
    assertThat(gqa.resolve("report/tables/gqa-summary.md")).isRegularFile();
    long core = -1;
    for (int nkv : new int[] {1, 6}) {
      List<ObjectNode> steps = RunDirectory.readLines(gqa.resolve("learned-kv" + nkv + "/steps.jsonl"));
      assertThat(steps).hasSize(5);
      for (ObjectNode l : steps) {
        assertThat(l.get("kv_bytes").asLong()).isEqualTo(2L * 4 * 128 * nkv * 8 * 4); // 2·B·S·n_kv·d_h·4
        if (core < 0) core = l.get("attn_core_bytes").asLong();
        assertThat(l.get("attn_core_bytes").asLong()).as("flat in n_kv").isEqualTo(core);
        assertThat(l.get("step_alloc_bytes").asLong()).isPositive();
        assertThat(l.get("peak_live_bytes").asLong()).isGreaterThan(l.get("step_alloc_bytes").asLong());
      }
      JsonNode logs = JSON.readTree(gqa.resolve("learned-kv" + nkv + "/train_logs.json").toFile());
      assertThat(logs.get("attention_computation_memory").get(0).asDouble()).isEqualTo(core / (1024.0 * 1024.0));
      assertThat(gqa.resolve("learned-kv" + nkv + "/memory.json")).isRegularFile();
    }
  }

  /** Six runs, each a fresh JVM (about a minute on CI's two cores): slow profile; char-rope, char-context and char-gqa stay in the default suite. */
  @Test
  @Tag("slow")
  void char2026(@TempDir Path tmp) throws IOException {
    Path h = run(tmp, "char-2026");
    assertThat(ids(h)).containsExactly("learned-kv6-S16+256", "learned-kv2-S16+256", "rope-kv6-S16+256", "rope-kv2-S16+256",
        "learned-kv1-S16", "learned-kv3-S16");
    hasFigures(h, "handout-5.4-loss", "handout-5.5-attention-time", "handout-5.6-gqa-loss", "handout-5.7-loss");
    assertThat(Files.readString(h.resolve("report/report.md"))).contains("5.1/5.2: rope, n_kv 6");
  }
}
