package lmlab.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import lmlab.tokenize.ByteLevelBpe;
import lmlab.tokenize.Tokenizer;
import lmlab.tokenize.TokenizerFiles;
import lmlab.tokenize.Utf8Decoder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lmlab bench tokenize}: single-threaded encoding speed of a tokenizer on a text file. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Encode a text file whole with a tokenizer, on one thread: the median of --runs timed runs after a "
          + "warm-up.",
      "Every run starts with an empty word cache, so the BPE merge loop of every distinct pre-token is "
          + "timed. Prints:",
      "  {\"bench\":\"tokenize\",\"tokenizer\":..,\"bytes\":..,\"tokens\":..,\"mb_per_s\":..,",
      "   \"tokens_per_s\":..,\"cpu_mb_per_s\":..,\"load_s\":..}",
      "(MB = 10^6 bytes of the file; wall-clock medians; cpu_mb_per_s: the same on the thread's CPU time, "
          + "steadier on a shared machine; load_s: reading the directory once).",
      ""
    })
public final class BenchTokenizeCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"--tokenizer", "--model"}, required = true, paramLabel = "DIR",
      description = "A tokenizer or model directory (tokenizer.json, vocab.json + merges.txt, character vocab.json).")
  Path tokenizerDir;

  @Option(names = {"--text", "--file"}, paramLabel = "FILE", defaultValue = "../shared/data/tinyshakespeare.txt",
      description = "The UTF-8 text to encode. Default: ${DEFAULT-VALUE}")
  Path file;

  @Option(names = "--runs", paramLabel = "N", defaultValue = "5", description = "Timed runs. Default: ${DEFAULT-VALUE}")
  int runs;

  private static double median(double[] v) {
    double[] t = v.clone();
    java.util.Arrays.sort(t);
    int n = t.length;
    return n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  }

  @Override
  public void run() {
    CommandLine cl = spec.commandLine();
    Flags.atLeast(cl, "--runs", runs, 1);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("--text " + file + ": cannot read (" + e.getMessage() + "); expected a text file");
    }
    String text = Utf8Decoder.decodeLossy(bytes, bytes.length);
    long t0 = System.nanoTime();
    Tokenizer tokenizer = TokenizerFiles.load(tokenizerDir);
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    int[] tokens = new int[1];
    Runnable encode = () -> {
      if (tokenizer instanceof ByteLevelBpe bpe) bpe.clearCache();
      tokens[0] = tokenizer.encode(text).length;
    };
    BenchSupport.warmUp(3, encode);
    var threadClock = java.lang.management.ManagementFactory.getThreadMXBean();
    double[] wall = new double[runs], cpu = new double[runs];
    for (int r = 0; r < runs; r++) {
      long w0 = System.nanoTime(), c0 = threadClock.getCurrentThreadCpuTime();
      encode.run();
      cpu[r] = (threadClock.getCurrentThreadCpuTime() - c0) / 1e9;
      wall[r] = (System.nanoTime() - w0) / 1e9;
    }
    double seconds = median(wall);
    double cpuSeconds = median(cpu);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("bench", "tokenize");
    row.put("tokenizer", tokenizerDir.toString());
    row.put("bytes", bytes.length);
    row.put("tokens", tokens[0]);
    row.put("mb_per_s", BenchSupport.fourDigits(bytes.length / 1e6 / seconds));
    row.put("tokens_per_s", BenchSupport.fourDigits(tokens[0] / seconds));
    row.put("cpu_mb_per_s", BenchSupport.fourDigits(bytes.length / 1e6 / cpuSeconds));
    row.put("load_s", BenchSupport.fourDigits(loadSeconds));
    BenchSupport.printJson(cl.getOut(), row);
  }
}
