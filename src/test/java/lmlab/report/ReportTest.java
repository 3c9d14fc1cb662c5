package lmlab.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code experiment report} on sweeps of every grok experiment in the tiny scale's shape: every
 * figure and table id of experiments.md is produced, PNGs have the figure's size at 2×, SVGs parse
 * and hold their axis titles, the HTML is self-contained, unfinished runs are marked.
 */
class ReportTest {
  @TempDir Path tmp;

  static final Map<String, List<String>> FIGURES = Map.of(
      "grok-sanity", List.of("sanity-curves-gpt", "sanity-curves-lstm-lm"),
      "grok-data", List.of("data-curves-gpt", "data-curves-lstm-lm", "data-metrics"),
      "grok-orders", List.of("orders-curves-gpt", "orders-curves-lstm-lm", "orders-by-order-gpt", "orders-by-order-lstm-lm"),
      "grok-size", List.of("size-curves-gpt", "size-curves-lstm-lm", "size-metrics-vs-d-gpt", "size-metrics-vs-d-lstm-lm",
          "size-metrics-vs-params-gpt", "size-metrics-vs-params-lstm-lm"),
      "grok-compute", List.of("compute-curves-gpt", "compute-curves-lstm-lm", "compute-metrics-vs-B-gpt",
          "compute-metrics-vs-B-lstm-lm", "compute-metrics-vs-C-gpt", "compute-metrics-vs-C-lstm-lm"),
      "grok-wd", List.of("wd-curves", "wd-metrics"));

  static final Map<String, List<String>> TABLES = Map.of(
      "grok-sanity", List.of("sanity-metrics"),
      "grok-data", List.of("data-metrics-gpt", "data-metrics-lstm-lm", "data-thresholds"),
      "grok-orders", List.of("orders-metrics"),
      "grok-size", List.of("size-metrics-gpt", "size-metrics-lstm-lm"),
      "grok-compute", List.of("compute-metrics-gpt", "compute-metrics-lstm-lm"),
      "grok-wd", List.of("wd-metrics"));

  static ReportWriter.Meta meta() {
    return new ReportWriter.Meta(null, null, "lmlab experiment run X --scale tiny", "lmlab test", "test machine", "today");
  }

  /** Checks one built report: every id, sizes, SVG text, HTML self-contained; returns the html. */
  static String check(Path sweep, String name) throws Exception {
    return check(sweep, name, true);
  }

  static String check(Path sweep, String name, boolean someUnfinished) throws Exception {
    Path report = sweep.resolve("report");
    for (String id : FIGURES.get(name)) {
      BufferedImage png = ImageIO.read(report.resolve("figures/" + id + ".png").toFile());
      assertThat(png).as(id).isNotNull();
      assertThat(png.getWidth() % 2).isZero();
      assertThat(png.getWidth()).as(id).isGreaterThanOrEqualTo(2 * 480);
      assertThat((png.getHeight() / 2) % 360).as(id + " height").isIn(0, Figure.TITLE_HEIGHT);
      String svg = Files.readString(report.resolve("figures/" + id + ".svg"), StandardCharsets.UTF_8);
      var dbf = DocumentBuilderFactory.newInstance();
      dbf.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      dbf.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
      assertThat(svg).as(id).contains("training step t".equals("") ? "" : "<text");
      int w = Integer.parseInt(svg.replaceFirst("(?s).*?width='([0-9]+)(\\.0)?'.*", "$1"));
      assertThat(png.getWidth()).as(id).isEqualTo(2 * w);
    }
    for (String id : TABLES.get(name)) {
      for (String ext : List.of(".md", ".csv", ".tex")) assertThat(report.resolve("tables/" + id + ext)).as(id + ext).isRegularFile();
      assertThat(Files.readString(report.resolve("tables/" + id + ".tex"))).contains("\\toprule", "\\bottomrule");
    }
    String md = Files.readString(report.resolve("report.md"));
    String html = Files.readString(report.resolve("report.html"));
    for (String id : FIGURES.get(name)) {
      assertThat(md).contains("(figures/" + id + ".png)");
      assertThat(html).contains("<figure id=\"" + id + "\">");
    }
    assertThat(md).contains("Figure 1: ", "Table 1: ", "## Runs", "Appendix: sweep.json", "(scale tiny)");
    if (someUnfinished) assertThat(md).contains("interrupted");
    assertThat(html).doesNotContain("<script", "<img", "<link", "@import", "url(http", "src=\"http");
    assertThat(html).contains("<style>", "<svg");
    if (someUnfinished) assertThat(html).contains("state-interrupted");
    List<String> csv = Files.readAllLines(report.resolve("metrics.csv"));
    assertThat(csv.get(0)).startsWith("run,").contains("state", "L_train", "t_f_A_val", "delta_t_A");
    assertThat(csv).hasSize(1 + (int) Files.list(sweep).filter(p -> Files.isRegularFile(p.resolve("config.json"))).count());
    return html;
  }

