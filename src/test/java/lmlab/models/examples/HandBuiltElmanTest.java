package lmlab.models.examples;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;

import lmlab.io.SafetensorsFile;
import lmlab.nn.ElmanRNN;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class HandBuiltElmanTest {
  /**
   * Every binary input sequence of length 1 to 8 (4 + 16 + ... + 4^8 = 87380 sequences), one batch
   * per length: y_t must be exactly 1 when some r, s <= t have x_{r,0} = 1 and x_{s,1} = 1, else
   * exactly 0, and h_t must be exactly the per-channel "seen a 1 so far" bits.
   */
  @Test
  void everyBinarySequenceUpToLength8() {
    ElmanRNN rnn = HandBuiltElman.build();
    int checked = 0;
    for (int len = 1; len <= 8; len++) {
      int batch = 1 << (2 * len);
      float[] x = new float[batch * len * 2];
      int[][][] seqs = new int[batch][len][2];
      for (int code = 0; code < batch; code++) {
        for (int t = 0; t < len; t++) {
          int bits = (code >> (2 * t)) & 3;
          seqs[code][t][0] = bits & 1;
          seqs[code][t][1] = bits >> 1;
          x[(code * len + t) * 2] = seqs[code][t][0];
          x[(code * len + t) * 2 + 1] = seqs[code][t][1];
        }
      }
      ElmanRNN.Result r = rnn.forward(Tensor.of(x, batch, len, 2));
      float[] y = r.y().toArray();
      float[] h = r.h().toArray();
      for (int code = 0; code < batch; code++) {
        int[] expected = HandBuiltElman.rule(seqs[code]);
        int seen0 = 0;
        int seen1 = 0;
        for (int t = 0; t < len; t++) {
          seen0 |= seqs[code][t][0];
          seen1 |= seqs[code][t][1];
          int at = code * len + t;
          if (y[at] != expected[t] || h[2 * at] != seen0 || h[2 * at + 1] != seen1) {
            throw new AssertionError("sequence " + java.util.Arrays.deepToString(seqs[code]) + " at t = " + t
                + ": y = " + y[at] + " (expected " + expected[t] + "), h = (" + h[2 * at] + ", " + h[2 * at + 1]
                + "), expected (" + seen0 + ", " + seen1 + ")");
          }
        }
        checked++;
      }
    }
    assertEquals(4 + 16 + 64 + 256 + 1024 + 4096 + 16384 + 65536, checked);
  }

  @Test
  void ruleIsTheCoursesRule() {
    assertEquals("[0, 0, 0, 1, 1]",
        java.util.Arrays.toString(HandBuiltElman.rule(new int[][] {{0, 0}, {1, 0}, {0, 0}, {0, 1}, {0, 0}})));
    assertEquals("[1]", java.util.Arrays.toString(HandBuiltElman.rule(new int[][] {{1, 1}})));
    assertEquals("[0, 0]", java.util.Arrays.toString(HandBuiltElman.rule(new int[][] {{1, 0}, {1, 0}})));
  }

  @Test
  void fixture() {
    SafetensorsFile f = FixtureAssert.fixture("rnn_elman_handbuilt");
    ElmanRNN rnn = HandBuiltElman.build();
    for (var e : rnn.namedParameters().entrySet()) assertMatchesFixture(f, e.getKey(), e.getValue());
    ElmanRNN.Result r = rnn.forward(f.tensor("x"));
    assertMatchesFixture(f, "y", r.y());
    assertMatchesFixture(f, "h", r.h());
  }
}
