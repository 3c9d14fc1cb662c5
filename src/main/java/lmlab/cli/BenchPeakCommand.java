package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.kernels.FmaPeak;
import lmlab.kernels.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lmlab bench peak}: the FMA ceiling of this machine, the yardstick for bench gemm. */
@Command(
    name = "peak",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the machine's FMA ceiling: independent vector FMA chains on registers, on every thread at "
          + "once; prints {\"bench\":\"peak\",\"gflops\":..,\"threads\":..,\"vector_bits\":..} per repetition.",
      "No GEMM can exceed it.",
      ""
    })
public final class BenchPeakCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--reps", paramLabel = "R", defaultValue = "3", description = "Repetitions. Default: ${DEFAULT-VALUE}")
  int reps;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "1", description = "Seconds per repetition. Default: ${DEFAULT-VALUE}")
  double seconds;

  @Override
  public void run() {
    Flags.atLeast(spec.commandLine(), "--reps", reps, 1);
    Flags.seconds(spec.commandLine(), "--seconds", seconds);
    for (int r = 0; r < reps; r++) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bench", "peak");
      row.put("gflops", BenchSupport.fourDigits(FmaPeak.gflops(seconds)));
      row.put("threads", Parallel.threads());
      row.put("vector_bits", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
      BenchSupport.printJson(spec.commandLine().getOut(), row);
    }
  }
}
