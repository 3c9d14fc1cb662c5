package lmlab.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import lmlab.runs.MeanStd;
import org.junit.jupiter.api.Test;

class TableFormatTest {
  static Table.Stat s(double mean, double std, int n) {
    return new Table.Stat(n == 0 ? new MeanStd(Double.NaN, Double.NaN, 0) : new MeanStd(mean, std, n), 2);
  }

  /**
   * Two blocks: in gpt, A_val ties on the displayed mean (0.99996 and 1.0 both show 1.000) and
   * both are bold; t_f half steps; one seed missing in a cell; a missing cell; the lstm-lm block
   * has one row, so nothing in it is bold.
   */
  static Table golden() {
    List<Table.Column> cols = new ArrayList<>();
    cols.add(Table.Column.text("model", "model"));
    cols.add(Table.Column.text("r_train", "r_train"));
    for (String k : List.of("L_train", "L_val", "A_val", "t_f_A_val", "delta_t_A")) cols.add(MetricColumns.of(k));
    cols.add(new Table.Column("param_norm", "‖θ‖₂", "$\\|\\theta\\|_2$", Table.Kind.NUMBER, Table.Best.NONE));
    List<Table.Row> gpt = List.of(
        new Table.Row(List.of(new Table.Text("gpt"), new Table.Text("0.3"), s(0.010312, 0.000123, 2),
            s(0.0523, 0.0101, 2), s(0.99996, 0.00004, 2), s(7850.5, 349.5, 2), s(1200, 300, 2), s(41.237, 0.5, 2))),
        new Table.Row(List.of(new Table.Text("gpt"), new Table.Text("0.5"), s(0.0009876, 0.0000123, 2),
            s(0.0523, 0.02, 2), s(1.0, 0.0, 2), s(7850, 350, 2), s(-100, 50, 2), s(35.5, 0.25, 2))),
        new Table.Row(List.of(new Table.Text("gpt"), new Table.Text("0.9"), s(1.2345, 0.01, 2),
            s(0, 0, 0), s(0.912, 0.0, 1), s(9000, 0, 1), s(0, 0, 0), s(1234.5, 10, 2))));
    List<Table.Row> lstm = List.of(
        new Table.Row(List.of(new Table.Text("lstm-lm"), new Table.Text("0.5"), s(0.0008, 0.0004, 2),
            s(0.0012, 0.0002, 2), s(1.0, 0.0, 2), s(7850, 350, 2), s(300, 100, 2), s(20.0, 1.0, 2))));
    return new Table("golden", "Table 1: metrics of grok-data (p = 31); mean ± std over seeds 0 and 42 (population std), "
        + "T_max = 10000; best per column in bold.", cols, List.of(gpt, lstm));
  }

  static String resource(String name) throws IOException {
    try (InputStream in = TableFormatTest.class.getResourceAsStream("/report/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void markdownIsByteForByteTheGolden() throws IOException {
    assertThat(TableFormat.markdown(golden())).isEqualTo(resource("golden-table.md"));
  }

  @Test
  void latexIsByteForByteTheGolden() throws IOException {
    assertThat(TableFormat.latex(golden())).isEqualTo(resource("golden-table.tex"));
  }

  @Test
  void csvKeepsFullPrecisionInSeparateColumns() {
    String csv = TableFormat.csv(golden());
    assertThat(csv.lines().findFirst().orElseThrow())
        .startsWith("model,r_train,L_train_mean,L_train_std,L_train_n,L_val_mean");
    assertThat(csv).contains("gpt,0.3,0.010312,1.23E-4,2,0.0523,0.0101,2,0.99996,4.0E-5,2,7850.5,349.5,2,1200,300,2");
    assertThat(csv).contains("gpt,0.9,1.2345,0.01,2,,,0,0.912,0,1,9000,0,1,,,0");
  }

  @Test
  void cellsFollowTheSpecFormats() {
    assertThat(TableFormat.cell(Table.Kind.LOSS, new MeanStd(0.010312, 0.000123, 2), 2)).isEqualTo("0.01031 ± 0.00012");
    assertThat(TableFormat.cell(Table.Kind.STEP, MeanStd.of(7500, 8200), 2)).isEqualTo("7850 ± 350");
    assertThat(TableFormat.cell(Table.Kind.STEP, MeanStd.of(7501, 8200), 2)).isEqualTo("7850.5 ± 349.5");
    assertThat(TableFormat.cell(Table.Kind.ACCURACY, MeanStd.of(0.912), 2)).isEqualTo("0.912 ± 0.000 (n = 1)");
    assertThat(TableFormat.cell(Table.Kind.LOSS, MeanStd.of(9.99996), 1)).isEqualTo("10.00 ± 0.00");
    assertThat(TableFormat.cell(Table.Kind.LOSS, MeanStd.of(), 2)).isEqualTo("–");
  }

  @Test
  void htmlBoldsWithStrong() {
    String html = TableFormat.html(golden());
    assertThat(html).contains("<strong>1.000 ± 0.000</strong>").contains("<caption>Table 1:");
  }
}
