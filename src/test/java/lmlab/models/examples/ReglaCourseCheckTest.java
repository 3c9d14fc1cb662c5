package lmlab.models.examples;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static lmlab.testing.FixtureAssert.fixture;

import lmlab.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

/** The example's layer and input are the course check's: its outputs match regla_const001. */
class ReglaCourseCheckTest {
  @Test
  void exampleReproducesTheCourseCheck() {
    SafetensorsFile f = fixture("regla_const001");
    assertMatchesFixture(f, "x", ReglaCourseCheck.input());
    assertMatchesFixture(f, "out", ReglaCourseCheck.layer().forward(ReglaCourseCheck.input(), null, 0).out());
    assertMatchesFixture(f, "out", ReglaCourseCheck.layer().forward(ReglaCourseCheck.input(), null, 4).out());
  }
}
