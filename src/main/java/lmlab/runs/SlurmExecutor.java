package lmlab.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Slurm executor (experiments.md, "Executors"): one job array per submission, one array task
 * per run (task id = run index). Writes {@code <sweep>/slurm/array.sbatch}, submits it with
 * {@code sbatch --parsable --array=<indices>%K}, records the job in {@code slurm/jobs.jsonl}, and
 * reads task states from {@code squeue} (then {@code sacct} where accounting exists). A run's own
 * directory stays the final word on whether it completed.
 */
public final class SlurmExecutor {
  public static final String DIR = "slurm";
  public static final String SCRIPT = "array.sbatch";
  public static final String JOBS = "jobs.jsonl";

  /** sbatch settings: null/0 leave Slurm's default. */
  public record Options(String partition, String account, String time, int cpusPerTask, int memMb, int maxParallel,
      List<String> sbatchArgs) {}

  /** One array task as Slurm reports it: state, raw exit code (wait status) when known. */
  public record Task(long job, int index, String state, Integer waitStatus) {
    public boolean active() {
      return state.equals("PENDING") || state.equals("RUNNING") || state.equals("COMPLETING")
          || state.equals("CONFIGURING") || state.equals("REQUEUED") || state.equals("SUSPENDED");
    }

    /** exit = v >> 8; a signal (v & 127) reads as 128 + signal. */
    public Integer exitCode() {
      if (waitStatus == null) return null;
      int sig = waitStatus & 127;
      return sig != 0 ? 128 + sig : waitStatus >> 8;
    }
  }

  private final SweepDirectory sweep;

  public SlurmExecutor(SweepDirectory sweep) {
    this.sweep = sweep;
  }

  public Path dir() {
    return sweep.path().resolve(DIR);
  }

  /** The log of one task: opened in append mode, so a requeued task keeps its earlier log. */
  public Path log(long job, int index) {
    return dir().resolve(job + "_" + index + ".out");
  }

  /** Fails with one line unless every tool is on PATH. */
  public static void requireTools(String... tools) {
    for (String t : tools) {
      if (which(t) == null) {
        throw new IllegalArgumentException(t + " not found on PATH: the Slurm executor needs sbatch, squeue and scancel"
            + " (a Slurm client, on a cluster's login node)");
      }
    }
  }

  static Path which(String tool) {
    String path = System.getenv("PATH");
    if (path == null) return null;
    for (String d : path.split(java.io.File.pathSeparator)) {
      Path p = Path.of(d, tool);
      if (Files.isExecutable(p)) return p;
    }
    return null;
  }

