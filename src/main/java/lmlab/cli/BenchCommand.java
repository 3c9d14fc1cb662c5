package lmlab.cli;

import picocli.CommandLine.Command;

/** {@code lmlab bench ...}: speed measurements, one JSON object per line on stdout. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure kernel and model speed; prints one JSON object per line.",
    subcommands = {BenchPeakCommand.class, BenchGemmCommand.class, BenchOpsCommand.class, BenchTrainCommand.class, BenchFinetuneCommand.class,
        BenchAttentionCommand.class, BenchGenerateCommand.class, BenchMemoryCommand.class, BenchMixerCommand.class,
        BenchMixerGenerateCommand.class, BenchTokenizeCommand.class, BenchDecodeCommand.class, BenchServeCommand.class})
public final class BenchCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
