package lmlab.models.examples;

import lmlab.nn.Activation;
import lmlab.nn.ElmanRNN;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * The hand-built Elman RNN of the course (models.md): inputs x_t in {0,1}², h in R², slide
 * activations, W_hh = I, W_hx = I, b_h = 0, W_yh = [1, 1], b_y = -1.
 *
 * <p>Why it works: h_t = slide(h_{t-1} + x_t) keeps in each channel k whether some x_{r,k} = 1
 * with r <= t (the sum stays 0 until the first 1 and is clipped to 1 afterwards), and
 * y_t = slide(h_{t,0} + h_{t,1} - 1) is 1 exactly when both channels have seen a 1, else 0. So
 * y_t = 1 exactly when some r, s <= t have x_{r,0} = 1 and x_{s,1} = 1.
 */
public final class HandBuiltElman {
  private HandBuiltElman() {}

  /** The network with its hand-set weights (tensor names W_hx, W_hh, b_h, W_yh, b_y). */
  public static ElmanRNN build() {
    ElmanRNN rnn = new ElmanRNN(2, 2, 1, Activation.SLIDE, Activation.SLIDE, new Rng(0));
    rnn.wHx().copy_(Tensor.of(new float[] {1, 0, 0, 1}, 2, 2));
    rnn.wHh().copy_(Tensor.of(new float[] {1, 0, 0, 1}, 2, 2));
    rnn.bH().copy_(Tensor.zeros(2));
    rnn.wYh().copy_(Tensor.of(new float[] {1, 1}, 1, 2));
    rnn.bY().copy_(Tensor.vector(-1f));
    return rnn;
  }

  /** The rule the network computes: y_t = 1 iff some r, s <= t have x[r][0] = 1 and x[s][1] = 1. */
  public static int[] rule(int[][] x) {
    int[] y = new int[x.length];
    boolean seen0 = false;
    boolean seen1 = false;
    for (int t = 0; t < x.length; t++) {
      seen0 |= x[t][0] == 1;
      seen1 |= x[t][1] == 1;
      y[t] = seen0 && seen1 ? 1 : 0;
    }
    return y;
  }

  /** Prints the network's outputs on a few sequences: {@code java lmlab.models.examples.HandBuiltElman}. */
  public static void main(String[] args) {
    ElmanRNN rnn = build();
    int[][][] examples = {
      {{0, 0}, {1, 0}, {0, 0}, {0, 1}, {0, 0}},
      {{1, 1}, {0, 0}},
      {{0, 1}, {0, 1}, {0, 0}, {1, 0}},
    };
    for (int[][] seq : examples) {
      float[] x = new float[seq.length * 2];
      for (int t = 0; t < seq.length; t++) {
        x[2 * t] = seq[t][0];
        x[2 * t + 1] = seq[t][1];
      }
      Tensor y = rnn.forward(Tensor.of(x, 1, seq.length, 2)).y();
      StringBuilder sb = new StringBuilder();
      for (int t = 0; t < seq.length; t++) {
        sb.append("x=(").append(seq[t][0]).append(',').append(seq[t][1]).append(") y=")
            .append((int) y.get(0, t, 0)).append("  ");
      }
      System.out.println(sb.toString().trim());
    }
  }
}
