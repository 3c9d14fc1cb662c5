package lmlab.cli;

import java.io.PrintWriter;
import lmlab.kernels.Gemm;
import lmlab.kernels.GemmBackend;
import lmlab.kernels.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code lmlab} command: global options and the subcommands of every layer. */
@Command(
    name = "lmlab",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "A language-model laboratory for the JVM: tensors, autograd, models, experiments.",
    subcommands = {CommandLine.HelpCommand.class, AnalyzeCommand.class, BenchCommand.class, ForwardCommand.class, FinetuneCommand.class, MergeCommand.class, QuantizeCommand.class, ParamsCommand.class, TrainCommand.class, RunsCommand.class, SweepCommand.class, ExperimentCommand.class,
        TokenizeCommand.class, GenerateCommand.class, ChatCommand.class, DecodeTreeCommand.class, SampleCommand.class, PlotCommand.class, AttentionCommand.class, PromptCommand.class, ServeCommand.class})
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--threads",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "N",
      description = "Worker threads for kernels (default: LMLAB_THREADS, else the number of cores).")
  void setThreads(int n) {
    Flags.atLeast(spec.commandLine(), "--threads", n, 1);
    Parallel.setThreads(n);
  }

  @Option(
      names = "--blas",
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "BACKEND",
      description = "Matrix-multiply backend: java (default, pure Java) or openblas (needs the "
          + "OpenBLAS shared library). Default: LMLAB_BLAS, else java.")
  void setBlas(String name) {
    try {
      Gemm.setBackend(GemmBackend.named(name));
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Version from the jar manifest, else the build's. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {
        "lmlab " + (v != null ? v : "0.1.0-SNAPSHOT"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")",
        "vector species: " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED
      };
    }
  }

  /** Builds the command line with lmlab's error handling: one clear line, usage hint, exit 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    helpWidth(cl, System.getenv("COLUMNS"));
    cl.setParameterExceptionHandler((ex, args) -> {
      CommandLine c = ex.getCommandLine();
      PrintWriter err = c.getErr();
      err.println("lmlab: " + ex.getMessage());
      err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
      PrintWriter err = c.getErr();
      String msg = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
      err.println("lmlab: " + msg);
      if (System.getenv("LMLAB_DEBUG") != null) ex.printStackTrace(err);
      return 1;
    });
    return cl;
  }

  /**
   * The help fills the terminal: the descriptions are paragraphs, which picocli wraps at the usage
   * width, and their preformatted lines fit in 80 columns. With usageHelpAutoWidth picocli asks the
   * terminal for its width (one stty process, only when it prints help to a terminal), so a narrow
   * one gets the options' columns wrapped to fit and a wide one fewer lines; help going to a file or
   * a pipe, and the tests, stay at 80. COLUMNS, when set, says the width instead, as POSIX has it for
   * every program (at least picocli's minimum, 55); -Dpicocli.usage.width still overrides both.
   */
  static void helpWidth(CommandLine cl, String columns) {
    if (columns != null && columns.matches("[1-9][0-9]{0,3}")) {
      cl.setUsageHelpAutoWidth(false);
      cl.setUsageHelpWidth(Math.max(MINIMUM_HELP_WIDTH, Integer.parseInt(columns)));
    } else {
      cl.setUsageHelpAutoWidth(true);
    }
  }

  /** picocli's smallest usage width (UsageMessageSpec.MINIMUM_USAGE_WIDTH, not public). */
  static final int MINIMUM_HELP_WIDTH = 55;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
