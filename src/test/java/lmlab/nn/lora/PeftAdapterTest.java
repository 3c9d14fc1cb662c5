package lmlab.nn.lora;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import lmlab.autograd.Autograd;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.models.LanguageModel;
import lmlab.models.ModelState;
import lmlab.models.Models;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEFT adapter directories on the gpt fixture (acceptance 1 of issue 17): the adapter's logits,
 * loss and adapter gradients, the decoding step with the adapter, writing and reading back, and
 * the refusals (acceptance 4).
 */
class PeftAdapterTest {
  static final Path FIXTURES = Path.of("src/test/resources/fixtures");
  static final Path GPT = FIXTURES.resolve("gpt");
  static final Path ADAPTER = FIXTURES.resolve("lora_adapter");

  static SafetensorsFile io() throws IOException {
    return Safetensors.read(ADAPTER.resolve("io.safetensors"));
  }

  @Test
  void adapterReproducesPeftLogitsLossAndGradients() throws IOException {
    SafetensorsFile io = io();
    LanguageModel m = Models.load(GPT);
    m.eval();
    assertMatchesFixture(io, "logits_base", m.logits(io.ints("tokens")));
    Map<String, LoraLinear> mods = PeftAdapter.load(m, ADAPTER);
    assertThat(mods).hasSize(8);
    assertThat(mods.keySet()).contains("model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj");
    assertThat(Lora.trainableParameters(m)).isEqualTo(1792);
    assertThat(m.trainableParameters()).hasSize(16);
    Tensor logits = m.logits(io.ints("tokens"));
    assertMatchesFixture(io, "logits", logits);
    Tensor loss = logits.reshape(-1, logits.size(2)).crossEntropy(io.ints("targets").reshape(-1));
    assertMatchesFixture(io, "loss", loss);
    loss.backward();
    for (var e : mods.entrySet()) {
      String p = "grad." + PeftAdapter.PREFIX + e.getKey();
      assertMatchesFixture(io, p + ".lora_A.weight", e.getValue().loraA().grad());
      assertMatchesFixture(io, p + ".lora_B.weight", e.getValue().loraB().grad());
    }
    for (var e : m.namedParameters().entrySet()) {
      if (!e.getKey().contains(".lora_")) assertThat(e.getValue().grad()).as("frozen %s", e.getKey()).isNull();
    }
  }

  /** No silent bypass: the decoding step with the adapter gives the forward's logits (and not the base's). */
  @Test
  void decodingWithTheAdapterEqualsTheForward() throws IOException {
    SafetensorsFile io = io();
    LanguageModel m = Models.load(GPT);
    PeftAdapter.load(m, ADAPTER);
    m.eval();
    IntTensor tokens = io.ints("tokens");
    int b = tokens.size(0);
    int s = tokens.size(1);
    int v = 11;
    float[] want = io.tensor("logits").toArray();
    float[] base = io.tensor("logits_base").toArray();
    double baseGap = 0;
    // one token at a time (matrix-vector kernels)
    for (int row = 0; row < b; row++) {
      ModelState st = m.newState(1);
      for (int t = 0; t < s; t++) {
        float[] got;
        try (var g = Autograd.noGrad()) {
          got = m.step(st, new int[] {tokens.get(row, t)}, 1);
        }
        for (int j = 0; j < v; j++) {
          int at = (row * s + t) * v + j;
          assertThat((double) Math.abs(got[j] - want[at])).as("row %d t %d logit %d", row, t, j).isLessThanOrEqualTo(1e-4);
          baseGap = Math.max(baseGap, Math.abs(got[j] - base[at]));
        }
      }
    }
    assertThat(baseGap).as("the adapter changes the logits").isGreaterThan(1e-2);
    // the whole prompt at once (matrix-matrix products)
    ModelState st = m.newState(b);
    float[] got;
    try (var g = Autograd.noGrad()) {
      got = m.step(st, tokens.toArray(), s);
    }
    for (int i = 0; i < want.length; i++) assertThat((double) Math.abs(got[i] - want[i])).isLessThanOrEqualTo(1e-4);
  }

  @Test
  void writtenAdapterReadsBackAndIsPeftShaped(@TempDir Path tmp) throws IOException {
    LanguageModel m = Models.load(GPT);
    PeftAdapter.load(m, ADAPTER);
    LoraConfig cfg = PeftAdapter.readConfig(ADAPTER);
    Path out = tmp.resolve("copy");
    PeftAdapter.write(out, m, cfg, "gpt");
    assertThat(Files.readString(out.resolve(PeftAdapter.CONFIG))).isEqualTo(Files.readString(ADAPTER.resolve(PeftAdapter.CONFIG)) + "\n");
    try (SafetensorsFile a = Safetensors.read(ADAPTER.resolve(PeftAdapter.WEIGHTS));
        SafetensorsFile c = Safetensors.read(out.resolve(PeftAdapter.WEIGHTS))) {
      assertThat(c.names()).containsExactlyInAnyOrderElementsOf(a.names());
      assertThat(c.metadata()).containsEntry("format", "pt");
      for (String n : a.names()) assertThat(c.tensor(n).toArray()).containsExactly(a.tensor(n).toArray());
    }
    LanguageModel again = Models.load(GPT);
    PeftAdapter.load(again, out);
    again.eval();
    SafetensorsFile io = io();
    assertMatchesFixture(io, "logits", again.logits(io.ints("tokens")));
  }

