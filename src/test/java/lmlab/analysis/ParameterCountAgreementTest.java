package lmlab.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import lmlab.models.ConfigRead;
import lmlab.models.HfConfigs;
import lmlab.models.ModelConfig;
import lmlab.models.ModelSpec;
import lmlab.models.Models;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every config.json under src/test/resources and ../shared/fixtures, read by the one reader the
 * engine and the analyser share, has one parameter count: the engine's built model (zero weights)
 * and the analyser's closed form agree, and both agree with the PyTorch reference checkpoint
 * (model.safetensors beside the config) where there is one. A config both refuse is refused with
 * the same message. Published configs too large to build here (above {@link #BUILD_LIMIT}) are
 * checked against their published counts ({@link #PUBLISHED}); lmlab params counts them the same
 * way (PublishedConfigsTest).
 */
class ParameterCountAgreementTest {
  /** Models above this many parameters are not built in the unit tests (float32: 4 bytes each). */
  static final long BUILD_LIMIT = 20_000_000L;

  /**
   * Published parameter counts (tied tensors once) of the configs under hf-configs (see the
   * README there): model cards, the GPT-2 and Qwen2.5 reports, Meta's and Mistral's.
   */
  static final Map<String, Long> PUBLISHED = Map.of(
      "gpt2", 124_439_808L,
      "qwen2.5-0.5b", 494_032_768L,
      "qwen2.5-1.5b", 1_543_714_304L,
      "qwen2.5-7b", 7_615_616_512L,
      "llama-2-7b", 6_738_415_616L,
      "llama-3-8b", 8_030_261_248L,
      "mistral-7b-v0.1", 7_241_732_096L,
      "mamba2-130m", 128_989_632L);

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  @TestFactory
  Stream<DynamicTest> everyConfigJsonHasOneParameterCount() throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path root : new Path[] {Path.of("src/test/resources"), Path.of("../shared/fixtures")}) {
      if (!Files.isDirectory(root)) {
        System.out.println("ParameterCountAgreementTest: " + root + " is absent; its configs are not checked");
        continue;
      }
      try (Stream<Path> s = Files.walk(root)) {
        s.filter(p -> p.getFileName().toString().equals("config.json")).sorted().forEach(files::add);
      }
    }
    assertThat(files).as("the fixture and published configs").hasSizeGreaterThanOrEqualTo(17);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.toString(), () -> check(f)));
  }

  private static void check(Path file) throws IOException {
    JsonNode json = JSON.readTree(Files.readString(file));
    String name = file.getParent().getFileName().toString();
    ConfigRead<? extends ModelConfig> read;
    try {
      read = HfConfigs.read(json);
    } catch (IllegalArgumentException refused) {
      // both halves refuse it, with the shared reader's message
      assertThatThrownBy(() -> Configurations.fromJson(name, json)).hasMessage(refused.getMessage());
      assertThatThrownBy(() -> Models.parseConfig(json)).hasMessage(refused.getMessage());
      System.out.println(file + ": refused by the engine and the analyser alike: " + refused.getMessage());
      return;
    }
    ModelConfig c = read.config();
    long analyser = Analysis.of(Configurations.fromJson(name, json), Analysis.Setting.of(1)).value("parameters");
    Long reference = referenceCount(file.getParent().resolve("model.safetensors"));
    if (reference != null) assertEquals(reference, analyser, "the PyTorch reference checkpoint's tensors");
    if (PUBLISHED.containsKey(name)) assertEquals(PUBLISHED.get(name), analyser, "the published count");
    ModelSpec spec = Models.parseConfig(json);
    assertThat(spec.config()).isEqualTo(c);
    if (analyser > BUILD_LIMIT) {
      Assumptions.abort(name + ": " + analyser + " parameters (= the published count) by the closed form; the engine"
          + " does not build models above " + BUILD_LIMIT + " parameters in the unit tests");
    }
    long engine = spec.uninitialisedModel().numParameters();
    assertEquals(engine, analyser, "engine (built model) and analyser (closed form)");
  }

  /** The number of elements in a safetensors file (every tensor once), or null when there is none. */
  static Long referenceCount(Path file) throws IOException {
    if (!Files.isRegularFile(file)) return null;
    byte[] head;
    try (var in = Files.newInputStream(file)) {
      byte[] len = in.readNBytes(8);
      long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
      head = in.readNBytes((int) n);
    }
    JsonNode h = JSON.readTree(new String(head, StandardCharsets.UTF_8));
    long total = 0;
    for (Iterator<String> it = h.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (k.equals("__metadata__")) continue;
      long p = 1;
      for (JsonNode d : h.get(k).get("shape")) p *= d.asLong();
      total += p;
    }
    return total;
  }
}
