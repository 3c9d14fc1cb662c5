package lmlab.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  static final Map<String, Double> M = Map.of("train_loss", 1.5, "train_acc", 0.25, "val_loss", 2.0, "val_acc", 0.125,
      "param_norm", 30.0);

  @Test
  void onATerminalOneLineIsRedrawnInPlace() {
    StringWriter s = new StringWriter();
    ProgressBar p = new ProgressBar(new PrintWriter(s), true);
    p.evaluated(0, 11, M, 0);
    p.step(0, 11, 1.25, 12.5);
    p.step(10, 11, 1.0, 12.5); // the last step is always drawn
    p.close();
    String out = s.toString();
    assertThat(out).contains("\r\u001b[K[").contains("step 10/10").contains("loss 1.0000")
        .contains("acc 0.250/0.125").contains("12.5 steps/s").endsWith("\n");
  }

  @Test
  void offATerminalPlainLinesPerEvaluationWithoutControlCharacters() {
    StringWriter s = new StringWriter();
    ProgressBar p = new ProgressBar(new PrintWriter(s), false);
    p.step(0, 11, 1.25, 12.5);
    p.evaluated(10, 11, M, 3.0);
    p.message("done");
    p.close();
    assertThat(s.toString()).isEqualTo(
        "step 10/10  train_loss 1.5000  train_acc 0.2500  val_loss 2.0000  val_acc 0.1250  param_norm 30.00  3.0 steps/s\n"
            + "done\n");
  }
}
