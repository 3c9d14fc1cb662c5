package lmlab.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import lmlab.report.CurveFigures;
import lmlab.report.Figure;
import lmlab.report.FigureWriter;
import lmlab.report.MetricFigures;
import lmlab.report.RunSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmlab plot}: the figures of the experiments, from any run or sweep directories. */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = "Figures from run directories (PNG at 2x and SVG): training curves, metrics vs a setting.",
    subcommands = {PlotCommand.Curves.class, PlotCommand.Metrics.class})
public final class PlotCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: curves or metrics");
  }

  static RunSet read(List<Path> dirs) {
    try {
      return RunSet.read(dirs);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  static void write(CommandLine cl, Figure f, Path out) {
    try {
      Path png = FigureWriter.write(f, out);
      PrintWriter w = cl.getOut();
      w.println(png);
      w.println(out.resolve(f.id() + ".svg"));
      w.println(f.caption());
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(out + ": " + e.getMessage(), e);
    }
  }

  @Command(
      name = "curves",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Training curves vs step: the mean over seeds with a ±1 std band (at most four series per panel).",
        "One configuration: train blue, validation red; several: one colour per configuration, train solid, "
            + "validation dashed. Writes OUT/curves.png (2x) and OUT/curves.svg and prints their paths and the "
            + "caption.",
        ""
      })
  static final class Curves implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run directories or sweep directories.")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--metrics", split = ",", paramLabel = "M",
        description = "Panels, one per metric: loss, acc, param_norm or any metrics.jsonl key (default loss,acc).")
    List<String> metrics = new ArrayList<>(List.of("loss", "acc"));

    @Option(names = "--color-by", paramLabel = "KEY",
        description = "Colour configurations by this config key (numeric: viridis with a colour bar; else tab10).")
    String colorBy;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output directory (default: .).")
    Path out;

    @Option(names = "--id", paramLabel = "NAME", defaultValue = "curves", description = "File name (default curves).")
    String id;

    @Override
    public void run() {
      CommandLine cl = spec.commandLine();
      if (metrics.isEmpty() || metrics.stream().anyMatch(String::isBlank)) {
        throw new CommandLine.ParameterException(cl, "--metrics needs metric names, e.g. loss,acc,param_norm");
      }
      write(cl, CurveFigures.curves(id, read(dirs), metrics, colorBy), out);
    }
  }

  @Command(
      name = "metrics",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Run metrics vs a numeric setting: a 2 x 5 grid (L_train, L_val, A_train, A_val, dt(L); t_f of each, "
            + "dt(A)), mean over seeds with ±1 std error bars, one line per value of --group.",
        "Writes OUT/metrics-vs-KEY.png and .svg.",
        ""
      })
  static final class Metrics implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run directories or sweep directories.")
    List<Path> dirs = new ArrayList<>();

    @Option(names = "--x", required = true, paramLabel = "KEY", description = "The numeric setting on the x axis (r_train, batch_size, ...).")
    String x;

    @Option(names = "--group", paramLabel = "KEY", description = "One line per value of this setting (model, ...).")
    String group;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".", description = "Output directory (default: .).")
    Path out;

    @Override
    public void run() {
      Figure f = MetricFigures.metricsVs("metrics-vs-" + x.replaceAll("[^A-Za-z0-9._-]", "_"), read(dirs), x, group);
      write(spec.commandLine(), f, out);
    }
  }
}
