package lmlab.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every figure kind renders to a PNG of the figure's size at 2× and to an SVG that parses and keeps its text. */
class FigureWriterTest {
  @TempDir Path dir;

  static final double[] STEPS = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000};

  static double[] curve(double start, double end, double rate) {
    double[] y = new double[STEPS.length];
    for (int i = 0; i < y.length; i++) y[i] = end + (start - end) * Math.exp(-rate * i);
    return y;
  }

  static double[] constant(double v) {
    double[] y = new double[STEPS.length];
    java.util.Arrays.fill(y, v);
    return y;
  }

  /** Line panels with bands (train blue, validation red, dashed), log loss axis, [0, 1] accuracy. */
  static Figure curves() {
    Panel loss = new Panel.Lines("loss", Axis.linear("training step t"), Axis.log("loss (nats)"), List.of(
        Series.band("train", Palette.TRAIN, false, STEPS, curve(3.9, 0.001, 0.6), constant(0.0005)),
        Series.band("validation", Palette.VALIDATION, true, STEPS, curve(3.9, 0.05, 0.3), constant(0.02))));
    Panel acc = new Panel.Lines("accuracy", Axis.linear("training step t"), Axis.unit("accuracy"), List.of(
        Series.band("train", Palette.TRAIN, false, STEPS, curve(0, 1, 0.6), constant(0.05)),
        Series.band("validation", Palette.VALIDATION, true, STEPS, curve(0, 0.9, 0.3), constant(0.1))));
    Legend legend = new Legend.Categories(null, List.of(
        new Legend.Entry("train", Palette.TRAIN, false, false),
        new Legend.Entry("validation", Palette.VALIDATION, true, false)));
    return new Figure("kind-curves", "gpt (p = 31, r_train 0.5)", 1, 2, List.of(loss, acc), legend, "c");
  }

  /** One curve per ordered value, viridis colour bar. */
  static Figure colourBar() {
    List<Series> s = new ArrayList<>();
    double[] rs = {0.1, 0.3, 0.5, 0.7, 0.9};
    for (double r : rs) s.add(Series.line("r=" + r, Palette.viridis((r - 0.1) / 0.8), false, STEPS, curve(0, r + 0.05, 0.5)));
    Panel p = new Panel.Lines("validation accuracy", Axis.linear("training step t"), Axis.unit("accuracy"), s);
    return new Figure("kind-colourbar", null, 1, 1, List.of(p), new Legend.ColourBar("r_train", 0.1, 0.9), "c");
  }

  /** Error bars on a log2 x axis with fixed ticks, two categorical lines. */
  static Figure errorBars() {
    double[] d = {64, 128, 256};
    Panel p = new Panel.Lines("A_val", Axis.log2("d_model", 64, 128, 256), Axis.log("L_val (nats)"), List.of(
        Series.errorbars("L = 1", Palette.tab10(0), d, new double[] {0.5, 0.05, 0.01}, new double[] {0.1, 0.01, 0.02}),
        Series.errorbars("L = 2", Palette.tab10(1), d, new double[] {0.3, 0.02, 0.004}, new double[] {0.05, 0.01, 0.001})));
    Legend legend = new Legend.Categories("L", List.of(
        new Legend.Entry("L = 1", Palette.tab10(0), false, true), new Legend.Entry("L = 2", Palette.tab10(1), false, true)));
    return new Figure("kind-errorbars", null, 1, 1, List.of(p), legend, "c");
  }

  /** A 2 × 2 grid of causal heat maps with token labels and annotations, one shared colour bar. */
  static Figure heatmaps() {
    List<String> tokens = List.of("BOS", "3", "+", "5", "=", "8");
    List<Panel> panels = new ArrayList<>();
    java.util.Random rnd = new java.util.Random(1);
    for (int l = 0; l < 2; l++) {
      for (int h = 0; h < 2; h++) {
        double[][] w = new double[6][6];
        for (int i = 0; i < 6; i++) {
          double sum = 0;
          for (int j = 0; j < 6; j++) {
            w[i][j] = j <= i ? rnd.nextDouble() : Double.NaN;
            if (j <= i) sum += w[i][j];
          }
          for (int j = 0; j <= i; j++) w[i][j] /= sum;
        }
        panels.add(new Panel.Heatmap("layer " + (l + 1) + ", head " + (h + 1), "key position", tokens, "query position",
            tokens, w, 0, 1, true));
      }
    }
    return new Figure("kind-heatmaps", "3 + 5 = 8", 2, 2, panels, new Legend.ColourBar("attention weight", 0, 1), "c");
  }

  static List<Figure> all() {
    return List.of(curves(), colourBar(), errorBars(), heatmaps());
  }

  @Test
  void everyKindWritesPngAtTwiceTheUnitsAndSvgWithItsText() throws Exception {
    Path out = Path.of(System.getenv().getOrDefault("LMLAB_FIGURES_OUT", dir.toString()));
    for (Figure f : all()) {
      Path png = FigureWriter.write(f, out);
      BufferedImage img = ImageIO.read(png.toFile());
      assertThat(img.getWidth()).as(f.id()).isEqualTo(2 * f.width());
      assertThat(img.getHeight()).as(f.id()).isEqualTo(2 * f.height());
      String svg = Files.readString(out.resolve(f.id() + ".svg"), StandardCharsets.UTF_8);
      DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
      for (Panel p : f.panels()) {
        assertThat(svg).contains(p.title());
        if (p instanceof Panel.Lines l) assertThat(svg).contains(l.x().title(), l.y().title());
        if (p instanceof Panel.Heatmap h) assertThat(svg).contains(h.xTitle(), h.yTitle());
      }
      if (f.legend() instanceof Legend.ColourBar b) assertThat(svg).contains(b.title());
      try (var s = Files.list(out)) {
        assertThat(s.map(Path::getFileName).map(Path::toString)).noneMatch(n -> n.endsWith(".tmp"));
      }
    }
    assertThat(FigureWriter.svgElement(heatmaps())).startsWith("<svg").contains("kind-heatmaps-");
  }

  @Test
  void figureSizeIsPanelsPlusTitleAndLegend() {
    Figure f = heatmaps();
    assertThat(f.width()).isEqualTo(2 * 480 + Figure.LEGEND_WIDTH);
    assertThat(f.height()).isEqualTo(2 * 360 + Figure.TITLE_HEIGHT);
    assertThat(colourBar().height()).isEqualTo(360);
  }
}
