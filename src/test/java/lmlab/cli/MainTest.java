package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import lmlab.kernels.Parallel;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

class MainTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void versionNamesTheProgramAndTheJvm() {
    Run r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("lmlab ").contains("Java 25");
  }

  @Test
  void helpListsTheSubcommands() {
    Run r = run("--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("bench").contains("--threads");
  }

  @Test
  void unknownFlagIsOneClearLineAndExitCode2() {
    Run r = run("--bogus");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines().findFirst()).hasValue("lmlab: Unknown option: '--bogus'");
    assertThat(r.err()).contains("lmlab --help");
  }

  @Test
  void unknownSubcommandIsReported() {
    Run r = run("frobnicate");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("frobnicate");
  }

  @Test
  void threadsMustBePositive() {
    int before = Parallel.threads();
    Run r = run("--threads", "0", "bench");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--threads must be >= 1, got 0");
    Run notNumber = run("--threads", "two", "bench");
    assertThat(notNumber.code()).isEqualTo(2);
    assertThat(notNumber.err()).contains("--threads").contains("two");
    assertThat(Parallel.threads()).isEqualTo(before);
  }

  @Test
  void helpTakesItsWidthFromColumnsElseFromTheTerminal() {
    CommandLine cl = Main.commandLine();
    CommandLine benchServe = cl.getSubcommands().get("bench").getSubcommands().get("serve");
    Main.helpWidth(cl, "132");
    assertThat(cl.getUsageHelpWidth()).isEqualTo(132);
    assertThat(benchServe.getUsageHelpWidth()).isEqualTo(132);
    assertThat(benchServe.isUsageHelpAutoWidth()).isFalse();
    int widest = benchServe.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().mapToInt(String::length).max().orElse(0);
    assertThat(widest).isGreaterThan(100).isLessThanOrEqualTo(132);
    Main.helpWidth(cl, "40");
    assertThat(benchServe.getUsageHelpWidth()).isEqualTo(Main.MINIMUM_HELP_WIDTH);
    for (String unset : new String[] {null, "", "wide", "0"}) {
      Main.helpWidth(cl, unset);
      assertThat(cl.isUsageHelpAutoWidth()).isTrue();
      assertThat(benchServe.isUsageHelpAutoWidth()).isTrue();
    }
  }
}
