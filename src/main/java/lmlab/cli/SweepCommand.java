package lmlab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import lmlab.kernels.Parallel;
import lmlab.runs.Experiments;
import lmlab.runs.LocalExecutor;
import lmlab.runs.RunOne;
import lmlab.runs.Sweep;
import lmlab.runs.SweepDirectory;
import lmlab.runs.SweepProgress;
import lmlab.train.ProgressBar;
import lmlab.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab sweep}: grids of training runs (experiments.md, "Sweep description" and "Running and resuming"). */
@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description = "Sweeps: a grid of training runs from a JSON description (experiments.md).",
    subcommands = {SweepCommand.Run.class, SweepCommand.RunOne.class, SweepCommand.ListRuns.class,
        SweepCommand.Status.class, SweepCommand.Cancel.class})
public final class SweepCommand implements Runnable {
  static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: run, list, status, run-one");
  }

  /** The options that choose and shape a sweep: FILE|NAME or --name/--grid, scale, seeds, base overrides. */
  static final class Selection {
    @Parameters(arity = "0..1", paramLabel = "FILE|NAME", description = "A sweep description (JSON) or a built-in experiment.")
    String source;

    @Option(names = "--name", paramLabel = "NAME", description = "The sweep's name (renames a described sweep; names one given by --grid).")
    String name;

    @Option(names = "--grid", paramLabel = "KEY=V1,V2,...", description = "A grid key and its values (repeatable), for a sweep without a file.")
    List<String> grid = new ArrayList<>();

    @Option(names = "--scale", paramLabel = "full|smoke|tiny", defaultValue = "full",
        description = "full (default), smoke (T/20, eval every 5) or tiny (11 steps, first and last grid values).")
    String scale;

    @Option(names = "--seeds", paramLabel = "S1,S2", split = ",", description = "Replaces the sweep's seeds.")
    List<Long> seeds;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Overrides one base setting (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    /** The sweep, its scale and its directory; errors are one line naming the key or file. */
    Resolved resolve() throws IOException {
      Sweep.Scale sc = Sweep.Scale.parse(scale);
      Sweep sweep;
      if (source != null) {
        if (!grid.isEmpty()) throw new IllegalArgumentException("give either FILE|NAME or --grid, not both");
        Path f = Path.of(source);
        if (Files.isRegularFile(f)) {
          JsonNode n;
          try {
            n = JSON.readTree(f.toFile());
          } catch (IOException e) {
            throw new IllegalArgumentException(f + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
          }
          sweep = Sweep.parse(n, f.toString());
        } else if (Experiments.isSweep(source)) {
          sweep = Experiments.sweep(source);
        } else {
          throw new IllegalArgumentException("'" + source + "' is neither a sweep file nor a built-in experiment ("
              + String.join(", ", Experiments.BUILT_INS) + ")");
        }
      } else {
        if (name == null || grid.isEmpty()) throw new IllegalArgumentException("give FILE|NAME, or --name NAME with --grid KEY=V1,V2");
        ObjectNode d = JSON.createObjectNode();
        d.put("name", name);
        ObjectNode g = d.putObject("grid");
        for (String kv : grid) {
          int eq = kv.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--grid " + kv + ": expected KEY=V1,V2,...");
          var values = g.putArray(kv.substring(0, eq));
          for (String v : kv.substring(eq + 1).split(",")) values.add(value(v));
        }
        sweep = Sweep.parse(d, "--grid");
      }
      Map<String, JsonNode> overrides = new LinkedHashMap<>();
      set.forEach((k, v) -> overrides.put(k, value(v)));
      sweep = sweep.with(seeds, overrides, source != null ? name : null);
      ObjectNode given = JSON.createObjectNode();
      if (seeds != null) given.set("seeds", JSON.valueToTree(seeds));
      if (!set.isEmpty()) given.set("set", JSON.valueToTree(overrides));
      if (name != null && source != null) given.put("name", name);
      Path dir = sweep.directory(sc);
      if (name != null && sweep.runsDir() == null) dir = Path.of("runs").resolve(sc == Sweep.Scale.FULL ? name : name + "-" + sc.key());
      return new Resolved(sweep, sc, dir, sweep.expand(sc, dir), given);
    }
  }

  record Resolved(Sweep sweep, Sweep.Scale scale, Path dir, List<Sweep.Run> runs, ObjectNode overrides) {}

  /** A command-line value as JSON: a number when it reads as one, a list for [a,b], else a string. */
  static JsonNode value(String v) {
    String s = v.trim();
    try {
      JsonNode n = JSON.readTree(s);
      if (n != null && (n.isNumber() || n.isArray() || n.isBoolean() || n.isObject())) return n;
    } catch (IOException e) {
      // a plain string
    }
    return JSON.getNodeFactory().textNode(s);
  }

  // ------------------------------------------------------------------ run

  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
      description = {
        "Trains the runs of a sweep that are not completed: pending runs start, interrupted runs resume from "
            + "their checkpoints, completed and failed runs are skipped.",
        "Running it again resumes. Ctrl-C / SIGTERM checkpoint every run in progress (exit 130).",
        "Runs go to runs/<name>[-<scale>]/<run id>/, the expanded runs to sweep.json.",
        ""
      })
  static final class Run implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin Selection selection = new Selection();

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1", description = "Runs at once (default 1), each with --threads threads when given, else cores/N.")
    int jobs;

    @Option(names = "--shard", paramLabel = "i/n", description = "Only the runs whose index is i modulo n.")
    String shard;

    @Option(names = "--retry-failed", description = "Start failed runs again from scratch.")
    boolean retryFailed;

    @Option(names = "--executor", paramLabel = "local|slurm", defaultValue = "local",
        description = "local (default): child processes here; slurm: a Slurm job array, one task per run.")
    String executor;

    @Option(names = "--partition", paramLabel = "P", description = "Slurm partition.")
    String partition;

    @Option(names = "--account", paramLabel = "A", description = "Slurm account.")
    String account;

    @Option(names = "--time", paramLabel = "HH:MM:SS", description = "Slurm time limit per run.")
    String time;

    @Option(names = "--cpus-per-task", paramLabel = "C", defaultValue = "1", description = "CPUs (= threads) per run on Slurm (default 1).")
    int cpusPerTask;

    @Option(names = "--mem", paramLabel = "MB", defaultValue = "0", description = "Slurm memory per run in MB (default: Slurm's).")
    int mem;

    @Option(names = "--max-parallel", paramLabel = "K", defaultValue = "0", description = "At most K array tasks at once (the %%K throttle).")
    int maxParallel;

    @Option(names = "--sbatch-arg", paramLabel = "ARG", description = "An extra #SBATCH line (repeatable), e.g. --sbatch-arg=--qos=low.")
    List<String> sbatchArgs = new ArrayList<>();

    @Option(names = "--detach", description = "Slurm: submit and return without following the tasks.")
    boolean detach;

    @Override
    public Integer call() throws Exception {
      CommandLine cl = spec.commandLine();
      Flags.atLeast(cl, "--jobs", jobs, 1);
      Flags.atLeast(cl, "--cpus-per-task", cpusPerTask, 1);
      if (!executor.equals("local") && !executor.equals("slurm")) {
        throw new CommandLine.ParameterException(cl, "--executor must be local or slurm, got '" + executor + "'");
      }
      if (executor.equals("slurm")) lmlab.runs.SlurmExecutor.requireTools("sbatch", "squeue", "scancel");
      int[] sh = shard(cl, shard);
      PrintWriter err = cl.getErr();
      Resolved r = selection.resolve();
      SweepDirectory sd = new SweepDirectory(r.dir());
      // every existing run must have been made from these settings, before anything trains
      for (Sweep.Run run : r.runs()) {
        SweepDirectory.State st = sd.state(run.id());
        if (st == SweepDirectory.State.PENDING) continue;
        String d = sd.differingKey(run.id(), lmlab.runs.RunSpec.of(run.settings(), run.id()));
        if (d != null) {
          throw new IllegalArgumentException("run " + sd.run(run.id()) + " was made from other settings: " + d
              + "; a changed sweep needs a new name (--name)");
        }
      }
      sd.writeSweepJson(r.sweep().toJson(r.scale(), r.runs(), r.overrides()));
      List<Sweep.Run> todo = new ArrayList<>();
      int completed = 0;
      int failed = 0;
      int interrupted = 0;
      for (Sweep.Run run : r.runs()) {
        if (run.index() % sh[1] != sh[0]) continue;
        switch (sd.state(run.id())) {
          case COMPLETED -> completed++;
          case FAILED -> {
            if (retryFailed) todo.add(run);
            else failed++;
          }
          case INTERRUPTED -> {
            interrupted++;
            todo.add(run);
          }
          case PENDING -> todo.add(run);
        }
      }
      if (executor.equals("slurm")) return slurm(cl, r, sd, todo, completed);
      int cores = Runtime.getRuntime().availableProcessors();
      // --threads N (or LMLAB_THREADS) is each run's count; else the cores are shared among the runs at once
      int threads = Parallel.threadsChosen() ? Parallel.threads() : Math.max(1, cores / jobs);
      err.println(String.format(Locale.ROOT,
          "lmlab sweep: %s (%s scale): %d runs in %s: %d completed, %d to train (%d interrupted), %d failed; "
              + "%d at once, %d thread%s each", r.sweep().name(), r.scale().key(), r.runs().size(), r.dir(), completed,
          todo.size(), interrupted, failed, Math.min(jobs, Math.max(1, todo.size())), threads, threads == 1 ? "" : "s"));
      err.flush();
      long stepsPerRun = r.runs().isEmpty() ? 0 : lmlab.train.TrainConfig.fromJson(trainNode(r.runs().getFirst())).steps() - 1;
      java.io.Console c = System.console();
      SweepProgress progress = new SweepProgress(err, c != null && c.isTerminal(), sd, r.runs().size(), completed, stepsPerRun);
      LocalExecutor ex = new LocalExecutor(sd, jobs, run -> childCommand(r.dir(), run.index(), threads, retryFailed), progress);
      List<Object[]> previous = Signals.install(s -> {
        progress.message("SIG" + s + ": checkpointing the runs in progress");
        ex.stop();
      });
      LocalExecutor.Outcome o;
      try {
        o = ex.run(todo);
      } finally {
        Signals.restore(previous);
      }
      if (o.stopped()) {
        err.println("lmlab sweep: stopped; run the same command again to resume");
        return 130;
      }
      List<String> bad = new ArrayList<>();
      for (var e : o.exitCodes().entrySet()) {
        if (e.getValue() != 0 && e.getValue() != 3) bad.add(e.getKey() + " (exit " + e.getValue() + ")");
      }
      int total = 0;
      for (Sweep.Run run : r.runs()) if (sd.state(run.id()) == SweepDirectory.State.COMPLETED) total++;
      err.println("lmlab sweep: " + total + " of " + r.runs().size() + " runs completed in " + r.dir());
      cl.getOut().println(r.dir());
      cl.getOut().flush();
      if (!bad.isEmpty()) {
        err.println("lmlab: " + bad.size() + " run" + (bad.size() == 1 ? "" : "s") + " failed: " + String.join(", ", bad)
            + "; logs in " + r.dir().resolve("logs") + "; --retry-failed starts failed runs again");
        return 1;
      }
      return 0;
    }

    /** Submits the runs not completed as one job array and, unless --detach, follows its tasks. */
    private int slurm(CommandLine cl, Resolved r, SweepDirectory sd, List<Sweep.Run> todo, int completed) throws Exception {
      PrintWriter err = cl.getErr();
      if (todo.isEmpty()) {
        err.println("lmlab sweep: " + completed + " of " + r.runs().size() + " runs completed in " + r.dir() + "; nothing to submit");
        cl.getOut().println(r.dir());
        cl.getOut().flush();
        return 0;
      }
      lmlab.runs.SlurmExecutor slurm = new lmlab.runs.SlurmExecutor(sd);
      List<Integer> indices = todo.stream().map(Sweep.Run::index).toList();
      var options = new lmlab.runs.SlurmExecutor.Options(partition, account, time, cpusPerTask, mem, maxParallel, sbatchArgs);
      long job = slurm.submit(r.sweep().name(), indices, options, lmlabCommand(), retryFailed);
      err.println("lmlab sweep: submitted job " + job + " (" + indices.size() + " array tasks) with "
          + slurm.dir().resolve(lmlab.runs.SlurmExecutor.SCRIPT));
      err.flush();
      cl.getOut().println(r.dir());
      cl.getOut().flush();
      if (detach) return 0;
      long stepsPerRun = lmlab.train.TrainConfig.fromJson(trainNode(r.runs().getFirst())).steps() - 1;
      java.io.Console c = System.console();
      SweepProgress progress = new SweepProgress(err, c != null && c.isTerminal(), sd, r.runs().size(), completed, stepsPerRun);
      Map<Integer, String> ids = new LinkedHashMap<>();
      for (Sweep.Run run : todo) ids.put(run.index(), run.id());
      boolean[] stop = {false};
      List<Object[]> previous = Signals.install(s -> stop[0] = true);
      Map<Integer, Integer> ended = new LinkedHashMap<>();
      try {
        while (!stop[0]) {
          List<String> running = new ArrayList<>();
          for (var t : lmlab.runs.SlurmExecutor.query(job)) {
            String id = ids.get(t.index());
            if (id == null) continue;
            if (t.state().equals("RUNNING")) running.add(id);
            if (!t.active() && !ended.containsKey(t.index())) {
              Integer code = t.exitCode();
              ended.put(t.index(), code == null ? -1 : code);
              progress.ended(id, code == null ? -1 : code, slurm.log(job, t.index()));
            }
          }
          if (ended.size() == ids.size()) break;
          progress.tick(running);
          Thread.sleep(1000);
        }
      } finally {
        Signals.restore(previous);
        progress.close();
      }
      if (stop[0]) {
        err.println("lmlab sweep: stopped following job " + job + "; its tasks go on (lmlab sweep status " + r.dir()
            + ", lmlab sweep cancel " + r.dir() + ")");
        return 130;
      }
      List<String> bad = new ArrayList<>();
      for (var e : ended.entrySet()) {
        String id = ids.get(e.getKey());
        if (sd.state(id) != SweepDirectory.State.COMPLETED) {
          bad.add(id + " (exit " + e.getValue() + ", log " + slurm.log(job, e.getKey()) + ")");
        }
      }
      int total = 0;
      for (Sweep.Run run : r.runs()) if (sd.state(run.id()) == SweepDirectory.State.COMPLETED) total++;
      err.println("lmlab sweep: " + total + " of " + r.runs().size() + " runs completed in " + r.dir());
      if (!bad.isEmpty()) {
        err.println("lmlab: " + bad.size() + " run" + (bad.size() == 1 ? "" : "s") + " not completed: " + String.join(", ", bad)
            + "; lmlab sweep run again resubmits runs that are not completed (--retry-failed: failed ones too)");
        return 1;
      }
      return 0;
    }

    private static ObjectNode trainNode(Sweep.Run run) {
      ObjectNode t = JSON.createObjectNode();
      for (String k : lmlab.train.TrainConfig.KEYS) if (run.settings().containsKey(k)) t.set(k, run.settings().get(k));
      return t;
    }
  }

  static int[] shard(CommandLine cl, String shard) {
    if (shard == null) return new int[] {0, 1};
    String[] p = shard.split("/");
    try {
      int i = Integer.parseInt(p[0].trim());
      int n = Integer.parseInt(p[1].trim());
      if (p.length == 2 && n >= 1 && i >= 0 && i < n) return new int[] {i, n};
    } catch (RuntimeException e) {
      // below
    }
    throw new CommandLine.ParameterException(cl, "--shard must be i/n with 0 <= i < n, got '" + shard + "'");
  }

  /** The command line of a child that trains one run: this JVM's java and options, then sweep run-one. */
  static List<String> childCommand(Path dir, int index, int threads, boolean retryFailed) {
    List<String> cmd = new ArrayList<>(lmlabCommand());
    cmd.addAll(List.of("--threads", Integer.toString(threads), "sweep", "run-one", dir.toString(), "--index",
        Integer.toString(index), "--watch-stdin"));
    if (retryFailed) cmd.add("--retry-failed");
    return cmd;
  }

  /** lmlab as this JVM runs it: java, its options, the class path, the main class. */
  static List<String> lmlabCommand() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    return cmd;
  }

  // ------------------------------------------------------------------ run-one

  @Command(name = "run-one", mixinStandardHelpOptions = true,
      description = {
        "Trains (or resumes) one run of a sweep directory in this process: what the executors start per run.",
        "Exit: 0 completed, 1 failed, 3 locked by another process, 130 interrupted.",
        ""
      })
  static final class RunOne implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The sweep directory (with sweep.json).")
    Path dir;

    @Option(names = "--index", required = true, paramLabel = "I", description = "The run's index in sweep.json.")
    int index;

    @Option(names = "--retry-failed", description = "Start the run again if it failed.")
    boolean retryFailed;

    @Option(names = "--watch-stdin", hidden = true, description = "Checkpoint and stop when stdin closes (the parent died).")
    boolean watchStdin;

    @Override
    public Integer call() throws Exception {
      CommandLine cl = spec.commandLine();
      SweepDirectory sd = new SweepDirectory(dir);
      ObjectNode sj;
      try {
        sj = sd.readSweepJson();
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IllegalArgumentException("cannot find the sweep directory " + dir + " (is it on a filesystem this node sees?)");
      }
      List<Sweep.Run> runs = Sweep.runsOf(sj);
      Sweep.Run run = null;
      for (Sweep.Run r : runs) if (r.index() == index) run = r;
      if (run == null) throw new IllegalArgumentException("sweep " + dir + " has no run with index " + index + " (0 .. " + (runs.size() - 1) + ")");
      PrintWriter err = cl.getErr();
      Trainer[] holder = {null};
      boolean[] stop = {false};
      Runnable request = () -> {
        synchronized (holder) {
          stop[0] = true;
          if (holder[0] != null) holder[0].requestStop();
        }
      };
      List<Object[]> previous = Signals.install(s -> {
        err.println("lmlab sweep run-one: SIG" + s + ": saving a checkpoint after this step");
        err.flush();
        request.run();
      });
      if (watchStdin) {
        Thread w = new Thread(() -> {
          try {
            while (System.in.read() >= 0) {
              // the parent writes nothing; EOF means it is gone
            }
          } catch (IOException e) {
            // closed
          }
          request.run();
        }, "parent-watch");
        w.setDaemon(true);
        w.start();
      }
      lmlab.runs.RunOne.Result res;
      try {
        res = lmlab.runs.RunOne.run(sd, run, retryFailed, ProgressBar.of(err), t -> {
          synchronized (holder) {
            holder[0] = t;
            if (stop[0]) t.requestStop();
          }
        });
      } finally {
        Signals.restore(previous);
      }
      err.println("lmlab sweep run-one: " + res.message() + " (threads " + Parallel.threads() + ")");
      err.flush();
      return res.exitCode();
    }
  }

  // ------------------------------------------------------------------ list

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "The expanded runs of a sweep: index, id, the settings that differ from base; and their count.")
  static final class ListRuns implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin Selection selection = new Selection();

    @Override
    public Integer call() throws Exception {
      Resolved r = selection.resolve();
      PrintWriter out = spec.commandLine().getOut();
      for (Sweep.Run run : r.runs()) {
        List<String> diff = new ArrayList<>();
        run.point().forEach((k, v) -> diff.add(k + "=" + (v.isTextual() ? v.asText() : v.toString())));
        diff.add("seed=" + run.seed());
        out.println(run.index() + "\t" + run.id() + "\t" + String.join(" ", diff));
      }
      out.println(r.runs().size() + " runs (" + r.scale().key() + " scale) in " + r.dir());
      out.flush();
      return 0;
    }
  }

  // ------------------------------------------------------------------ status

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Per run of a sweep directory: state, step / T, wall time, A_val.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The sweep directory (with sweep.json).")
    Path dir;

    @Override
    public Integer call() throws Exception {
      SweepDirectory sd = new SweepDirectory(dir);
      List<Sweep.Run> runs = Sweep.runsOf(sd.readSweepJson());
      PrintWriter out = spec.commandLine().getOut();
      lmlab.runs.SlurmExecutor slurm = new lmlab.runs.SlurmExecutor(sd);
      Map<Integer, lmlab.runs.SlurmExecutor.Task> tasks = Map.of();
      if (!slurm.jobs().isEmpty()) {
        lmlab.runs.SlurmExecutor.requireTools("squeue");
        tasks = slurm.tasks();
      }
      out.println("index\tid\tstate\tstep/T\twall_s\tA_val" + (tasks.isEmpty() ? "" : "\tslurm"));
      Map<SweepDirectory.State, Integer> counts = new LinkedHashMap<>();
      for (Sweep.Run run : runs) {
        SweepDirectory.State st = sd.state(run.id());
        counts.merge(st, 1, Integer::sum);
        long steps = run.settings().containsKey("steps") ? run.settings().get("steps").asLong() : lmlab.train.TrainConfig.DEFAULT_STEPS;
        long step = sd.checkpointStep(run.id());
        JsonNode summary = readQuietly(sd.run(run.id()).resolve("summary.json"));
        String wall = summary == null ? "-" : String.format(Locale.ROOT, "%.1f", summary.path("wall_time_s").asDouble());
        String aVal = summary == null || !summary.path("run_metrics").path("A_val").isNumber() ? "-"
            : String.format(Locale.ROOT, "%.4f", summary.path("run_metrics").path("A_val").asDouble());
        String lock = sd.lockHolder(run.id());
        out.println(run.index() + "\t" + run.id() + "\t" + st.key() + (lock != null ? " (training: " + lock + ")" : "")
            + "\t" + (step < 0 ? "-" : Long.toString(step)) + "/" + steps + "\t" + wall + "\t" + aVal
            + slurmCell(slurm, tasks.get(run.index()), tasks.isEmpty()));
      }
      List<String> parts = new ArrayList<>();
      counts.forEach((k, v) -> parts.add(v + " " + k.key()));
      out.println(runs.size() + " runs: " + String.join(", ", parts));
      out.flush();
      return 0;
    }
  }

  /** A run's Slurm task: state, exit code, log path. */
  static String slurmCell(lmlab.runs.SlurmExecutor slurm, lmlab.runs.SlurmExecutor.Task t, boolean none) {
    if (none) return "";
    if (t == null) return "\t-";
    Integer code = t.exitCode();
    return "\t" + t.state() + (code == null || t.active() ? "" : " exit " + code) + " " + slurm.log(t.job(), t.index());
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancels the sweep's Slurm jobs (scancel); the runs checkpoint and resume with sweep run.")
  static final class Cancel implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "The sweep directory.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      SweepDirectory sd = new SweepDirectory(dir);
      sd.readSweepJson();
      lmlab.runs.SlurmExecutor slurm = new lmlab.runs.SlurmExecutor(sd);
      if (slurm.jobs().isEmpty()) throw new IllegalArgumentException(dir + " has no Slurm jobs (slurm/jobs.jsonl)");
      slurm.cancel();
      spec.commandLine().getErr().println("lmlab sweep: cancelled jobs " + slurm.jobs().keySet()
          + "; the runs resume from their checkpoints with lmlab sweep run");
      return 0;
    }
  }

  static JsonNode readQuietly(Path f) {
    try {
      return Files.isRegularFile(f) ? JSON.readTree(f.toFile()) : null;
    } catch (IOException e) {
      return null;
    }
  }
}
