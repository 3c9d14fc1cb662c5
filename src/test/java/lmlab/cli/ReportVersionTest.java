package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** A report names the commit of the build that made it, whatever folder the command ran in. */
class ReportVersionTest {
  @Test
  void theVersionLineNamesTheBuildsCommit() throws Exception {
    Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
    String head = new String(git.getInputStream().readAllBytes()).strip();
    Assumptions.assumeTrue(git.waitFor() == 0 && Files.exists(Path.of("pom.xml")),
        "not a git checkout of the project (" + head + "): the commit cannot be known");
    // the test runs in the project folder; the report looks in the folder of its classes instead
    assertThat(ExperimentReportCommand.version()).endsWith(", commit " + head);
  }
}
