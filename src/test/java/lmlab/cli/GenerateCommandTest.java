package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import lmlab.autograd.Autograd;
import lmlab.cli.MainTest.Run;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.nn.ModuleCheckpoint;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import lmlab.tokenize.CharTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmlab generate} on a small character checkpoint (chargpt shape, random weights). */
class GenerateCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String CHARS = "\n !',.?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  @TempDir static Path tmp;
  static Path dir;

  @BeforeAll
  static void checkpoint() throws IOException {
    dir = tmp.resolve("ck");
    saveModel(dir, 5);
  }

  /** Σ log-softmax of a full forward pass over prompt + tokens, at the new tokens. */
  static double fullForwardLogLikelihood(LanguageModel m, int[] prompt, int[] tokens) {
    int[] all = new int[prompt.length + tokens.length];
    System.arraycopy(prompt, 0, all, 0, prompt.length);
    System.arraycopy(tokens, 0, all, prompt.length, tokens.length);
    Tensor lp;
    try (var g = Autograd.noGrad()) {
      lp = m.logits(IntTensor.of(all, 1, all.length)).logSoftmax(-1);
    }
    double sum = 0;
    for (int i = 0; i < tokens.length; i++) sum += lp.get(0, prompt.length - 1 + i, tokens[i]);
    return sum;
  }

  @Test
  void greedyStreamsThePromptAndItsContinuation() throws IOException {
    Run r = MainTest.run("generate", "--model", dir.toString(), "--prompt", "O God", "--max-new-tokens", "20");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("O God").endsWith("\n");
    assertThat(r.out().codePoints().count()).isEqualTo(5 + 20 + 1);
    Run json = MainTest.run("generate", "--model", dir.toString(), "--prompt", "O God", "--max-new-tokens", "20",
        "--format", "json");
    assertThat(json.code()).as(json.err()).isZero();
    JsonNode o = JSON.readTree(json.out());
    JsonNode seq = o.get("sequences").get(0);
    assertThat("O God" + seq.get("text").asText() + "\n").isEqualTo(r.out());
    assertThat(seq.get("tokens")).hasSize(20);
    assertThat(seq.get("log_probs")).hasSize(20);
    // the reported log-likelihood is the full forward pass's
    LanguageModel m = Models.load(dir);
    m.eval();
    int[] prompt = JSON.convertValue(o.get("prompt_tokens"), int[].class);
    int[] tokens = JSON.convertValue(seq.get("tokens"), int[].class);
    assertThat(seq.get("log_likelihood").asDouble()).isCloseTo(fullForwardLogLikelihood(m, prompt, tokens),
        org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void samplingIsReproducibleBySeed() {
    List<String> base = List.of("generate", "--model", dir.toString(), "--tokens", "3,1,4", "--strategy", "sample",
        "--max-new-tokens", "30", "--top-k", "10", "--top-p", "0.95");
    Run a = MainTest.run(with(base, "--seed", "9"));
    Run b = MainTest.run(with(base, "--seed", "9"));
    Run c = MainTest.run(with(base, "--seed", "10"));
    assertThat(a.code()).as(a.err()).isZero();
    assertThat(a.out()).isEqualTo(b.out()).isNotEqualTo(c.out());
    Run three = MainTest.run(with(base, "--seed", "9", "--samples", "3", "--format", "json"));
    assertThat(three.code()).as(three.err()).isZero();
    assertThat(three.out()).contains("\"sequences\"");
  }

  @Test
  void badInputIsOneLineNamingTheValue() {
    String d = dir.toString();
    expectError(2, "--temperature must be a finite number > 0 with --strategy sample, got 0.0",
        "generate", "--model", d, "--tokens", "1", "--strategy", "sample", "--temperature", "0");
    expectError(2, "--top-p must be in (0, 1], got 1.5",
        "generate", "--model", d, "--tokens", "1", "--strategy", "sample", "--top-p", "1.5");
    expectError(2, "--top-p must be in (0, 1], got 0.0",
        "generate", "--model", d, "--tokens", "1", "--strategy", "sample", "--top-p", "0");
    expectError(2, "--tokens: token 99 at position 1 is outside the vocabulary [0, 59)",
        "generate", "--model", d, "--tokens", "3,99");
    expectError(2, "--prompt: character '~' (U+007E) at offset 2",
        "generate", "--model", d, "--prompt", "ab~");
    expectError(2, "--strategy: strategy 'best' is not one of",
        "generate", "--model", d, "--tokens", "1", "--strategy", "best");
    expectError(2, "--top-k applies to --strategy sample, not greedy",
        "generate", "--model", d, "--tokens", "1", "--top-k", "3");
    expectError(2, "--eos: generate: eos 70 is not a token id in [0, 59)",
        "generate", "--model", d, "--tokens", "1", "--eos", "70");
    expectError(1, "does not exist", "generate", "--model", tmp.resolve("missing").toString(), "--tokens", "1");
  }

  @Test
  void aRunDirectoryStandsForItsBestCheckpointElseItsLatest() throws IOException {
    Path run = tmp.resolve("run");
    Files.createDirectories(run);
    Files.writeString(run.resolve("config.json"), "{}");
    saveModel(run.resolve("checkpoints/latest"), 6);
    String[] args = {"--tokens", "3,1,4", "--max-new-tokens", "12", "--strategy", "beam", "--beams", "2",
        "--format", "json"};
    // only checkpoints/latest: the run generates what that checkpoint generates
    Run fromRun = MainTest.run(with(List.of("generate", "--model", run.toString()), args));
    Run fromLatest = MainTest.run(with(List.of("generate", "--model", run.resolve("checkpoints/latest").toString()), args));
    assertThat(fromRun.code()).as(fromRun.err()).isZero();
    assertThat(fromRun.out()).isEqualTo(fromLatest.out());
    // with checkpoints/best (another model): the run generates what best generates
    saveModel(run.resolve("checkpoints/best"), 7);
    Run fromRunBest = MainTest.run(with(List.of("generate", "--model", run.toString()), args));
    Run fromBest = MainTest.run(with(List.of("generate", "--model", run.resolve("checkpoints/best").toString()), args));
    assertThat(fromRunBest.code()).as(fromRunBest.err()).isZero();
    assertThat(fromRunBest.out()).isEqualTo(fromBest.out()).isNotEqualTo(fromLatest.out());
    // a directory that is neither: one line naming it and what was expected
    Path empty = tmp.resolve("empty-run");
    Files.createDirectories(empty.resolve("checkpoints"));
    Run bad = MainTest.run("generate", "--model", empty.toString(), "--tokens", "1");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err().strip()).isEqualTo("lmlab: --model " + empty + " holds no model: expected a checkpoint "
        + "directory (config.json and model weights) or a run directory with checkpoints/best/ or checkpoints/latest/");
  }

  /** A checkpoint of the test's model shape (weights from seed) with the character vocabulary. */
  private static void saveModel(Path dir, long seed) throws IOException {
    TransformerConfig c = TransformerConfig.builder("chargpt").set("hidden_size", 24).set("num_attention_heads", 4)
        .set("num_hidden_layers", 2).set("max_position_embeddings", 64).set("vocab_size", CHARS.length())
        .set("dropout", 0.0).set("init", "pytorch").build();
    Transformer m = new Transformer(c, seed);
    ModuleCheckpoint.save(dir, m.config(), m);
    CharTokenizer.fromText(CHARS).write(dir.resolve("vocab.json"));
  }

  @Test
  void aBf16KvCacheDecodesAndIsRefusedForAModelWithoutOne() throws IOException {
    Run r = MainTest.run("generate", "--model", dir.toString(), "--prompt", "O God", "--max-new-tokens", "20",
        "--kv-cache", "bf16");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("O God");
    assertThat(r.out().codePoints().count()).isEqualTo(5 + 20 + 1);
    Path lstm = tmp.resolve("lstm");
    com.fasterxml.jackson.databind.node.ObjectNode c = JSON.createObjectNode().put("model_type", "lstm-lm")
        .put("vocab_size", CHARS.length()).put("embedding_size", 8).put("hidden_size", 8).put("num_hidden_layers", 1);
    LanguageModel m = lmlab.models.RecurrentLmConfig.parse(c).newModel(new lmlab.tensor.Rng(1));
    ModuleCheckpoint.save(lstm, m.config(), m);
    CharTokenizer.fromText(CHARS).write(lstm.resolve("vocab.json"));
    expectError(2, "--kv-cache bf16: LstmLm has no attention layer (no KV cache)", "generate", "--model", lstm.toString(),
        "--prompt", "O", "--kv-cache", "bf16");
    Run f32 = MainTest.run("generate", "--model", lstm.toString(), "--prompt", "O", "--max-new-tokens", "3");
    assertThat(f32.code()).as(f32.err()).isZero();
  }

  static void expectError(int code, String message, String... args) {
    Run r = MainTest.run(args);
    assertThat(r.code()).as(r.err()).isEqualTo(code);
    assertThat(r.err().lines().findFirst().orElse("")).startsWith("lmlab: ").contains(message);
    if (code == 1) assertThat(r.err().lines().count()).isEqualTo(1);
  }

  static String[] with(List<String> base, String... more) {
    List<String> all = new java.util.ArrayList<>(base);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
