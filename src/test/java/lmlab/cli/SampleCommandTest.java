package lmlab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import lmlab.lab.text.TextFixtures;
import lmlab.runs.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lmlab sample on a text run: the prompt then N characters; bad prompts and directories are one line. */
class SampleCommandTest {
  @Test
  void samplesFromARunAndRefusesBadInput(@TempDir Path tmp) throws IOException {
    Path data = TextFixtures.text(tmp, 3000);
    var s = TextFixtures.tiny(data, tmp, "run");
    s.put("steps", TextFixtures.json("3"));
    Path run = RunSpec.of(s, null).start().run().runDir();
    MainTest.Run r = MainTest.run("sample", "--model", run.toString(), "--prompt", "O God", "--chars", "40", "--seed", "1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("O God");
    assertThat(r.out().stripTrailing().codePointCount(0, r.out().stripTrailing().length())).isBetween(40, 45);
    MainTest.Run again = MainTest.run("sample", "--model", run.resolve("checkpoints/latest").toString(), "--prompt", "O God",
        "--chars", "40", "--seed", "1");
    assertThat(again.out()).isEqualTo(r.out()); // seeded: the same characters

    MainTest.Run bad = MainTest.run("sample", "--model", run.toString(), "--prompt", "O Zeus");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err().strip()).isEqualTo("lmlab: prompt character 'Z' (U+005A) at position 2 is not in the "
        + "26-character vocabulary of " + run.resolve("checkpoints/latest/vocab.json"));
    MainTest.Run none = MainTest.run("sample", "--model", tmp.resolve("nope").toString(), "--prompt", "O");
    assertThat(none.err().strip()).isEqualTo("lmlab: --model " + tmp.resolve("nope") + ": no such directory");
  }
}
