package lmlab.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.kernels.Aligned;
import lmlab.kernels.Parallel;
import lmlab.kernels.StreamRead;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lmlab bench memory}: the read-bandwidth ceiling of this machine, the yardstick for bench generate. */
@Command(
    name = "memory",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the machine's read bandwidth: a float array of --bytes summed over and over with vector "
          + "loads into independent accumulators, each thread its own fixed part; the best of many short rounds.",
      "For 1, 2, 4, ... threads and --threads (default: the cores), prints:",
      "  {\"bench\":\"memory\",\"bytes\":..,\"threads\":..,\"read_gb_per_s\":..}",
      "The default size is what chargpt's decoding reads per token (its weights): no batch-1 decoder of "
          + "that model can read them faster. The array starts on a cache line, as decoding's weights do; "
          + "--offset F starts it F floats past one (every 512-bit load then straddles two lines: what the "
          + "alignment is worth).",
      ""
    })
public final class BenchMemoryCommand implements Runnable {
  /** Weight bytes chargpt reads per decoded token (bench generate's weight_bytes_per_token). */
  static final long CHARGPT_WEIGHT_BYTES = 10_728_192L;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--bytes", paramLabel = "N", defaultValue = "" + CHARGPT_WEIGHT_BYTES,
      description = "Array size in bytes (rounded up to whole floats). Default: ${DEFAULT-VALUE}")
  long bytes;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "1",
      description = "Least seconds per thread count (more while the rate still rises). Default: ${DEFAULT-VALUE}")
  double seconds;

  @Option(names = "--offset", paramLabel = "F", defaultValue = "0",
      description = "Floats (0-15) past a cache line where the array starts. Default: ${DEFAULT-VALUE}")
  int offset;

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--bytes", bytes, 1);
    if (bytes > StreamRead.MAX_BYTES) {
      throw new CommandLine.ParameterException(cl, "--bytes must be <= " + StreamRead.MAX_BYTES + " (one Java float array), got " + bytes);
    }
    Flags.seconds(cl, "--seconds", seconds);
    if (offset < 0 || offset >= Aligned.LINE) {
      throw new CommandLine.ParameterException(cl, "--offset must be in [0, " + (Aligned.LINE - 1) + "] floats, got " + offset);
    }
    int max = Parallel.threads();
    for (int t = 1; ; t = Math.min(2 * t, max)) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("bench", "memory");
      row.put("bytes", 4 * ((bytes + 3) / 4));
      row.put("threads", t);
      if (offset != 0) row.put("offset_floats", offset);
      row.put("read_gb_per_s", BenchSupport.fourDigits(StreamRead.bytesPerSecond(bytes, t, seconds, offset) / 1e9));
      BenchSupport.printJson(cl.getOut(), row);
      if (t == max) break;
    }
  }
}
