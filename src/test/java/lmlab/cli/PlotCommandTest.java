package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import lmlab.report.RunFixtures;
import lmlab.report.RunFixtures.Spec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lmlab plot curves|metrics} on run directories in the layout lmlab train writes. */
class PlotCommandTest {
  @TempDir Path tmp;
  Path sweep;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeEach
  void runs() throws Exception {
    sweep = tmp.resolve("sweep");
    for (String model : List.of("gpt", "lstm-lm")) {
      for (double r : new double[] {0.3, 0.5, 0.7}) {
        for (int seed : new int[] {0, 42}) {
          RunFixtures.write(sweep.resolve(model + "-r" + r + "-s" + seed), Spec.of(model, r, seed));
        }
      }
    }
  }

  @Test
  void curvesOfOneConfigurationWritePngAndSvg() throws Exception {
    Path out = tmp.resolve("out");
    Result r = run("plot", "curves", sweep.resolve("gpt-r0.5-s0").toString(), sweep.resolve("gpt-r0.5-s42").toString(),
        "--metrics", "loss,acc,param_norm", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    BufferedImage png = ImageIO.read(out.resolve("curves.png").toFile());
    assertThat(png.getWidth()).isEqualTo(2 * (3 * 480 + 150));
    assertThat(png.getHeight()).isEqualTo(2 * (360 + 34));
    String svg = Files.readString(out.resolve("curves.svg"));
    assertThat(svg).contains("training step t", "loss (nats)", "accuracy", "‖θ‖₂", "train", "validation");
    assertThat(r.out()).contains("mean over seeds 0 and 42, bands ±1 std");
  }

  @Test
  void colorByAnOrderedKeyDrawsAColourBar() {
    Path out = tmp.resolve("out");
    List<String> args = new ArrayList<>(List.of("plot", "curves", "--color-by", "r_train", "--out", out.toString(), "--id", "by-r"));
    for (String s : List.of("0.3", "0.5", "0.7")) {
      args.add(sweep.resolve("gpt-r" + s + "-s0").toString());
      args.add(sweep.resolve("gpt-r" + s + "-s42").toString());
    }
    Result r = run(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(out.resolve("by-r.svg")).content().contains("r_train", "validation");
  }

  @Test
  void metricsVsASettingPerModel() throws Exception {
    Path out = tmp.resolve("out");
    Result r = run("plot", "metrics", sweep.toString(), "--x", "r_train", "--group", "model", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    BufferedImage png = ImageIO.read(out.resolve("metrics-vs-r_train.png").toFile());
    assertThat(png.getWidth()).isEqualTo(2 * (5 * 480 + 150));
    assertThat(png.getHeight()).isEqualTo(2 * 2 * 360);
    assertThat(out.resolve("metrics-vs-r_train.svg")).content()
        .contains("L_train (nats)", "t_f(A_val) (steps)", "Δt(A)", "r_train", "lstm-lm");
  }

  @Test
  void aDirectoryThatIsNeitherRunNorSweepIsOneLine() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Result r = run("plot", "curves", empty.toString(), "--out", tmp.resolve("o").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip()).isEqualTo("lmlab: " + empty + " is neither a run directory (it has no metrics.jsonl)"
        + " nor a sweep directory (no sweep.json and no run directories inside)");
  }

  @Test
  void runsOfDifferentTasksAreRefused() throws Exception {
    Path text = RunFixtures.write(tmp.resolve("text-run"), Spec.of("chargpt", 0.5, 0).task("text"));
    Result r = run("plot", "curves", sweep.resolve("gpt-r0.5-s0").toString(), text.toString(), "--out", tmp.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("runs of different tasks in one plot", "is task arithmetic", "is task text",
        "expected runs of one task");
  }

  @Test
  void aMetricNoRunHasIsNamed() {
    Result r = run("plot", "curves", sweep.resolve("gpt-r0.5-s0").toString(), "--metrics", "loss,perplexity", "--out",
        tmp.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("metric 'perplexity': no run has it", "train_loss", "val_acc");
  }

  @Test
  void anUnknownColourKeyIsNamed() {
    Result r = run("plot", "curves", sweep.toString(), "--color-by", "flavour", "--out", tmp.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("lmlab: --color-by 'flavour': no run's config.json has that key; expected one of");
  }
}
