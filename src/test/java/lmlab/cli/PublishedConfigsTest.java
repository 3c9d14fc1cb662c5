package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import lmlab.cli.MainTest.Run;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code lmlab params --config FILE} on the published config.json files of src/test/resources/hf-configs
 * (README there) gives the published parameter count in seconds without allocating the weights: the
 * command's thread allocates less than 64 MB in all (GPT-2's float32 weights alone are 498 MB, a 7B
 * model's 28 GB), measured by the JVM's per-thread allocation counter.
 */
class PublishedConfigsTest {
  private static final long ALLOCATION_LIMIT = 64L << 20;

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "gpt2, 124439808, Transformer",
    "qwen2.5-0.5b, 494032768, Transformer",
    "qwen2.5-1.5b, 1543714304, Transformer",
    "qwen2.5-7b, 7615616512, Transformer",
    "llama-2-7b, 6738415616, Transformer",
    "llama-3-8b, 8030261248, Transformer",
    "mistral-7b-v0.1, 7241732096, Transformer",
    "mamba2-130m, 128989632, mamba2",
  })
  void paramsGivesThePublishedCountWithoutBuildingTheModel(String name, long published, String family)
      throws Exception {
    Path file = Path.of("src/test/resources/hf-configs", name, "config.json");
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().threadId();
    long before = threads.getThreadAllocatedBytes(id);
    long t0 = System.nanoTime();
    Run r = MainTest.run("params", "--config", file.toString(), "--format", "json");
    double seconds = (System.nanoTime() - t0) / 1e9;
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.get("total").asLong()).isEqualTo(published);
    assertThat(j.get("family").asText()).isEqualTo(family);
    assertThat(j.get("counted_by").asText()).isEqualTo("closed form");
    assertThat(allocated).as("bytes allocated by lmlab params").isLessThan(ALLOCATION_LIMIT);
    assertThat(seconds).as("seconds").isLessThan(10);
    System.out.printf("lmlab params --config %s: %,d parameters, %.2f s, %,d bytes allocated%n", file, published,
        seconds, allocated);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"qwen2.5-1.5b", "qwen2.5-7b"})
  void paramsOnACheckpointDirectoryOfABigModelDoesNotBuildIt(String name) {
    Run r = MainTest.run("params", "--model", Path.of("src/test/resources/hf-configs", name).toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("counted by the analyser's closed forms").contains("ignored keys: ")
        .contains("use_mrope");
  }
}
