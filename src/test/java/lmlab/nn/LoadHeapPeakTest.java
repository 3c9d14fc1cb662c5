package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lmlab.models.LanguageModel;
import lmlab.models.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 5 of the redesign: loading a random 100M-parameter checkpoint peaks below 1.3x its
 * float32 size in heap. A GPT-2-shaped model (d 768, 12 heads, 9 layers, vocabulary 50,257, 1,024
 * positions, tied head: 103M parameters) is saved, then loaded by {@link LoadHeapProbe} in fresh JVMs: the
 * lmlab way with room to spare (the peak must stay below 1.3x) and with the heap capped at 1.3x
 * (it must succeed); and the old way (a state dict of copies, then the model) in that capped heap,
 * where it must run out of memory (so the measurement tells one copy from two).
 */
@Tag("slow")
class LoadHeapPeakTest {
  @TempDir Path tmp;

  record Run(int exit, String output) {
    JsonNode json() throws IOException {
      String line = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow();
      return new ObjectMapper().readTree(line);
    }
  }

  static Run probe(String mode, Path dir, long maxHeap) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "-Xms16m", "-Xmx" + maxHeap, "-cp",
        System.getProperty("java.class.path"), LoadHeapProbe.class.getName(), mode, dir.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int code = p.waitFor();
    String result = out.lines().filter(l -> l.startsWith("{") || l.contains("OutOfMemoryError")).findFirst().orElse("");
    System.out.println("LoadHeapProbe " + mode + " -Xmx" + maxHeap + " (exit " + code + "): " + result);
    return new Run(code, out);
  }

  @Test
  void aRandom100MCheckpointLoadsBelow1point3TimesItsFloat32SizeInHeap() throws Exception {
    lmlab.models.ModelSpec spec = Models.preset("gpt", Map.of("vocab_size", "50257", "hidden_size", "768",
        "num_attention_heads", "12", "num_hidden_layers", "9", "max_position_embeddings", "1024",
        "tie_word_embeddings", "true", "lm_head_bias", "false"));
    Path dir = tmp.resolve("m100");
    long bytes;
    {
      LanguageModel m = spec.newModel(1);
      assertThat(m.numParameters()).isBetween(100_000_000L, 110_000_000L);
      bytes = 4L * m.stateDict().values().stream().mapToLong(t -> t.numel()).sum();
      ModuleCheckpoint.save(dir, spec.toJson(), m);
    }
    // with room to spare, the peak (an upper bound: per-pool peaks summed) stays below 1.3x
    Run roomy = probe("mapped", dir, 3 * bytes);
    assertThat(roomy.exit()).as(roomy.output()).isZero();
    assertThat(roomy.json().get("float32_bytes").asLong()).isEqualTo(bytes);
    assertThat(roomy.json().get("peak_over_float32").asDouble()).isLessThan(1.3);
    // and the load succeeds in a heap of 1.3x, where a state dict of copies runs out of memory
    long cap = (long) (1.3 * bytes);
    Run capped = probe("mapped", dir, cap);
    assertThat(capped.exit()).as(capped.output()).isZero();
    Run copies = probe("copies", dir, cap);
    assertThat(copies.exit()).isNotZero();
    assertThat(copies.output()).contains("OutOfMemoryError");
  }
}
