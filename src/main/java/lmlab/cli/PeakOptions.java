package lmlab.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.kernels.FmaPeak;
import lmlab.kernels.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --with-peak} of the speed benches: the FMA ceiling ({@code bench peak}) read before and
 * after the measurement in the same command, and each result stated as a ratio to the best
 * reading. On a shared machine the ceiling moves from minute to minute, so a ratio taken in the
 * same minutes says more than any absolute figure.
 */
final class PeakOptions {
  @Option(names = "--with-peak",
      description = "Read the FMA peak (as bench peak) before and after, and print each result's "
          + "ratio to the best reading (of_peak).")
  boolean withPeak;

  @Option(names = "--peak-reps", paramLabel = "R", defaultValue = "3",
      description = "Peak readings before and after each (with --with-peak). Default: ${DEFAULT-VALUE}")
  int peakReps;

  @Option(names = "--peak-seconds", paramLabel = "S", defaultValue = "1",
      description = "Seconds per peak reading (with --with-peak). Default: ${DEFAULT-VALUE}")
  double peakSeconds;

  private double best;

  void check(CommandLine cl) {
    Flags.atLeast(cl, "--peak-reps", peakReps, 1);
    Flags.seconds(cl, "--peak-seconds", peakSeconds);
  }

  /**
   * With --with-peak, takes the readings and prints each as
   * {"bench":"peak","when":when,"gflops":..,"threads":..,"vector_bits":..}; else nothing.
   */
  void read(PrintWriter out, String when) {
    if (!withPeak) return;
    for (int r = 0; r < peakReps; r++) {
      double g = FmaPeak.gflops(peakSeconds);
      best = Math.max(best, g);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bench", "peak");
      row.put("when", when);
      row.put("gflops", BenchSupport.fourDigits(g));
      row.put("threads", Parallel.threads());
      row.put("vector_bits", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
      BenchSupport.printJson(out, row);
    }
  }

  /** The best reading so far (0 before any). */
  double best() {
    return best;
  }

  /** With --with-peak, adds peak_gflops (the best reading) and of_peak = gflops / it to row. */
  void addRatio(Map<String, Object> row, double gflops) {
    if (!withPeak || best <= 0) return;
    // The ratio of the printed values, so that a reader who divides them gets the same number.
    double peak = BenchSupport.fourDigits(best);
    row.put("peak_gflops", peak);
    row.put("of_peak", Math.round(BenchSupport.fourDigits(gflops) / peak * 1000) / 1000.0);
  }
}
