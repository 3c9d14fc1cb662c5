package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import lmlab.io.Safetensors;
import lmlab.io.SafetensorsFile;
import lmlab.lab.arith.ArithmeticConfig;
import lmlab.lab.arith.ArithmeticDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lmlab attention} on a real (two-step) gpt run: figures, attention.safetensors, and its errors. */
class AttentionCommandTest {
  @TempDir static Path tmp;
  static Path run;

  @BeforeAll
  static void train() {
    PlotCommandTest.Result r = PlotCommandTest.run("train", "--steps", "2", "--eval-period", "1", "--runs-dir",
        tmp.toString(), "--run-name", "gpt-tiny", "--seed", "0");
    assertThat(r.code()).as(r.err()).isZero();
    run = tmp.resolve("gpt-tiny");
  }

  @Test
  void theFirstTwoTrainingEquationsByDefault() throws Exception {
    Path out = tmp.resolve("att");
    PlotCommandTest.Result r = PlotCommandTest.run("attention", "--model", run.toString(), "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    for (String k : new String[] {"1", "2"}) {
      BufferedImage png = ImageIO.read(out.resolve("attention-sample" + k + ".png").toFile());
      // 2 layers x 4 heads of 480 x 360 units, the equation above, the colour bar beside, at 2x
      assertThat(png.getWidth()).isEqualTo(2 * (4 * 480 + 150));
      assertThat(png.getHeight()).isEqualTo(2 * (2 * 360 + 34));
      assertThat(out.resolve("attention-sample" + k + ".svg")).content()
          .contains("layer 2, head 4", "query position", "key position", "attention weight", "BOS");
    }
    try (SafetensorsFile f = Safetensors.read(out.resolve("attention.safetensors"))) {
      assertThat(f.shape("attentions")).containsExactly(2, 2, 4, 6, 6);
      assertThat(f.shape("tokens")).containsExactly(2, 6);
      // causal softmax rows: each query's weights sum to 1, future keys get 0
      var a = f.tensor("attentions");
      for (int i = 0; i < 6; i++) {
        double sum = 0;
        for (int j = 0; j < 6; j++) sum += a.get(0, 1, 2, i, j);
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        for (int j = i + 1; j < 6; j++) assertThat(a.get(0, 1, 2, i, j)).isZero();
      }
      // the first training equation of the split, as X = BOS a + b = r
      var data = ArithmeticDataset.of(ArithmeticConfig.defaults());
      int[] seq = data.train().sequence(0);
      for (int j = 0; j < 6; j++) assertThat(f.ints("tokens").storage()[j]).isEqualTo(seq[j]);
    }
  }

  @Test
  void aSampleThatIsNotATrainingEquationIsNamed() {
    var data = ArithmeticDataset.of(ArithmeticConfig.defaults());
    int[] v = data.val().sequence(0);
    String eq = data.vocab().name(v[1]) + "+" + data.vocab().name(v[3]);
    PlotCommandTest.Result r = PlotCommandTest.run("attention", "--model", run.toString(), "--samples", eq, "--out",
        tmp.resolve("x").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("'" + eq + "' is not a training equation of " + run, "it is a validation equation");
    PlotCommandTest.Result bad = PlotCommandTest.run("attention", "--model", run.toString(), "--samples", "3+99", "--out",
        tmp.resolve("x").toString());
    assertThat(bad.err()).contains("'3+99' is not a training equation", "it is no equation of this task (p = 31, operator +)");
  }

  @Test
  void aDirectoryWithoutAModelIsNamed() {
    PlotCommandTest.Result r = PlotCommandTest.run("attention", "--model", tmp.toString(), "--out", tmp.resolve("y").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("lmlab: " + tmp + " has no trained model (expected a run directory with "
        + "checkpoints/latest/model.safetensors, or a checkpoint directory)");
  }
}