  @Test
  void mergedModelComputesTheAdaptedLogits() throws IOException {
    SafetensorsFile io = io();
    LanguageModel m = Models.load(GPT);
    PeftAdapter.load(m, ADAPTER);
    assertThat(Lora.mergeAll(m)).isEqualTo(8);
    assertThat(Lora.adapters(m)).isEmpty();
    m.eval();
    assertThat(m.stateDict().keySet()).isEqualTo(Models.load(GPT).stateDict().keySet());
    assertMatchesFixture(io, "logits", m.logits(io.ints("tokens")));
  }

  @Test
  void badAdaptersAreOneLineNamingTheFile(@TempDir Path tmp) throws IOException {
    String cfg = Files.readString(ADAPTER.resolve(PeftAdapter.CONFIG));
    Path bad = copy(tmp.resolve("peft"), cfg.replace("\"LORA\"", "\"IA3\""));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), bad))
        .hasMessage(bad.resolve(PeftAdapter.CONFIG) + ": peft_type is \"IA3\"; lmlab reads \"LORA\"");
    Path dora = copy(tmp.resolve("dora"), cfg.replace("\"use_dora\": false", "\"use_dora\": true"));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), dora)).hasMessageContaining("use_dora is true");
    Path rank = copy(tmp.resolve("rank"), cfg.replace("\"r\": 4", "\"r\": 8"));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), rank))
        .hasMessage(rank.resolve(PeftAdapter.WEIGHTS) + ": tensor \"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight\""
            + " has shape (4, 16), the base model needs (8, 16)");
    Path fewer = copy(tmp.resolve("fewer"), cfg.replace("\"down_proj\",\n", ""));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), fewer))
        .hasMessageContaining("tensors for module 'model.layers.0.mlp.down_proj', which target_modules");
    Path none = copy(tmp.resolve("none"), cfg.replace("\"down_proj\",\n", "\"k_proj\", \"down_proj\",\n"));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), none))
        .hasMessageContaining("no tensor \"base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight\"");
    Path missing = copy(tmp.resolve("missing"), cfg.replace("\"down_proj\",\n", "\"gate_proj\", \"down_proj\",\n"));
    assertThatThrownBy(() -> PeftAdapter.load(Models.load(GPT), missing))
        .hasMessageContaining("lora target 'gate_proj' matches no module of the model");
    LanguageModel m = Models.load(GPT);
    var before = m.stateDict().keySet();
    assertThatThrownBy(() -> PeftAdapter.load(m, rank)).isInstanceOf(IllegalArgumentException.class);
    assertThat(m.stateDict().keySet()).as("a refused adapter changes nothing").isEqualTo(before);
  }

  @Test
  void targetsMatchingEmbeddingsOrNothingAreRefused() throws IOException {
    LanguageModel m = Models.load(GPT);
    assertThatThrownBy(() -> Lora.attach(m, new LoraConfig(4, 8, 0, false, new LoraTargets.Names(List.of("embed_tokens"))), 1))
        .hasMessage("lora target 'embed_tokens' matches module 'model.embed_tokens', which is a Embedding, not a Linear"
            + " (only a Linear with its own weight can be adapted)");
    assertThatThrownBy(() -> Lora.attach(m, new LoraConfig(4, 8, 0, false, new LoraTargets.Names(List.of("norm"))), 1))
        .hasMessageContaining("which is a LayerNorm, not a Linear");
    assertThatThrownBy(() -> Lora.attach(m, new LoraConfig(4, 8, 0, false, new LoraTargets.Regex("foo.*")), 1))
        .hasMessageStartingWith("lora target regex 'foo.*' matches no module of the model");
    var adapted = Lora.attach(m, new LoraConfig(4, 8, 0, false, new LoraTargets.Regex("model\\.layers\\.\\d+\\.self_attn\\.(q|v)_proj")), 1);
    assertThat(adapted.keySet()).containsExactly("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
        "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
    LanguageModel all = Models.load(GPT);
    assertThat(Lora.attach(all, new LoraConfig(2, 2, 0, false, new LoraTargets.AllLinear()), 1)).hasSize(12);
  }

  private static Path copy(Path dir, String config) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(PeftAdapter.CONFIG), config);
    Files.copy(ADAPTER.resolve(PeftAdapter.WEIGHTS), dir.resolve(PeftAdapter.WEIGHTS));
    return dir;
  }
}
