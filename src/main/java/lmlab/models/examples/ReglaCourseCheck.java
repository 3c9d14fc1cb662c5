package lmlab.models.examples;

import java.util.Locale;
import lmlab.nn.mixers.LinearAttentionMixer;
import lmlab.nn.mixers.ReglaMixer;
import lmlab.tensor.Tensor;

/**
 * The course's ReGLA check (mixers.md, "The course check"): a ReGLA layer with hidden_size 16, 2
 * heads, expand_k 0.5, expand_v 1, norm_eps 1e-6 and every parameter (weights, biases, norm
 * weight) the float32 constant 0.01, on {@code x[b, t, c] = (((b·8 + t)·16 + c) mod 11) - 4.75}
 * (B 2, S 8). With equal parameters all 16 output channels of a token are equal, so one number
 * per token is printed, for both forms of the layer: recurrent (token by token) and chunked.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp target/lmlab.jar
 * lmlab.models.examples.ReglaCourseCheck}
 */
public final class ReglaCourseCheck {
  private ReglaCourseCheck() {}

  /** The layer with every parameter 0.01. */
  public static ReglaMixer layer() {
    ReglaMixer m = new ReglaMixer(new LinearAttentionMixer.Config(16, 2, 0.5, 1, 1e-6), null);
    for (Tensor p : m.parameters()) p.fill_(0.01f);
    return m;
  }

  /** The course input (2, 8, 16). */
  public static Tensor input() {
    float[] x = new float[2 * 8 * 16];
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 8; t++) {
        for (int c = 0; c < 16; c++) x[(b * 8 + t) * 16 + c] = (((b * 8 + t) * 16 + c) % 11) - 4.75f;
      }
    }
    return Tensor.of(x, 2, 8, 16);
  }

  public static void main(String[] args) {
    ReglaMixer m = layer();
    Tensor x = input();
    Tensor recurrent = m.forward(x, null, 0).out();
    Tensor chunked = m.forward(x, null, 4).out();
    System.out.println("ReGLA, every parameter 0.01, x[b,t,c] = ((b*8+t)*16+c) mod 11 - 4.75; out[b, t, 0] (all 16 channels equal)");
    System.out.println(" b  t     recurrent        chunked (L=4)   max |channel - channel 0|");
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < 8; t++) {
        double spread = 0;
        for (int c = 1; c < 16; c++) spread = Math.max(spread, Math.abs(recurrent.get(b, t, c) - recurrent.get(b, t, 0)));
        System.out.println(String.format(Locale.ROOT, "%2d %2d  %15.7e  %15.7e  %.1e", b, t, recurrent.get(b, t, 0),
            chunked.get(b, t, 0), spread));
      }
    }
  }
}
