package lmlab.runs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The local executor: the runs train in child processes on this machine ({@code lmlab sweep
 * run-one}, one JVM per run, N at once), each logging to {@code <sweep>/logs/<run id>.log}. A
 * child reads its stdin, which this process holds open: when this process dies (even by kill -9)
 * the child sees end-of-file and checkpoints after its current step, so nothing trains unwatched.
 * {@link #stop()} (Ctrl-C, SIGTERM) sends each child SIGTERM: it checkpoints and exits 130.
 */
public final class LocalExecutor {
  /** How the runs ended: id → run-one's exit code (130 interrupted, 1 failed, 3 locked elsewhere). */
  public record Outcome(Map<String, Integer> exitCodes, boolean stopped) {
    public List<String> with(int code) {
      List<String> out = new ArrayList<>();
      exitCodes.forEach((k, v) -> {
        if (v == code) out.add(k);
      });
      return out;
    }
  }

  private record Child(Sweep.Run run, Process process) {}

  private final SweepDirectory sweep;
  private final int jobs;
  private final Function<Sweep.Run, List<String>> command;
  private final SweepProgress progress;
  private final List<Child> running = new ArrayList<>();
  private volatile boolean stopping;

  /** command: the run-one command line for a run (java, its options, lmlab.cli.Main, arguments). */
  public LocalExecutor(SweepDirectory sweep, int jobs, Function<Sweep.Run, List<String>> command, SweepProgress progress) {
    this.sweep = sweep;
    this.jobs = Math.max(1, jobs);
    this.command = command;
    this.progress = progress;
  }

  /** Asks every child to checkpoint and stop, and starts no more (safe from a signal handler). */
  public void stop() {
    stopping = true;
    synchronized (running) {
      for (Child c : running) c.process().destroy(); // SIGTERM
    }
  }

  public Outcome run(List<Sweep.Run> todo) throws IOException, InterruptedException {
    Deque<Sweep.Run> queue = new ArrayDeque<>(todo);
    Map<String, Integer> codes = new LinkedHashMap<>();
    Path logs = sweep.path().resolve("logs");
    Files.createDirectories(logs);
    while (true) {
      synchronized (running) {
        while (!stopping && running.size() < jobs && !queue.isEmpty()) {
          Sweep.Run r = queue.poll();
          ProcessBuilder pb = new ProcessBuilder(command.apply(r));
          pb.redirectErrorStream(true);
          pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(r.id() + ".log").toFile()));
          pb.redirectInput(ProcessBuilder.Redirect.PIPE); // held open: EOF when this process dies
          running.add(new Child(r, pb.start()));
          progress.started(r.id(), logs.resolve(r.id() + ".log"));
        }
        for (var it = running.iterator(); it.hasNext(); ) {
          Child c = it.next();
          if (!c.process().isAlive()) {
            int code = c.process().exitValue();
            codes.put(c.run().id(), code);
            it.remove();
            progress.ended(c.run().id(), code, logs.resolve(c.run().id() + ".log"));
          }
        }
        if (running.isEmpty() && (queue.isEmpty() || stopping)) break;
        List<String> ids = new ArrayList<>();
        for (Child c : running) ids.add(c.run().id());
        progress.tick(ids);
      }
      Thread.sleep(200);
    }
    progress.close();
    return new Outcome(codes, stopping);
  }

  /** The tail of a log file for an error message (the last non-empty line). */
  public static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) if (!lines.get(i).isBlank()) return lines.get(i).strip();
    } catch (IOException e) {
      // no log
    }
    return "";
  }

  /** Writes a line to out (flushed): shared by the sweep displays. */
  static void println(PrintWriter out, String s) {
    out.println(s);
    out.flush();
  }

  static String duration(double seconds) {
    if (!Double.isFinite(seconds) || seconds < 0) return "-";
    long s = Math.round(seconds);
    if (s < 60) return s + "s";
    if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
