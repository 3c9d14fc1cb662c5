package lmlab.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lmlab.kernels.DeterminismProbe;
import lmlab.kernels.Parallel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A decoding step gives the same bits however far HotSpot has compiled it: the logits of small
 * models (LayerNorm and learned positions; RMSNorm, RoPE and grouped-query attention; a windowed
 * mask with ReLU scores) stepped a token at a time, one row and three rows, compared between the
 * first (interpreted) run and a run after the JIT has compiled the kernels, and with a JVM that only
 * interprets ({@code -Xint}). A lane sum whose order depends on the tier (LayerNorm's once did)
 * fails here.
 */
class DecodeDeterminismTest {
  @AfterEach
  void threads() {
    Parallel.useDefaultThreads();
  }

  /** The logits of every step of every model, in a fixed order (one thread). */
  static List<float[]> run() {
    Parallel.setThreads(1);
    List<float[]> out = new ArrayList<>();
    TransformerConfig[] configs = {
        RowPartsTest.small("chargpt"),
        RowPartsTest.small("llama"),
        RowPartsTest.small("qwen2", "attention", "relu", "masks", "\"sliding(4)\"")};
    for (TransformerConfig c : configs) {
      Transformer model = new Transformer(c, 3L);
      model.eval();
      for (int rows : new int[] {1, 3}) {
        ModelState state = model.newState(rows);
        for (int step = 0; step < 7; step++) {
          int[] tokens = new int[rows];
          for (int r = 0; r < rows; r++) tokens[r] = (step * 5 + r * 3) % c.vocabSize();
          out.add(model.step(state, tokens, 1).clone());
        }
      }
    }
    return out;
  }

  /** Prints the digest of {@link #run()} (for a JVM started with other flags). */
  public static void main(String[] args) {
    System.out.println(DeterminismProbe.digest(run()));
  }

  @Test
  void aStepHasTheSameBitsBeforeAndAfterTheJitCompilesIt() {
    List<float[]> cold = run();
    for (int i = 0; i < 300; i++) run();
    List<float[]> warm = run();
    for (int i = 0; i < cold.size(); i++) assertThat(warm.get(i)).as("output %d", i).containsExactly(cold.get(i));
  }

  @Test
  void anInterpretedJvmStepsToTheSameBits() throws Exception {
    for (int i = 0; i < 300; i++) run();
    String here = DeterminismProbe.digest(run());
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(java.toString(), "-Xint", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
        DecodeDeterminismTest.class.getName())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String there = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(there).isEqualTo(here);
  }
}
