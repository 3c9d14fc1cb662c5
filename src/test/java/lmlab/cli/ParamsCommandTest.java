package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import lmlab.cli.MainTest.Run;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@code lmlab params}: tables, totals, presets, overrides and bad input. */
class ParamsCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String... args) throws IOException {
    String[] all = new String[args.length + 3];
    all[0] = "params";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--format";
    all[args.length + 2] = "json";
    Run r = MainTest.run(all);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
    return JSON.readTree(r.out());
  }

  private static JsonNode module(JsonNode table, String name) {
    for (JsonNode m : table.get("modules")) if (m.get("name").asText().equals(name)) return m;
    throw new AssertionError("no module " + name);
  }

  @Test
  void gpt2SmallHas124439808Parameters() {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long bytes0 = threads.getCurrentThreadAllocatedBytes();
    Run r = MainTest.run("params", "--preset", "gpt2");
    long allocated = threads.getCurrentThreadAllocatedBytes() - bytes0;
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("124,439,808").contains("85,056,000");
    assertThat(r.out().lines()).anyMatch(l -> l.startsWith("total parameters:") && l.endsWith("124,439,808"));
    assertThat(r.out().lines()).anyMatch(l -> l.startsWith("excluding embeddings:") && l.endsWith("85,056,000"));
    // indentation by depth; the tied head has no module of its own
    assertThat(r.out()).contains("\n        self_attn ").contains("\n          q_proj ").doesNotContain("lm_head");
    // The by-module table walks the model built once with zero weights (497,759,232 bytes of float32):
    // one copy, never a second (a random init or a copy per module would double it). Bytes, not
    // wall time: a timed assertion failed on a loaded machine (17.8 s) and proved nothing.
    assertThat(allocated).as("bytes allocated by params --preset gpt2").isLessThan(2L * 497_759_232L);
  }

  @Test
  void oneMoreLayerAddsExactlyOneBlock() throws IOException {
    JsonNode two = json("--preset", "gpt");
    JsonNode three = json("--preset", "gpt", "--set", "num_hidden_layers=3");
    long block = module(two, "model.layers.0").get("total").asLong();
    assertThat(block).isEqualTo(module(two, "model.layers.1").get("total").asLong());
    // gpt: d 128, MHA with four biases, plain MLP m 4 without bias, two LayerNorms
    assertThat(block).isEqualTo(4 * 128 * 128 + 4 * 128 + 2 * 128 * 512 + 2 * 2 * 128);
    assertThat(three.get("total").asLong() - two.get("total").asLong()).isEqualTo(block);
    assertThat(three.get("excluding_embeddings").asLong() - two.get("excluding_embeddings").asLong()).isEqualTo(block);
    assertThat(module(three, "model.layers.2").get("total").asLong()).isEqualTo(block);
    assertThat(three.get("config").get("num_hidden_layers").asInt()).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt", "chargpt", "lstm_lm", "rnn_lm"})
  void checkpointCountEqualsTheFixture(String name) throws IOException {
    Path dir = ForwardCommandTest.fixtureDir(name);
    long expected;
    try (SafetensorsFile io = Safetensors.read(dir.resolve("io.safetensors"))) {
      expected = Long.parseLong(io.metadata().get("num_parameters"));
    }
    JsonNode t = json("--model", dir.toString());
    assertThat(t.get("total").asLong()).isEqualTo(expected);
    assertThat(module(t, "").get("total").asLong()).isEqualTo(expected);
    long own = 0;
    for (JsonNode m : t.get("modules")) own += m.get("own").asLong();
    assertThat(own).as("own counts add up to the total").isEqualTo(expected);
    Run table = MainTest.run("params", "--model", dir.toString());
    assertThat(table.code()).isZero();
    assertThat(table.out()).contains(String.format(java.util.Locale.ROOT, "%,d", expected));
  }

  @Test
  void totalsWithAndWithoutEmbeddings() throws IOException {
    JsonNode c = json("--preset", "chargpt");
    // V 65, d 192, learned positions 128
    assertThat(c.get("embeddings").asLong()).isEqualTo(65L * 192 + 128L * 192);
    assertThat(c.get("excluding_embeddings").asLong()).isEqualTo(c.get("total").asLong() - c.get("embeddings").asLong());
    JsonNode lstm = json("--preset", "lstm-lm", "--set", "vocab_size=11", "--set", "bias=false");
    long v = 11, h = 128, e = 128;
    assertThat(lstm.get("total").asLong()).isEqualTo(v * e + 4 * (e + h) * h + 8 * h * h + v * h + v);
    assertThat(lstm.get("embeddings").asLong()).isEqualTo(v * e);
  }

  @Test
  void markdownAndDepthLimit() {
    Run r = MainTest.run("params", "--preset", "gpt", "--format", "markdown", "--max-depth", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("| module | type | own | total |").contains("`model.layers`")
        .doesNotContain("`model.layers.0`").contains("| all | ");
  }

  @Test
  void badSetIsAUsageError() {
    Run unknown = MainTest.run("params", "--preset", "gpt", "--set", "hidden_sise=64");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err().lines().findFirst().orElse("")).startsWith("lmlab: --set")
        .contains("unknown key 'hidden_sise'").contains("hidden_size");
    Run noEquals = MainTest.run("params", "--preset", "gpt", "--set", "hidden_size");
    assertThat(noEquals.code()).isEqualTo(2);
    assertThat(noEquals.err()).contains("--set 'hidden_size'").contains("KEY=VALUE");
    Run badValue = MainTest.run("params", "--preset", "chargpt", "--set", "num_attention_heads=5");
    assertThat(badValue.code()).isEqualTo(2);
    assertThat(badValue.err()).contains("num_attention_heads=5").contains("divisible");
    Run recurrent = MainTest.run("params", "--preset", "rnn-lm", "--set", "norm=layernorm");
    assertThat(recurrent.code()).isEqualTo(2);
    assertThat(recurrent.err()).contains("unknown key 'norm'");
    assertThat(unknown.out() + noEquals.out() + badValue.out() + recurrent.out()).isEmpty();
  }

  @Test
  void modernPresetsAreListedAndCounted() throws IOException {
    for (String p : new String[] {"llama", "qwen2", "qwen2-variant"}) {
      JsonNode t = json("--preset", p);
      assertThat(t.get("family").asText()).isEqualTo("Transformer");
      assertThat(t.get("config").get("preset").asText()).isEqualTo(p);
      long d = 192, layers = 6, dFf = 512, v = 65;
      long kv = p.equals("llama") ? 6 * 32 : 2 * 32; // n_kv · d_h
      long bias = p.equals("llama") ? 0 : d + 2 * kv; // qwen2: q/k/v biases
      long norms = p.equals("qwen2-variant") ? 2 * d + 1 : d; // DyT: weight, bias, alpha
      long block = d * d + 2 * d * kv + d * d + bias + 3 * d * dFf + 2 * norms;
      assertThat(module(t, "model.layers.0").get("total").asLong()).as(p).isEqualTo(block);
      long head = p.equals("llama") ? v * d : 0; // qwen2 ties
      long positions = p.equals("qwen2-variant") ? 128 * d : 0;
      assertThat(t.get("total").asLong()).as(p).isEqualTo(layers * block + norms + v * d + head + positions);
    }
  }

  @Test
  void unknownPresetListsTheValidOnes() {
    Run r = MainTest.run("params", "--preset", "gpt3");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown preset 'gpt3'").contains("gpt, chargpt, gpt2, llama, qwen2, qwen2-variant, lstm-lm, rnn-lm");
    Run none = MainTest.run("params");
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("--preset").contains("--model");
    Run setWithModel = MainTest.run("params", "--model", ForwardCommandTest.fixtureDir("gpt").toString(), "--set",
        "hidden_size=8");
    assertThat(setWithModel.code()).isEqualTo(2);
    Run missing = MainTest.run("params", "--model", "/no/such/dir");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("/no/such/dir").contains("does not exist");
  }
}
