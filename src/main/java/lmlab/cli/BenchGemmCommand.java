package lmlab.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lmlab.kernels.Gemm;
import lmlab.kernels.GemmBackend;
import lmlab.kernels.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmlab bench gemm}: GFLOPS of single-precision matrix multiply for a set of shapes and
 * layouts, one JSON object per line, the median over repetitions after warm-up.
 */
@Command(
    name = "gemm",
    mixinStandardHelpOptions = true,
    description = {
      "Measure SGEMM speed (C = op(A)·op(B)); prints one JSON object per line, e.g.",
      "  {\"bench\":\"gemm\",\"m\":512,\"n\":512,\"k\":512,\"layout\":\"NN\",\"gflops\":312.4,",
      "   \"backend\":\"java\",\"threads\":2,\"ms\":0.859,\"reps\":1164}",
      "gflops = 2·m·n·k / median time of the timed calls; ms is that median, reps the number of timed "
          + "calls: at least --reps, and as many more as fit in --min-seconds (a short product is timed over "
          + "hundreds of calls, so one stall of a core moves no row).",
      "With --with-peak: bench peak's rows (\"when\":\"before\"/\"after\") around the products, each "
          + "product's row adds peak_gflops (the best reading) and of_peak = gflops / peak_gflops, and a "
          + "last row {\"bench\":\"gemm_summary\",\"peak_gflops\":..,\"min_of_peak\":..,\"worst\":..}.",
      "Example:",
      "  lmlab bench gemm --sizes 512,8192x768x192 --layouts NN,TN --threads 2 \\",
      "    --with-peak",
      ""
    })
public final class BenchGemmCommand implements Runnable {
  /** m×k times k×n, the order a product is written in. */
  record Shape(int m, int k, int n) {}

