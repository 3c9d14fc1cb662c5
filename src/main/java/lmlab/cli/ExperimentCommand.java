package lmlab.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import lmlab.runs.Experiments;
import lmlab.runs.Sweep;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code lmlab experiment}: the built-in experiments of experiments.md (IFT6135 HW2 Problem 4),
 * each a sweep; {@code run} trains what is missing, then builds the report when this build has
 * {@code experiment report}.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = "Built-in experiments: sweeps plus their report (experiments.md).",
    subcommands = {ExperimentCommand.ListExperiments.class, ExperimentCommand.Run.class, ExperimentReportCommand.class})
public final class ExperimentCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: list, run");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The built-in experiments and their run counts.")
  static final class ListExperiments implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      int total = 0;
      for (String name : Experiments.SWEEPS) {
        Sweep s = Experiments.sweep(name);
        int n = s.expand(Sweep.Scale.FULL, s.directory(Sweep.Scale.FULL)).size();
        total += n;
        out.println(name + "\t" + n + " runs\t" + s.description().path("title").asText(""));
      }
      out.println("grok-all\t" + total + " runs\tall of the above, each in its own runs/<name>");
      for (String name : Experiments.TEXT) {
        Sweep s = Experiments.sweep(name);
        int n = s.expand(Sweep.Scale.FULL, s.directory(Sweep.Scale.FULL)).size();
        out.println(name + "\t" + n + " runs\t" + s.description().path("title").asText(""));
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
      description = {
        "Runs a built-in experiment's sweep (resumable: completed runs are skipped), then its report (lmlab "
            + "experiment report) when this build has it.",
        "grok-all runs every one.",
        ""
      })
  static final class Run implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "grok-sanity, grok-data, grok-orders, grok-size, grok-compute, grok-wd or grok-all.")
    String name;

    @Option(names = "--scale", paramLabel = "full|smoke|tiny", defaultValue = "full", description = "full (default), smoke or tiny.")
    String scale;

    @Option(names = "--seeds", paramLabel = "S1,S2", split = ",", description = "Replaces the seeds.")
    List<Long> seeds;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Overrides one base setting (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1", description = "Runs at once (default 1).")
    int jobs;

    @Override
    public Integer call() {
      CommandLine cl = spec.commandLine();
      List<String> names = name.equals("grok-all") ? Experiments.ALL_OF : List.of(name);
      if (!name.equals("grok-all") && !Experiments.isSweep(name)) {
        throw new CommandLine.ParameterException(cl, "unknown experiment '" + name + "'; built-ins: "
            + String.join(", ", Experiments.BUILT_INS) + ", grok-all");
      }
      CommandLine root = cl;
      while (root.getParent() != null) root = root.getParent();
      for (String n : names) {
        List<String> args = new ArrayList<>(List.of("sweep", "run", n, "--scale", scale, "--jobs", Integer.toString(jobs)));
        if (seeds != null) {
          args.add("--seeds");
          args.add(String.join(",", seeds.stream().map(String::valueOf).toList()));
        }
        set.forEach((k, v) -> args.add("--set=" + k + "=" + v));
        int code = root.execute(args.toArray(String[]::new));
        if (code != 0) return code;
        CommandLine experiment = cl.getParent();
        if (experiment.getSubcommands().containsKey("report")) {
          Sweep s = Experiments.sweep(n);
          Path dir = s.directory(Sweep.Scale.parse(scale));
          code = root.execute("experiment", "report", dir.toString());
          if (code != 0) return code;
        }
      }
      return 0;
    }
  }
}
