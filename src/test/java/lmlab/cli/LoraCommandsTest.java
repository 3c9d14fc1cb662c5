package lmlab.cli;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import lmlab.cli.MainTest.Run;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.nn.lora.PeftAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 through the command line: forward with an adapter (and a quantised base) reproduces the
 * lora_adapter fixture (acceptance 1), merge, quantize, finetune with resume, bench finetune
 * (acceptance 3: QLoRA weight bytes <= 30% of float32), and one-line errors (acceptance 4).
 */
class LoraCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  static final Path GPT = ForwardCommandTest.fixtureDir("gpt");
  static final Path ADAPTER = GPT.resolveSibling("lora_adapter");

  private Run forward(String... extra) {
    String[] base = {"forward", "--model", GPT.toString(), "--input", ADAPTER.resolve("io.safetensors").toString(),
        "--out", tmp.resolve("out.safetensors").toString()};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return MainTest.run(all);
  }

  @Test
  void forwardWithTheAdapterReproducesLogitsAndLogitsQlora() throws IOException {
    SafetensorsFile io = Safetensors.read(ADAPTER.resolve("io.safetensors"));
    Run r = forward("--adapter", ADAPTER.toString());
    assertThat(r.code()).as(r.err()).isZero();
    try (SafetensorsFile o = Safetensors.read(tmp.resolve("out.safetensors"))) {
      assertMatchesFixture(io, "logits", o.tensor("logits"));
      assertMatchesFixture(io, "loss", o.tensor("loss"));
    }
    Run q = forward("--adapter", ADAPTER.toString(), "--quantize", "nf4-dq");
    assertThat(q.code()).as(q.err()).isZero();
    try (SafetensorsFile o = Safetensors.read(tmp.resolve("out.safetensors"))) {
      assertMatchesFixture(io, "logits_qlora", o.tensor("logits"));
    }
  }

  @Test
  void mergeWritesAPlainCheckpointWithTheAdaptedLogits() throws IOException {
    Path merged = tmp.resolve("merged");
    Run m = MainTest.run("merge", "--model", GPT.toString(), "--adapter", ADAPTER.toString(), "--out", merged.toString());
    assertThat(m.code()).as(m.err()).isZero();
    assertThat(m.err()).contains("8 adapted Linear modules merged");
    Run r = MainTest.run("forward", "--model", merged.toString(), "--input", ADAPTER.resolve("io.safetensors").toString(),
        "--out", tmp.resolve("m.safetensors").toString());
    assertThat(r.code()).as(r.err()).isZero();
    try (SafetensorsFile o = Safetensors.read(tmp.resolve("m.safetensors"))) {
      assertMatchesFixture(Safetensors.read(ADAPTER.resolve("io.safetensors")), "logits", o.tensor("logits"));
    }
  }

  @Test
  void quantizePrintsBytesAndErrorsAndWritesALoadableCheckpoint() throws IOException {
    Path q = tmp.resolve("q");
    Run r = MainTest.run("quantize", "--model", GPT.toString(), "--method", "nf4-dq", "--out", q.toString());
    assertThat(r.code()).as(r.err()).isZero();
    // 16 x 16 = 256 weights: 128 code bytes + 4 one-byte scale codes + one absmax2 + the offset
    assertThat(r.out()).contains("model.layers.0.self_attn.q_proj.weight").contains("           140 ")
        .contains("weight bytes: ");
    Run f = MainTest.run("forward", "--model", q.toString(), "--adapter", ADAPTER.toString(), "--input",
        ADAPTER.resolve("io.safetensors").toString(), "--out", tmp.resolve("q.safetensors").toString());
    assertThat(f.code()).as(f.err()).isZero();
    try (SafetensorsFile o = Safetensors.read(tmp.resolve("q.safetensors"))) {
      assertMatchesFixture(Safetensors.read(ADAPTER.resolve("io.safetensors")), "logits_qlora", o.tensor("logits"));
    }
    // quantised weights decode as they are: --weights bf16 on them is an error, not ignored
    Run bf16 = MainTest.run("generate", "--model", q.toString(), "--tokens", "1,2", "--max-new-tokens", "2", "--weights", "bf16");
    assertThat(bf16.code()).isNotZero();
    assertThat(bf16.err()).contains("holds quantised weights").contains("--weights bf16 needs a float32 or bf16 checkpoint");
  }

  /** generate --adapter decodes the adapted model: its greedy tokens are the adapted full forward's argmax. */
  @Test
  void generateWithTheAdapterFollowsTheAdaptedModel() throws IOException {
    Run g = MainTest.run("generate", "--model", GPT.toString(), "--adapter", ADAPTER.toString(), "--tokens", "1,2,3",
        "--max-new-tokens", "4", "--format", "json");
    assertThat(g.code()).as(g.err()).isZero();
    int[] got = JSON.convertValue(JSON.readTree(g.out()).get("sequences").get(0).get("tokens"), int[].class);
    lmlab.models.LanguageModel m = lmlab.models.Models.load(GPT);
    PeftAdapter.load(m, ADAPTER);
    m.eval();
    int[] seq = {1, 2, 3, 0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
      lmlab.tensor.Tensor logits;
      try (var ng = lmlab.autograd.Autograd.noGrad()) {
        logits = m.logits(lmlab.tensor.IntTensor.of(java.util.Arrays.copyOf(seq, 3 + i), 1, 3 + i));
      }
      int best = 0;
      for (int v = 1; v < 11; v++) if (logits.get(0, 2 + i, v) > logits.get(0, 2 + i, best)) best = v;
      seq[3 + i] = best;
    }
    assertThat(got).containsExactly(java.util.Arrays.copyOfRange(seq, 3, 7));
  }

  /** A tiny fine-tuning run on the p = 3 arithmetic vocabulary of gpt_arith: adapter-only checkpoints, then resume. */
  @Test
  void finetuneWritesAdapterCheckpointsAndResumes() throws IOException {
    Path base = ForwardCommandTest.fixtureDir("gpt_arith");
    Run r = MainTest.run("finetune", "--model", base.toString(), "--p", "3", "--operator", "-", "--lora-rank", "2",
        "--lora-targets", "q_proj,v_proj", "--quantize", "nf4-dq", "--steps", "6", "--eval-period", "2", "--eval-first", "0",
        "--batch-size", "4", "--runs-dir", tmp.toString(), "--run-name", "ft");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).contains("lmlab finetune: qlora of").contains("trainable parameters of");
    Path run = tmp.resolve("ft");
    Path ck = run.resolve("checkpoints/latest");
    assertThat(PeftAdapter.isAdapter(ck)).isTrue();
    assertThat(Files.exists(ck.resolve("model.safetensors"))).as("adapter only, no model copy").isFalse();
    JsonNode cfg = JSON.readTree(ck.resolve(PeftAdapter.CONFIG).toFile());
    assertThat(cfg.get("base_model_name_or_path").asText()).isEqualTo(base.toString());
    assertThat(cfg.get("r").asInt()).isEqualTo(2);
    long adapterParameters = 0;
    try (SafetensorsFile a = Safetensors.read(ck.resolve(PeftAdapter.WEIGHTS))) {
      assertThat(a.names()).hasSize(8);
      for (String n : a.names()) adapterParameters += a.tensor(n).numel();
    }
    // the quantised base's weights count among the model's parameters (frozen codes are still parameters)
    long all = lmlab.models.Models.load(base).numParameters() + adapterParameters;
    assertThat(r.err()).contains(String.format(java.util.Locale.ROOT, "%,d trainable parameters of %,d", adapterParameters, all));
    JsonNode rc = JSON.readTree(run.resolve("config.json").toFile());
    assertThat(rc.get("finetune").get("mode").asText()).isEqualTo("qlora");
    // the checkpoint runs as an adapter of its base
    Run f = MainTest.run("forward", "--model", base.toString(), "--quantize", "nf4-dq", "--adapter", ck.toString(),
        "--tokens", "0,1,2", "--out", tmp.resolve("f.safetensors").toString());
    assertThat(f.code()).as(f.err()).isZero();
    // so does the run directory (its best adapter, else its latest), with the same logits
    Run byRun = MainTest.run("forward", "--model", base.toString(), "--quantize", "nf4-dq", "--adapter", run.toString(),
        "--tokens", "0,1,2", "--out", tmp.resolve("g.safetensors").toString());
    assertThat(byRun.code()).as(byRun.err()).isZero();
    Path best = PeftAdapter.isAdapter(run.resolve("checkpoints/best")) ? run.resolve("checkpoints/best") : ck;
    Run byBest = MainTest.run("forward", "--model", base.toString(), "--quantize", "nf4-dq", "--adapter", best.toString(),
        "--tokens", "0,1,2", "--out", tmp.resolve("h.safetensors").toString());
    assertThat(byBest.code()).as(byBest.err()).isZero();
    try (SafetensorsFile g = Safetensors.read(tmp.resolve("g.safetensors"));
        SafetensorsFile h = Safetensors.read(tmp.resolve("h.safetensors"))) {
      assertThat(g.tensor("logits").toArray()).containsExactly(h.tensor("logits").toArray());
    }
    // the run as a model: one line saying how to run it
    assertOneLine(MainTest.run("generate", "--model", run.toString(), "--tokens", "0,1"), 1,
        "lmlab: --model " + run + " holds no model: it is a LoRA fine-tuning run whose checkpoints hold the adapter only"
            + " (forward, generate and merge run it as --model " + base + " --adapter " + run + " --quantize nf4-dq)");
    assertOneLine(MainTest.run("forward", "--model", base.toString(), "--adapter", base.toString(), "--tokens", "0,1",
        "--out", tmp.resolve("x.safetensors").toString()), 1, "lmlab: --adapter " + base + " holds no adapter: expected adapter_config.json");
    // a completed run resumes as done; a longer one is refused by nothing: resume continues from the checkpoint
    Run again = MainTest.run("finetune", "--resume", run.toString());
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.err()).contains("resuming " + run);
  }

  /** A training run's directory names its base: checkpoints/best when there is one, else checkpoints/latest. */
  @Test
  void finetuneTakesATrainingRunAsItsBase() throws IOException {
    Path arith = ForwardCommandTest.fixtureDir("gpt_arith");
    Path trained = tmp.resolve("trained");
    Path latest = Files.createDirectories(trained.resolve("checkpoints/latest"));
    Files.copy(arith.resolve("config.json"), trained.resolve("config.json"));
    for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(arith.resolve(f), latest.resolve(f));
    Run r = MainTest.run("finetune", "--model", trained.toString(), "--p", "3", "--lora-rank", "2", "--steps", "1",
        "--eval-first", "0", "--batch-size", "4", "--runs-dir", tmp.toString(), "--run-name", "from-run");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode rc = JSON.readTree(tmp.resolve("from-run/config.json").toFile());
    assertThat(rc.get("finetune").get("base").asText()).isEqualTo(latest.toString());
    Run none = MainTest.run("finetune", "--model", tmp.resolve("from-run").toString(), "--p", "3", "--lora-rank", "2",
        "--runs-dir", tmp.toString());
    assertOneLine(none, 1, "lmlab: --model " + tmp.resolve("from-run") + " holds no model");
  }

  @Test
  void benchFinetuneCountsWhatEachModeHolds() throws IOException {
    JsonNode full = JSON.readTree(MainTest.run("bench", "finetune", "--preset", "arith-gpt", "--mode", "full", "--steps", "1",
        "--warmup", "0", "--batch-size", "8").out());
    JsonNode lora = JSON.readTree(MainTest.run("bench", "finetune", "--preset", "arith-gpt", "--mode", "lora", "--steps", "1",
        "--warmup", "0", "--batch-size", "8").out());
    JsonNode qlora = JSON.readTree(MainTest.run("bench", "finetune", "--preset", "arith-gpt", "--mode", "qlora", "--steps", "1",
        "--warmup", "0", "--batch-size", "8").out());
    long p = full.get("parameters").asLong();
    assertThat(full.get("trainable_parameters").asLong()).isEqualTo(p);
    assertThat(full.get("optimizer_state_bytes").asLong()).isEqualTo(8 * p);
    // gpt preset: d = 128, 2 layers; r = 8 on q and v: 2 · 2 · 8 · (128 + 128)
    assertThat(lora.get("trainable_parameters").asLong()).isEqualTo(2L * 2 * 8 * 256);
    assertThat(lora.get("optimizer_state_bytes").asLong()).isEqualTo(8L * 2 * 2 * 8 * 256);
    assertThat(qlora.get("trainable_parameters").asLong()).isEqualTo(lora.get("trainable_parameters").asLong());
    assertThat(qlora.get("quantization_error").asDouble()).isBetween(0.01, 0.2);
    assertThat(qlora.get("weight_bytes").asLong()).isLessThan(lora.get("weight_bytes").asLong());
  }

  /** Acceptance 3: a QLoRA model holds at most 30 % of the float32 base's weight bytes (the engine's own count). */
  @Test
  void qloraHoldsAtMostThirtyPercentOfTheFloat32Weights() throws IOException {
    JsonNode q = JSON.readTree(MainTest.run("bench", "finetune", "--preset", "chargpt", "--mode", "qlora", "--steps", "1",
        "--warmup", "0", "--batch-size", "1").out());
    double share = q.get("weight_bytes").asDouble() / q.get("weight_bytes_f32").asDouble();
    assertThat(share).isLessThanOrEqualTo(0.30);
  }

  /** Acceptance 4: one line naming the module, the value or the file. */
  @Test
  void badInputIsOneLine() throws IOException {
    assertOneLine(MainTest.run("finetune", "--model", GPT.toString(), "--p", "3", "--lora-rank", "0"), 2,
        "lmlab: lora rank must be >= 1, got 0");
    Path arith = ForwardCommandTest.fixtureDir("gpt_arith");
    assertOneLine(MainTest.run("finetune", "--model", arith.toString(), "--p", "3", "--lora-rank", "4", "--lora-targets", "c_attn",
        "--runs-dir", tmp.toString()), 1, "lmlab: lora target 'c_attn' matches no module of the model");
    assertOneLine(MainTest.run("finetune", "--model", arith.toString(), "--p", "3", "--lora-rank", "4", "--lora-targets",
        "embed_tokens", "--runs-dir", tmp.toString()), 1, "lmlab: lora target 'embed_tokens' matches module 'model.embed_tokens'");
    try (var left = Files.list(tmp)) {
      assertThat(left).as("a refused start leaves no run directory").isEmpty();
    }
    assertOneLine(forward("--quantize", "absmax-m9"), 2, "lmlab: --quantize: quantisation method 'absmax-m9': m must be in 2..8, got 9");
    assertOneLine(MainTest.run("forward", "--model", ForwardCommandTest.fixtureDir("chargpt").toString(), "--adapter",
        ADAPTER.toString(), "--tokens", "1,2", "--out", tmp.resolve("x.safetensors").toString()), 1,
        "lmlab: " + ADAPTER.resolve(PeftAdapter.WEIGHTS) + ": tensor \"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\" has shape (4, 16), the base model needs (4, 12)");
    assertOneLine(MainTest.run("finetune", "--model", GPT.toString(), "--p", "31", "--lora-rank", "4"), 2,
        "lmlab: --task arith needs vocab_size 39");
  }

  private static void assertOneLine(Run r, int code, String start) {
    assertThat(r.code()).as(r.err()).isEqualTo(code);
    assertThat(r.err()).startsWith(start);
    String first = r.err().lines().findFirst().orElse("");
    assertThat(first).doesNotContain("Exception");
    if (code == 1) assertThat(r.err().lines().count()).as(r.err()).isEqualTo(1);
  }
}