  /**
   * Writes the script (the #SBATCH lines, then the run-one command given as lmlab's command line
   * prefix) and submits the runs at indices; returns the job id.
   */
  public long submit(String name, List<Integer> indices, Options o, List<String> lmlab, boolean retryFailed)
      throws IOException {
    requireTools("sbatch", "squeue", "scancel");
    Files.createDirectories(dir());
    Path abs = sweep.path().toAbsolutePath();
    StringBuilder s = new StringBuilder("#!/bin/bash\n");
    s.append("#SBATCH --job-name=lmlab-").append(name).append('\n');
    s.append("#SBATCH --output=").append(abs.resolve(DIR)).append("/%A_%a.out\n");
    s.append("#SBATCH --open-mode=append\n");
    int cpus = Math.max(1, o.cpusPerTask());
    s.append("#SBATCH --cpus-per-task=").append(cpus).append('\n');
    if (o.partition() != null) s.append("#SBATCH --partition=").append(o.partition()).append('\n');
    if (o.account() != null) s.append("#SBATCH --account=").append(o.account()).append('\n');
    if (o.time() != null) s.append("#SBATCH --time=").append(o.time()).append('\n');
    if (o.memMb() > 0) s.append("#SBATCH --mem=").append(o.memMb()).append('\n');
    for (String a : o.sbatchArgs()) s.append("#SBATCH ").append(a).append('\n');
    s.append("\n# one array task per run of ").append(abs.resolve(SweepDirectory.SWEEP_JSON)).append("; task id = run index\n");
    s.append("exec");
    for (String a : lmlab) s.append(' ').append(quote(a));
    s.append(" sweep run-one ").append(quote(abs.toString())).append(" --index $SLURM_ARRAY_TASK_ID --threads ")
        .append(cpus).append(retryFailed ? " --retry-failed" : "").append('\n');
    Path script = dir().resolve(SCRIPT);
    Path tmp = dir().resolve("." + SCRIPT + ".tmp");
    Files.writeString(tmp, s.toString());
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.move(tmp, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);

    StringBuilder array = new StringBuilder();
    for (int i : indices) array.append(array.isEmpty() ? "" : ",").append(i);
    if (o.maxParallel() > 0) array.append('%').append(o.maxParallel());
    Result r = exec(List.of("sbatch", "--parsable", "--array=" + array, "-D", abs.toString(), script.toString()));
    if (r.code() != 0) {
      throw new IllegalArgumentException("sbatch rejected the sweep: " + firstLine(r.err().isBlank() ? r.out() : r.err()));
    }
    String out = r.out().strip();
    long job;
    try {
      job = Long.parseLong(out.split(";")[0].strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("sbatch answered '" + out + "', not a job id");
    }
    ObjectNode line = Sweep.JSON.createObjectNode();
    line.put("job", job);
    line.set("indices", Sweep.JSON.valueToTree(indices));
    line.put("submitted", java.time.Instant.now().toString());
    Files.writeString(dir().resolve(JOBS), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    return job;
  }

  /** The submitted jobs (jobs.jsonl), oldest first: job id → run indices. */
  public Map<Long, List<Integer>> jobs() throws IOException {
    Map<Long, List<Integer>> out = new LinkedHashMap<>();
    Path f = dir().resolve(JOBS);
    if (!Files.isRegularFile(f)) return out;
    for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (l.isBlank()) continue;
      JsonNode n = Sweep.JSON.readTree(l);
      List<Integer> idx = new ArrayList<>();
      n.get("indices").forEach(x -> idx.add(x.asInt()));
      out.put(n.get("job").asLong(), idx);
    }
    return out;
  }

  /** The latest task of each run index across the sweep's jobs (squeue, then sacct). */
  public Map<Integer, Task> tasks() throws IOException {
    Map<Integer, Task> out = new LinkedHashMap<>();
    for (var e : jobs().entrySet()) {
      for (Task t : query(e.getKey())) out.put(t.index(), t);
    }
    return out;
  }

  /** The tasks of one job: squeue while Slurm knows it, else sacct; empty when neither answers. */
  public static List<Task> query(long job) throws IOException {
    List<Task> out = new ArrayList<>();
    Result r = exec(List.of("squeue", "-h", "-t", "all", "-r", "-j", Long.toString(job), "-O",
        "ArrayJobID:0|,ArrayTaskID:0|,State:0|,exit_code:0"));
    if (r.code() == 0) {
      for (String l : r.out().split("\n")) {
        String[] f = l.strip().split("\\|");
        if (f.length < 3) continue;
        int index;
        try {
          index = Integer.parseInt(f[1].strip());
        } catch (NumberFormatException e) {
          continue; // pending tasks not yet split off ("2-5%2"): each is listed on its own with -r
        }
        Integer ws = null;
        if (f.length > 3) {
          try {
            ws = Integer.parseInt(f[3].strip());
          } catch (NumberFormatException e) {
            ws = null;
          }
        }
        out.add(new Task(job, index, f[2].strip(), ws));
      }
      if (!out.isEmpty()) return out;
    }
    if (which("sacct") == null) return out;
    Result a = exec(List.of("sacct", "-n", "-P", "-X", "-j", Long.toString(job), "-o", "JobID,State,ExitCode"));
    if (a.code() != 0) return out; // "Slurm accounting storage is disabled": no record
    for (String l : a.out().split("\n")) {
      String[] f = l.strip().split("\\|");
      if (f.length < 3 || !f[0].contains("_")) continue;
      try {
        int index = Integer.parseInt(f[0].substring(f[0].indexOf('_') + 1));
        String[] ec = f[2].split(":");
        int ws = (Integer.parseInt(ec[0]) << 8) | Integer.parseInt(ec[1]);
        out.add(new Task(job, index, f[1].split(" ")[0], ws));
      } catch (RuntimeException e) {
        // a line of another shape
      }
    }
    return out;
  }

  /** scancel every job of the sweep (SIGTERM: the runs checkpoint and stay resumable). */
  public void cancel() throws IOException {
    requireTools("scancel");
    for (long job : jobs().keySet()) {
      Result r = exec(List.of("scancel", Long.toString(job)));
      if (r.code() != 0 && !r.err().contains("Invalid job id")) {
        throw new IllegalArgumentException("scancel " + job + ": " + firstLine(r.err()));
      }
    }
  }

  record Result(int code, String out, String err) {}

  static Result exec(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no answer in 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  static String firstLine(String s) {
    return s.strip().lines().findFirst().orElse("(no message)");
  }

  static String quote(String a) {
    if (a.matches("[A-Za-z0-9_./=:,+%@-]+")) return a;
    return "'" + a.replace("'", "'\\''") + "'";
  }
}
