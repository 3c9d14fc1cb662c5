package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import lmlab.cli.MainTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmlab analyze}: numbers with their closed forms, --compare, the five formats, bad input. */
class AnalyzeCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String QWEN = "src/test/resources/analysis/qwen2.5-0.5b/config.json";

  private static Run ok(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "analyze";
    System.arraycopy(args, 0, all, 1, args.length);
    Run r = MainTest.run(all);
    assertThat(r.code()).as(r.err()).isZero();
    return r;
  }

  private static JsonNode figure(JsonNode config, String key) {
    for (JsonNode f : config.get("figures")) if (f.get("key").asText().equals(key)) return f;
    throw new AssertionError("no figure " + key);
  }

  @Test
  void gpt2PresetPrintsNumbersAndClosedForms() {
    Run r = ok("--preset", "gpt2", "--L", "1024");
    assertThat(r.out()).contains("124,439,808 (124.4 M)")
        .contains("= V·d + S_max·d + N_layer·(4d^2 + 2·d·d_ff + 9d + d_ff) + 2d")
        .contains("37,748,736 (36.0 MiB)").contains("= 2·N_layer·L·d·b")
        .contains("= N_layer·(8·L·d^2 + 4·L·d·d_ff + 2·d·L(L+1)) + 2·L·d·V");
  }

  @Test
  void gpt2FromFlagsWithBiases() {
    Run r = ok("--preset", "gpt2", "--V", "50257", "--d", "768", "--n-layer", "12", "--n-q", "12", "--d-ff", "3072",
        "--S-max", "1024", "--format", "csv");
    assertThat(r.out()).contains("gpt2,parameters,parameters,parameters,124439808,");
  }

  @Test
  void courseTableInLatex() {
    Run r = ok("--compare", "gpt,gpt-gqa,mamba2,gla", "--format", "latex", "--d", "768", "--n-layer", "12",
        "--n-q", "12", "--V", "50257", "--L", "2048");
    String out = r.out();
    assertThat(out).contains("\\begin{tabular}{lllll}").contains(" & gpt & gpt-gqa & mamba2 & gla \\\\")
        .contains("\\end{tabular}");
    // the three metrics, each with numbers and expressions in all four columns
    assertThat(out).contains("parameters & ").contains("KV cache / state bytes (L = 2,048) & ")
        .contains("forward FLOPs (L = 2,048) & ");
    // GPT KV cache: 2·12·2048·768·2 bytes; GQA (n_kv = 6) half of it; GLA state 12·384·768/4·2
    assertThat(out).contains("75{,}497{,}472").contains("37{,}748{,}736").contains("1{,}769{,}472");
    assertThat(out).contains("$2 \\cdot N_{\\mathrm{layer}} \\cdot L \\cdot d \\cdot b$")
        .contains("$N_{\\mathrm{layer}} \\cdot d_{k} \\cdot d_{v}/n_{h} \\cdot b$")
        .contains("4 \\cdot L \\cdot d^{2} \\cdot n_{\\mathrm{kv}}/n_{q}");
  }

  @Test
  void qwenConfigJsonAt32kTokens() throws IOException {
    JsonNode j = JSON.readTree(ok("--config", QWEN, "--L", "32k", "--format", "json").out());
    JsonNode c = j.get("configurations").get(0);
    assertThat(figure(c, "parameters").get("value").asLong()).isEqualTo(494_032_768L);
    // 2·24·32768·2·64 elements, bfloat16
    assertThat(figure(c, "state@32768").get("value").asLong()).isEqualTo(402_653_184L);
    assertThat(figure(c, "state@32768").get("expression").asText()).isEqualTo("2·N_layer·L·n_kv·d_h·b");
    assertThat(c.get("symbols").get("n_kv").asInt()).isEqualTo(2);
    assertThat(j.get("setting").get("dtype").asText()).isEqualTo("bfloat16");
  }

  @Test
  void loraOnQwenMatchesPeft() throws IOException {
    // PEFT, r = 8 on q_proj and v_proj of Qwen2.5-0.5B: "trainable params: 540,672"
    JsonNode c = JSON.readTree(ok("--config", QWEN, "--lora-rank", "8", "--format", "json").out())
        .get("configurations").get(0);
    assertThat(figure(c, "lora_parameters").get("value").asLong()).isEqualTo(540_672L);
    assertThat(figure(c, "lora_parameters").get("expression").asText()).isEqualTo("N_layer·r·(3d + n_kv·d_h)");
    JsonNode q = JSON.readTree(ok("--config", QWEN, "--lora-rank", "16", "--lora-targets", "q,k,v,o,gate,up,down",
        "--base-bits", "4", "--format", "json").out()).get("configurations").get(0);
    // QLoRA: the base at 4 bits = P/2 bytes; adapters 24·16·(6·896 + 2·128 + 3·(896 + 4864)) = 8,798,208 (PEFT)
    assertThat(figure(q, "lora_base_bytes").get("value").asLong()).isEqualTo(494_032_768L / 2);
    assertThat(figure(q, "lora_parameters").get("value").asLong()).isEqualTo(24L * 16 * (6 * 896 + 2 * 128 + 3 * (896 + 4864)));
    assertThat(figure(q, "lora_parameters").get("label").asText()).startsWith("QLoRA");
  }

  @Test
  void rangeOfLengthsAndOtherFormats() {
    Run t = ok("--preset", "qwen2.5-0.5b", "--L", "1k..4k", "--dtype", "f32", "--batch", "3");
    assertThat(t.out()).contains("KV cache bytes (L = 1,024)").contains("KV cache bytes (L = 2,048)")
        .contains("KV cache bytes (L = 4,096)").contains("= B·2·N_layer·L·n_kv·d_h·b");
    Run csv = ok("--compare", "gpt,lstm-lm", "--format", "csv");
    assertThat(csv.out()).startsWith("configuration,metric,key,unit,value,expression\n")
        .contains("lstm-lm,\"recurrent state bytes (L = 1,024)\",state@1024,bytes,1024,2·N_layer·d_h·b\n");
    Run md = ok("--compare", "gpt,mamba2", "--format", "markdown", "--attention", "full");
    assertThat(md.out()).contains("|  | gpt | mamba2 |").contains("| parameters | 405,543 (405.5 K)<br>`")
        .contains("4·d·L^2");
  }

  @Test
  void checkAgainstTheEngine() throws IOException {
    JsonNode j = JSON.readTree(ok("--compare", "gpt,gpt-gqa,qwen2-variant,lstm-lm,gla", "--L", "16", "--batch", "2",
        "--check", "--format", "json").out());
    JsonNode checks = j.get("engine_check");
    assertThat(checks.size()).as("every configuration has an engine model (gla since issue #16)").isEqualTo(5);
    for (JsonNode c : checks) {
      assertThat(c.get("match").asBoolean()).as(c.toString()).isTrue();
      assertThat(c.get("flops").asLong()).isEqualTo(c.get("formula_flops").asLong()).isPositive();
      assertThat(c.get("state_bytes_f32").asLong()).isEqualTo(c.get("formula_state_bytes_f32").asLong()).isPositive();
    }
    // gpt: 2 layers, L 16, B 2, d 128, float32: 2·2·16·128·4·2
    assertThat(checks.get(0).get("state_bytes_f32").asLong()).isEqualTo(2L * 2 * 16 * 128 * 4 * 2);
    Run text = ok("--preset", "chargpt", "--L", "8", "--check");
    assertThat(text.out()).contains("engine check (built model, instrumented forward pass, float32 cache; B = 1, L = 8):")
        .contains("  chargpt: parameters 2,719,104 = formula; KV cache bytes 73,728 = formula; forward FLOPs ");
    // issue #16 acceptance 2: the four of the course, each against the engine
    JsonNode four = JSON.readTree(ok("--compare", "gpt,gpt-gqa,mamba2,gla", "--L", "8", "--batch", "2", "--d", "64",
        "--n-layer", "2", "--V", "40", "--check", "--format", "json").out()).get("engine_check");
    assertThat(four.size()).isEqualTo(4);
    for (JsonNode c : four) {
      assertThat(c.get("match").asBoolean()).as(c.toString()).isTrue();
      assertThat(c.get("flops").asLong()).isPositive();
    }
    Run big = MainTest.run("analyze", "--preset", "gpt2", "--L", "1024", "--check");
    assertThat(big.code()).isEqualTo(2);
    assertThat(big.err()).contains("--check: gpt2 at B = 1, L = 1024 needs 272,339,828,736 (272.3 GFLOP) FLOPs");
  }

  @Test
  void badConfigJsonNamesTheField(@TempDir Path dir) throws IOException {
    String[][] cases = {
      {"{\"model_type\": \"qwen2\", \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"vocab_size\": 10,"
          + " \"intermediate_size\": 8}", "missing field 'hidden_size', needed for model_type qwen2"},
      {"{\"model_type\": \"qwen2\", \"hidden_size\": 900, \"num_hidden_layers\": 2, \"num_attention_heads\": 14,"
          + " \"vocab_size\": 10, \"intermediate_size\": 8}",
          "contradictory fields: num_attention_heads = 14 does not divide hidden_size = 900"},
      {"{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
          + " \"num_key_value_heads\": 3, \"vocab_size\": 10, \"intermediate_size\": 8}",
          "num_key_value_heads = 3 does not divide num_attention_heads = 4"},
      {"{\"model_type\": \"bert\", \"hidden_size\": 64}", "model_type \"bert\" is not known; known: gpt2, llama, mistral"},
      {"{\"model_type\": \"mamba2\", \"hidden_size\": 768, \"num_hidden_layers\": 2, \"vocab_size\": 10,"
          + " \"num_heads\": 128}", "num_heads = 128 contradicts expand·hidden_size / head_dim = 2·768 / 64 = 24"},
      {"{\"model_type\": \"gpt2\", \"n_embd\": \"big\", \"n_layer\": 2, \"n_head\": 2, \"vocab_size\": 10,"
          + " \"n_positions\": 8}", "field 'n_embd' must be a positive integer, got \"big\""},
      {"{\"model_type\": \"gla\", \"hidden_size\": 64, \"num_hidden_layers\": 2, \"vocab_size\": 10,"
          + " \"num_heads\": 5}", "num_heads = 5 does not divide the key width hidden_size·expand_k = 32"},
    };
    for (String[] c : cases) {
      Path f = dir.resolve("config.json");
      Files.writeString(f, c[0]);
      Run r = MainTest.run("analyze", "--config", f.toString());
      assertThat(r.code()).as(c[0]).isEqualTo(1);
      assertThat(r.err()).startsWith("lmlab: " + f + ": ").contains(c[1]);
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void badFlagsAreUsageErrors() {
    Run fmt = MainTest.run("analyze", "--format", "xml");
    assertThat(fmt.code()).isEqualTo(2);
    assertThat(fmt.err()).contains("'xml' is not a format: use table, markdown, latex, csv or json");
    Run dtype = MainTest.run("analyze", "--dtype", "f12");
    assertThat(dtype.code()).isEqualTo(2);
    assertThat(dtype.err()).contains("dtype 'f12' is not known");
    Run heads = MainTest.run("analyze", "--preset", "gpt", "--n-q", "5");
    assertThat(heads.code()).isEqualTo(2);
    assertThat(heads.err()).contains("n_q = 5 does not divide d = 128");
    Run name = MainTest.run("analyze", "--compare", "gpt,bert");
    assertThat(name.code()).isEqualTo(2);
    assertThat(name.err()).contains("unknown architecture 'bert'");
    Run length = MainTest.run("analyze", "--L", "4k..1k");
    assertThat(length.code()).isEqualTo(2);
    assertThat(length.err()).contains("--L 4k..1k: the range must not decrease");
    Run batch = MainTest.run("analyze", "--batch", "0");
    assertThat(batch.code()).isEqualTo(2);
    assertThat(batch.err()).contains("--batch: batch B must be >= 1, got 0");
    Run target = MainTest.run("analyze", "--preset", "gpt", "--lora-rank", "4", "--lora-targets", "q,gate");
    assertThat(target.code()).isEqualTo(2);
    assertThat(target.err()).contains("--lora-targets: gpt has no 'gate' matrix (it has q, k, v, o, up, down)");
    Run lora = MainTest.run("analyze", "--preset", "mamba2", "--lora-rank", "4");
    assertThat(lora.code()).isEqualTo(2);
    assertThat(lora.err()).contains("LoRA overhead is computed for Transformers only");
  }
}
