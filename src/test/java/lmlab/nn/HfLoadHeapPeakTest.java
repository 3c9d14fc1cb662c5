package lmlab.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import lmlab.models.Models;
import lmlab.models.Transformer;
import lmlab.models.TransformerConfig;
import lmlab.testing.HfDirs;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #18 acceptance 2, loading peak: a 100M-parameter checkpoint in Hugging Face GPT-2 layout
 * (fused c_attn, Conv1D (in, out) weights, so almost every tensor is sliced or transposed on the
 * way in) loads through the weight mapper below 1.3x its float32 size in heap, as
 * {@link LoadHeapPeakTest} requires of lmlab's own layout: the mapper reads each piece from the
 * mapped file straight into its parameter, through one row of scratch when transposing.
 */
@Tag("slow")
class HfLoadHeapPeakTest {
  @TempDir Path tmp;

  @Test
  void aGpt2LayoutCheckpointLoadsNearOneCopy() throws Exception {
    TransformerConfig c = TransformerConfig.builder("gpt2").set("num_hidden_layers", 9).set("dropout", 0.0).build();
    Path dir = Files.createDirectories(tmp.resolve("gpt2-hf"));
    long bytes;
    {
      Transformer m = new Transformer(c, 1);
      assertThat(m.numParameters()).isBetween(100_000_000L, 110_000_000L);
      bytes = 4L * m.stateDict().values().stream().mapToLong(t -> t.numel()).sum();
      HfDirs.writeJson(dir, "config.json", HfDirs.gpt2Config(c));
      HfDirs.write(dir.resolve("model.safetensors"), HfDirs.gpt2Layout(m.stateDict(), 9, 1024, true, true), "F32");
    }
    assertThat(Models.readConfig(dir).toJson().get("model_type").asText()).isEqualTo("gpt2");
    LoadHeapPeakTest.Run roomy = LoadHeapPeakTest.probe("mapped", dir, 3 * bytes);
    assertThat(roomy.exit()).as(roomy.output()).isZero();
    assertThat(roomy.json().get("float32_bytes").asLong()).isEqualTo(bytes);
    assertThat(roomy.json().get("peak_over_float32").asDouble()).isLessThan(1.3);
    LoadHeapPeakTest.Run capped = LoadHeapPeakTest.probe("mapped", dir, (long) (1.3 * bytes));
    assertThat(capped.exit()).as(capped.output()).isZero();
  }
}
