package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code lmlab bench gemm}: JSON lines on stdout, clear errors for bad sizes. */
class BenchGemmCommandTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void printsOneJsonObjectPerShapeAndLayout() throws Exception {
    int code = run("bench", "gemm", "--sizes", "64,7x5x3", "--reps", "1", "--warmup", "0",
        "--min-seconds", "0");
    assertThat(code).as(err.toString()).isZero();
    List<JsonNode> rows = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : out.toString().split("\\R")) rows.add(json.readTree(line));
    assertThat(rows).hasSize(6); // 2 sizes × NN, NT, TN
    for (JsonNode row : rows) {
      assertThat(row.fieldNames()).toIterable()
          .contains("bench", "m", "n", "k", "layout", "gflops", "backend", "threads", "ms", "reps");
      assertThat(row.get("reps").asInt()).isEqualTo(1);
      assertThat(row.get("bench").asText()).isEqualTo("gemm");
      assertThat(row.get("gflops").isNumber()).isTrue();
      assertThat(row.get("backend").asText()).isIn("java", "openblas");
      assertThat(row.get("threads").asInt()).isPositive();
    }
    assertThat(rows.get(0).get("m").asInt()).isEqualTo(64);
    assertThat(rows.get(0).get("layout").asText()).isEqualTo("NN");
    assertThat(rows.get(0).get("gflops").asDouble()).isPositive();
    JsonNode rect = rows.get(3);
    assertThat(List.of(rect.get("m").asInt(), rect.get("k").asInt(), rect.get("n").asInt()))
        .containsExactly(7, 5, 3);
    assertThat(rows.stream().map(r -> r.get("layout").asText()).distinct()).containsExactly("NN", "NT", "TN");
  }

  @Test
  void withPeakReadsThePeakBeforeAndAfterAndPrintsEachRatioToTheBest() throws Exception {
    int code = run("bench", "gemm", "--sizes", "64", "--layouts", "NN,TN", "--reps", "1", "--warmup", "0",
        "--min-seconds", "0", "--with-peak", "--peak-reps", "2", "--peak-seconds", "0.05");
    assertThat(code).as(err.toString()).isZero();
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : out.toString().split("\\R")) rows.add(json.readTree(line));
    assertThat(rows.stream().map(r -> r.get("bench").asText() + "/" + r.path("when").asText("")))
        .containsExactly("peak/before", "peak/before", "peak/after", "peak/after", "gemm/", "gemm/",
            "gemm_summary/");
    double best = rows.subList(0, 4).stream().mapToDouble(r -> r.get("gflops").asDouble()).max().orElseThrow();
    double minRatio = Double.MAX_VALUE;
    for (JsonNode row : rows.subList(4, 6)) {
      assertThat(row.get("peak_gflops").asDouble()).isEqualTo(best);
      double ratio = row.get("gflops").asDouble() / best;
      assertThat(row.get("of_peak").asDouble()).isCloseTo(ratio, org.assertj.core.data.Offset.offset(6e-4));
      minRatio = Math.min(minRatio, ratio);
    }
    JsonNode summary = rows.get(6);
    assertThat(summary.get("min_of_peak").asDouble()).isCloseTo(minRatio, org.assertj.core.data.Offset.offset(6e-4));
    assertThat(summary.get("worst").asText()).matches("64x64x64 (NN|TN)");
  }

  @Test
  void timesCallsForAtLeastMinSecondsBeyondReps() throws Exception {
    long start = System.nanoTime();
    int code = run("bench", "gemm", "--sizes", "8", "--layouts", "NN", "--reps", "3", "--warmup", "0",
        "--min-seconds", "0.2");
    double elapsed = (System.nanoTime() - start) / 1e9;
    assertThat(code).as(err.toString()).isZero();
    JsonNode row = new ObjectMapper().readTree(out.toString().lines().findFirst().orElseThrow());
    // an 8³ product takes microseconds: 0.2 s of timing is far more than the 3 calls asked for
    assertThat(row.get("reps").asInt()).isGreaterThan(100);
    assertThat(elapsed).isGreaterThanOrEqualTo(0.2);
  }

  @Test
  void badMinSecondsIsAUsageError() {
    assertThat(run("bench", "gemm", "--sizes", "8", "--min-seconds", "-1")).isEqualTo(2);
    assertThat(err.toString()).contains("--min-seconds");
  }

  @Test
  void badSizeIsAUsageErrorNamingTheValue() {
    int code = run("bench", "gemm", "--sizes", "512,12xfoo", "--reps", "1");
    assertThat(code).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    String first = err.toString().lines().findFirst().orElse("");
    assertThat(first).startsWith("lmlab: ").contains("'12xfoo'");
  }

  @Test
  void badLayoutIsAUsageError() {
    assertThat(run("bench", "gemm", "--sizes", "8", "--layouts", "NX")).isEqualTo(2);
    assertThat(err.toString()).contains("'NX'");
  }
}
