package lmlab.nn.lora;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import lmlab.io.Checkpoint;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import lmlab.nn.Linear;
import lmlab.nn.Quantization;
import lmlab.nn.weights.QuantMethod;
import lmlab.nn.weights.QuantizedWeights;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QLoRA (spec lora.md): the qlora_linear fixture, the adapter on an NF4-DQ gpt, weight bytes, quantised checkpoints. */
class QloraTest {
  static final Path GPT = PeftAdapterTest.GPT;

  @Test
  void qloraLinearMatchesTheFixture() {
    SafetensorsFile f = fixture("qlora_linear");
    Tensor w = f.tensor("weight");
    QuantizedWeights qw = QuantizedWeights.quantize(w, QuantMethod.parse("nf4-dq", 64));
    assertMatchesFixture(f, "q.dequant", Tensor.of(qw.dense(), 40, 96));
    Linear base = new Linear(qw, f.tensor("bias"));
    assertThat(base.weight()).as("no float32 copy of W").isNull();
    LoraLinear l = new LoraLinear(base, new LoraConfig(8, 16, 0, false, LoraTargets.DEFAULT), new Rng(1), null);
    l.loraA().copy_(f.tensor("lora_A.weight"));
    l.loraB().copy_(f.tensor("lora_B.weight"));
    Tensor x = f.tensor("x").requiresGrad(true);
    LoraLinearTest.checkGradients(f, l, x, l.forward(x));
    assertThat(l.namedParameters()).containsOnlyKeys("bias", "lora_A.weight", "lora_B.weight");
  }

  @Test
  void adapterOnAnNf4DqBaseReproducesLogitsQlora() throws IOException {
    SafetensorsFile io = Safetensors.read(PeftAdapterTest.ADAPTER.resolve("io.safetensors"));
    LanguageModel m = Models.load(GPT);
    long f32 = Quantization.weightBytes(m);
    Map<String, Linear> q = Quantization.quantize(m, QuantMethod.parse("nf4-dq", 64));
    assertThat(q).hasSize(12);
    PeftAdapter.load(m, PeftAdapterTest.ADAPTER);
    m.eval();
    assertMatchesFixture(io, "logits_qlora", m.logits(io.ints("tokens")));
    // decoding reads the packed codes and adds the adapter
    float[] want = io.tensor("logits_qlora").toArray();
    var st = m.newState(1);
    int[] tokens = io.ints("tokens").toArray();
    for (int t = 0; t < 7; t++) {
      float[] got = m.step(st, new int[] {tokens[t]}, 1);
      for (int j = 0; j < 11; j++) assertThat((double) Math.abs(got[j] - want[t * 11 + j])).isLessThanOrEqualTo(1e-4);
    }
    assertThat(Quantization.weightBytes(m)).isLessThan(f32 + 4L * Lora.trainableParameters(m));
  }

  @Test
  void quantisedCheckpointRoundTrips(@TempDir Path tmp) throws IOException {
    LanguageModel m = Models.load(GPT);
    m.eval();
    Quantization.quantize(m, QuantMethod.parse("nf4-dq", 64));
    var tokens = Safetensors.read(GPT.resolve("io.safetensors")).ints("tokens");
    float[] want = m.logits(tokens).toArray();
    Path out = tmp.resolve("q");
    Quantization.save(out, Checkpoint.readConfig(GPT), m);
    assertThat(Quantization.isQuantized(out)).isTrue();
    LanguageModel back = Models.load(out);
    back.eval();
    assertThat(back.logits(tokens).toArray()).containsExactly(want);
    assertThat(Quantization.weightBytes(back)).isEqualTo(Quantization.weightBytes(m));
    // an unknown method is named with the file
    Path bad = tmp.resolve("bad");
    Files.createDirectories(bad);
    Files.copy(out.resolve("config.json"), bad.resolve("config.json"));
    byte[] b = Files.readAllBytes(out.resolve("model.safetensors"));
    String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\"nf4-dq\"", "\"nf3-dq\"");
    Files.write(bad.resolve("model.safetensors"), s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> Models.load(bad))
        .hasMessageStartingWith(bad.resolve("model.safetensors") + ": unknown quantisation method 'nf3-dq'");
  }
}