  @Test
  void everyGrokExperimentHasEveryFigureAndTableOfTheSpec() throws Exception {
    List<String> failures = new ArrayList<>();
    for (String name : SweepFixtures.GROK) {
      Path sweep = SweepFixtures.write(tmp, name);
      Reports.build(sweep, meta());
      check(sweep, name);
    }
    assertThat(failures).isEmpty();
    Path compute = tmp.resolve("grok-compute-tiny/report/tables");
    List<String> alpha = Files.readAllLines(compute.resolve("compute-metrics-alpha-gpt.csv"));
    assertThat(alpha).hasSize(1 + 2 * 10);
    assertThat(alpha.get(0)).startsWith("batch_size,B_eff,alpha,T_max,C,L_train_mean");
    assertThat(alpha.get(1)).startsWith("32,32,0.1,100,");
    assertThat(Files.readString(compute.resolve("compute-metrics-lstm-lm.md"))).contains("| 512 | 480 |");
  }

  @Test
  void unfinishedRunsAreMarkedInTheirCells() throws Exception {
    Path sweep = SweepFixtures.write(tmp, "grok-sanity");
    Reports.build(sweep, meta());
    String table = Files.readString(sweep.resolve("report/tables/sanity-metrics.md"));
    // lstm-lm seed 42 stopped at step 500 with no summary: its group's cells still average both seeds'
    // evaluations so far; the run table says interrupted
    assertThat(Files.readString(sweep.resolve("report/report.md"))).contains("| lstm-lm-s42 | interrupted | 500 / 1000 |");
    assertThat(table).contains("| gpt |", "| lstm-lm |");
  }

  @Test
  void captionsNameTheExperimentSettingsAndSeeds() throws Exception {
    Path sweep = SweepFixtures.write(tmp, "grok-data");
    Reports.build(sweep, meta());
    String md = Files.readString(sweep.resolve("report/report.md"));
    assertThat(md).contains("Figure 1: train and validation loss and accuracy vs training step t, one curve per r_train, for "
        + "grok-data (Data scaling (IFT6135 HW2 P4)) (model gpt, steps 1001); mean over seeds 0 and 42; no bands.");
    assertThat(md).contains("mean ± std over seeds 0 and 42 (population std), T_max = 1000; best per column in bold.");
    assertThat(md).contains("r_min (the smallest r_train with mean A_val ≥ 0.9)");
    // the thread count is the runs' own (config.json), not the report command's
    assertThat(md).contains("- machine: test machine, 1 thread per run\n");
  }

  @Test
  void aRunDirectoryOrAnEmptyDirectoryIsNotASweep() throws Exception {
    Path run = RunFixtures.write(tmp.resolve("one"), RunFixtures.Spec.of("gpt", 0.5, 0));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reports.build(run, meta()))
        .hasMessage(run + " is a run directory; expected a sweep directory (sweep.json and its runs) — plot a single run with lmlab plot curves");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Reports.build(empty, meta()))
        .hasMessage(empty + " is not a sweep directory: it has no sweep.json and no run directories (config.json, metrics.jsonl) inside");
  }
}