  static final String DEFAULT_SIZES = "512,1024,8192x192x576,8192x768x192,4096x128x512";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--sizes",
      split = ",",
      paramLabel = "SIZE",
      converter = ShapeConverter.class,
      defaultValue = DEFAULT_SIZES,
      description = {
        "Comma-separated shapes: N for an N×N·N×N cube, or MxKxN for an M×K matrix times a "
            + "K×N one (C is M×N).",
        "Default: ${DEFAULT-VALUE}"
      })
  List<Shape> sizes;

  @Option(
      names = "--layouts",
      split = ",",
      paramLabel = "L",
      converter = LayoutConverter.class,
      defaultValue = "NN,NT,TN",
      description = {
        "Comma-separated layouts: NN = A·B, NT = A·Bᵀ, TN = Aᵀ·B, TT = Aᵀ·Bᵀ "
            + "(T: the operand is stored transposed). Default: ${DEFAULT-VALUE}"
      })
  List<String> layouts;

  @Option(
      names = "--backend",
      paramLabel = "NAME",
      description = "java or openblas (default: the global --blas / LMLAB_BLAS choice, else java).")
  String backendName;

  @Option(
      names = "--reps",
      paramLabel = "R",
      defaultValue = "10",
      description = "At least this many timed calls per shape and layout; the median is reported. "
          + "Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(
      names = "--min-seconds",
      paramLabel = "S",
      defaultValue = "1.0",
      description = "Time calls for at least this many seconds per shape and layout (beyond --reps); "
          + "the median is over all of them. 0 = exactly --reps calls. Default: ${DEFAULT-VALUE}")
  double minSeconds;

  @Option(
      names = "--warmup",
      paramLabel = "W",
      defaultValue = "5",
      description = "Untimed calls before timing (JIT compilation, caches): at least W; when "
          + "W > 0 also at least 0.5 s and until the speed has not improved for 1 s (at most 20 s). "
          + "Default: ${DEFAULT-VALUE}")
  int warmup;

  @CommandLine.Mixin PeakOptions peak;

  @Override
  public void run() {
    Flags.atLeast(spec.commandLine(), "--reps", reps, 1);
    Flags.atLeast(spec.commandLine(), "--warmup", warmup, 0);
    if (!(minSeconds >= 0 && minSeconds <= 60)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--min-seconds must be in [0, 60], got " + minSeconds);
    }
    peak.check(spec.commandLine());
    GemmBackend backend = backendName != null ? GemmBackend.named(backendName) : Gemm.backend();
    PrintWriter out = spec.commandLine().getOut();
    peak.read(out, "before");
    // With --with-peak the rows wait for the second reading: their ratio is to the best of both.
    List<Map<String, Object>> rows = new java.util.ArrayList<>();
    for (Shape s : sizes) {
      for (String layout : layouts) {
        BenchSupport.Timing timing = time(backend, s, layout);
        double seconds = Math.max(timing.medianSeconds(), 1e-9); // finite even below the timer's resolution
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("bench", "gemm");
        row.put("m", s.m());
        row.put("n", s.n());
        row.put("k", s.k());
        row.put("layout", layout);
        row.put("gflops", BenchSupport.fourDigits(2.0 * s.m() * s.n() * s.k() / seconds / 1e9));
        row.put("backend", backend.name());
        row.put("threads", Parallel.threads());
        row.put("ms", Math.round(seconds * 1e6) / 1e3);
        row.put("reps", timing.calls());
        if (peak.withPeak) rows.add(row);
        else BenchSupport.printJson(out, row);
      }
    }
    if (!peak.withPeak) return;
    peak.read(out, "after");
    double minRatio = Double.MAX_VALUE;
    String worst = "";
    for (Map<String, Object> row : rows) {
      double gflops = ((Number) row.get("gflops")).doubleValue();
      peak.addRatio(row, gflops);
      BenchSupport.printJson(out, row);
      if (!(row.get("of_peak") instanceof Number printed)) continue;
      double ratio = printed.doubleValue(); // as printed
      if (ratio < minRatio) {
        minRatio = ratio;
        worst = row.get("m") + "x" + row.get("k") + "x" + row.get("n") + " " + row.get("layout");
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("bench", "gemm_summary");
    summary.put("peak_gflops", BenchSupport.fourDigits(peak.best()));
    summary.put("min_of_peak", minRatio);
    summary.put("worst", worst);
    summary.put("threads", Parallel.threads());
    BenchSupport.printJson(out, summary);
  }

  /** Median wall time of one multiply over the timed calls, after the warm-up. */
  private BenchSupport.Timing time(GemmBackend backend, Shape s, String layout) {
    boolean transA = layout.charAt(0) == 'T';
    boolean transB = layout.charAt(1) == 'T';
    int m = s.m(), n = s.n(), k = s.k();
    float[] a = random((long) m * k, 1);
    float[] b = random((long) k * n, 2);
    float[] c = new float[Math.multiplyExact(m, n)];
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    Runnable call = () -> backend.sgemm(transA, transB, m, n, k, a, 0, lda, b, 0, ldb, c, 0, n, false);
    return BenchSupport.timeCalls(warmup, reps, (long) (minSeconds * 1e9), call);
  }

  private static float[] random(long size, long seed) {
    float[] x = new float[Math.toIntExact(size)];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
    return x;
  }

  /** "512" → 512×512·512×512; "8192x192x576" → m=8192, k=192, n=576. */
  static final class ShapeConverter implements CommandLine.ITypeConverter<Shape> {
    private static final Pattern SHAPE = Pattern.compile("(\\d{1,9})(?:[x×](\\d{1,9})[x×](\\d{1,9}))?");

    @Override
    public Shape convert(String value) {
      Matcher mt = SHAPE.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (mt.matches()) {
        int m = Integer.parseInt(mt.group(1));
        int k = mt.group(2) != null ? Integer.parseInt(mt.group(2)) : m;
        int n = mt.group(3) != null ? Integer.parseInt(mt.group(3)) : m;
        if (m > 0 && k > 0 && n > 0
            && (long) m * k <= Integer.MAX_VALUE && (long) k * n <= Integer.MAX_VALUE
            && (long) m * n <= Integer.MAX_VALUE) {
          return new Shape(m, k, n);
        }
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a size: use N (an N×N cube) or MxKxN with positive whole "
              + "numbers, e.g. 512 or 8192x192x576");
    }
  }

  /** NN, NT, TN or TT, any case. */
  static final class LayoutConverter implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String v = value.trim().toUpperCase(Locale.ROOT);
      if (v.matches("[NT]{2}")) return v;
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a layout: use NN, NT, TN or TT");
    }
  }
}
