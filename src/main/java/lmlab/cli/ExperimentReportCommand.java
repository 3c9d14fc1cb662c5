package lmlab.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import lmlab.report.ReportWriter;
import lmlab.report.Reports;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code lmlab experiment report DIR}: figures, tables and the report of a sweep from the runs that
 * exist (experiments.md, Report), without training.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Writes DIR/report/: report.md, report.html (self-contained: inline SVG and CSS), figures/ (PNG at "
          + "2x and SVG), tables/ (Markdown, CSV, LaTeX) and metrics.csv, from the runs of the sweep "
          + "directory DIR that exist (unfinished runs are marked).",
      "Prints the report directory.",
      ""
    })
public final class ExperimentReportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "DIR", description = "A sweep directory (runs/<name>: sweep.json and run directories).")
  Path dir;

  @Override
  public Integer call() {
    try {
      ReportWriter.Meta meta = new ReportWriter.Meta(null, null, Reports.reproduce(dir), version(), machine(),
          ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
      Path report = Reports.build(dir, meta);
      spec.commandLine().getOut().println(report);
      spec.commandLine().getOut().flush();
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
  }

  static String version() {
    String v = new Main.Version().getVersion()[0];
    String commit = "unknown commit";
    try {
      // the commit of the build that runs, wherever the command is run from: git asked in the jar's (or classes') folder
      java.security.CodeSource source = ExperimentReportCommand.class.getProtectionDomain().getCodeSource();
      if (source == null) return v + ", " + commit;
      Path code = Path.of(source.getLocation().toURI());
      Path where = Files.isDirectory(code) ? code : code.getParent();
      Process p = new ProcessBuilder("git", "-C", where.toString(), "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{4,40}")) commit = "commit " + out;
    } catch (IOException | InterruptedException | java.net.URISyntaxException e) {
      // no git or no source checkout: the version alone
    }
    return v + ", " + commit;
  }

  static String machine() {
    String cpu = System.getProperty("os.arch");
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).strip();
          break;
        }
      }
    } catch (IOException e) {
      // not Linux: the architecture alone
    }
    // the runs' thread counts come from their config.json (Reports.build), not from this process
    return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores";
  }
}
