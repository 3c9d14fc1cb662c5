package lmlab.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report opens in a real browser: a real tiny grok-sanity sweep is trained through the
 * {@code ./lmlab} launcher, its report rendered in headless Chromium (Debian's {@code chromium}),
 * the DOM must hold every figure as an SVG, the log no console error or failed load, and the
 * screenshot must show something. Skipped, with the reason printed, where Chromium is absent.
 */
@Tag("slow")
class ReportBrowserTest {
  @TempDir Path tmp;

  static Path chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) return p;
      }
    }
    return null;
  }

  record Result(int code, String out, String err) {}

  static Result exec(Path cwd, long timeoutMinutes, List<String> cmd) throws Exception {
    Path out = Files.createTempFile("proc", ".out");
    Path err = Files.createTempFile("proc", ".err");
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutMinutes + " minutes");
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void aRealTinySweepsReportLoadsEveryFigureInChromium() throws Exception {
    Path browser = chromium();
    if (browser == null) System.out.println("ReportBrowserTest skipped: no chromium on PATH (apt-get install -y chromium)");
    assumeTrue(browser != null, "no chromium on PATH");
    Path launcher = Path.of("lmlab").toAbsolutePath();
    Result run = exec(tmp, 30, List.of(launcher.toString(), "experiment", "run", "grok-sanity", "--scale", "tiny"));
    assertThat(run.code()).as(run.err()).isZero();
    Path sweep = tmp.resolve("runs/grok-sanity-tiny");
    String html = ReportTest.check(sweep, "grok-sanity", false);
    int figures = ReportTest.FIGURES.get("grok-sanity").size();
    // a fixture sweep with wide 2 x 5 figures and an unfinished run too
    Path data = SweepFixtures.write(tmp, "grok-data");
    Reports.build(data, ReportTest.meta());
    for (Path report : List.of(sweep.resolve("report/report.html"), data.resolve("report/report.html"))) {
      List<String> base = List.of(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
          "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000");
      List<String> dump = new ArrayList<>(base);
      dump.add("--dump-dom");
      dump.add(report.toUri().toString());
      Result dom = exec(tmp, 5, dump);
      assertThat(dom.code()).as(dom.err()).isZero();
      int svgs = dom.out().split("<svg", -1).length - 1;
      int expected = Files.readString(report).split("<figure id=", -1).length - 1;
      assertThat(svgs).as("inline SVG figures in the rendered DOM").isEqualTo(expected).isGreaterThanOrEqualTo(figures);
      for (String line : dom.err().lines().toList()) {
        assertThat(line).as("browser log").doesNotContain("CONSOLE").doesNotContain("Uncaught")
            .doesNotContain("Failed to load").doesNotContain("net::ERR_");
      }
      Path shot = report.resolveSibling("screenshot.png");
      List<String> screenshot = new ArrayList<>(base);
      screenshot.add("--window-size=1300,3000");
      screenshot.add("--screenshot=" + shot);
      screenshot.add(report.toUri().toString());
      Result s = exec(tmp, 5, screenshot);
      assertThat(s.code()).as(s.err()).isZero();
      BufferedImage img = ImageIO.read(shot.toFile());
      assertThat(img.getWidth()).isEqualTo(1300);
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < img.getHeight(); y += 7) for (int x = 0; x < img.getWidth(); x += 7) colours.add(img.getRGB(x, y));
      assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(50);
      String keep = System.getenv("LMLAB_SCREENSHOT_DIR");
      if (keep != null) Files.copy(shot, Path.of(keep).resolve(report.getParent().getParent().getFileName() + ".png"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(html).contains("sanity-curves-gpt");
    assertThat(Files.readString(sweep.resolve("report/report.md"), StandardCharsets.UTF_8)).contains("| gpt-s0 | completed |");
  }
}
