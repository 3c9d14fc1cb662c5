package lmlab.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lmlab.tensor.IntTensor;
import lmlab.tensor.Reduction;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;

/**
 * A fixed forward + backward over the row ops and transcendental activations, for checking that
 * results do not depend on how far HotSpot has compiled the code. {@code main} prints a digest so
 * a separate JVM (e.g. -Xint) can be compared with this one.
 */
public final class DeterminismProbe {
  private DeterminismProbe() {}

  /** Every output and input gradient of the probe, in a fixed order. */
  public static List<float[]> run() {
    List<float[]> out = new ArrayList<>();
    int rows = 6;
    int cols = 37; // not a multiple of any vector length: tails are exercised too
    Tensor base = Tensor.randn(new Rng(1234), rows, cols).mul(3f);
    Tensor g = Tensor.randn(new Rng(99), rows, cols);
    int[] t = new int[rows];
    for (int r = 0; r < rows; r++) t[r] = (r * 7) % cols;

    Tensor x = base.detach().requiresGrad(true);
    Tensor y = x.softmax(-1);
    y.backward(g);
    out.add(y.toArray());
    out.add(x.grad().toArray());

    x = base.detach().requiresGrad(true);
    y = x.logSoftmax(-1);
    y.backward(g);
    out.add(y.toArray());
    out.add(x.grad().toArray());

    x = base.detach().requiresGrad(true);
    y = x.crossEntropy(IntTensor.of(t, rows), -100, Reduction.MEAN);
    y.backward();
    out.add(y.toArray());
    out.add(x.grad().toArray());

    x = base.detach().requiresGrad(true);
    Tensor w = Tensor.randn(new Rng(5), cols).requiresGrad(true);
    Tensor b = Tensor.randn(new Rng(6), cols).requiresGrad(true);
    y = x.layerNorm(w, b, 1e-5f);
    y.backward(g);
    out.add(y.toArray());
    out.add(x.grad().toArray());
    out.add(w.grad().toArray());
    out.add(b.grad().toArray());

    x = base.detach().requiresGrad(true);
    y = x.gelu().add(x.geluTanh()).add(x.tanh()).add(x.sigmoid()).add(x.silu()).add(x.mul(0.1f).exp())
        .add(x.abs().add(0.5f).log());
    y.backward(g);
    out.add(y.toArray());
    out.add(x.grad().toArray());

    out.add(base.sum(1, false).toArray());
    out.add(base.var(new int[] {1}, false).toArray());
    out.add(base.matmul(g.transpose(0, 1)).toArray());
    return out;
  }

  /** The bits of every value of {@link #run()}, as one hex digest string. */
  public static String digest(List<float[]> outs) {
    StringBuilder s = new StringBuilder();
    for (float[] a : outs) {
      int h = 1;
      for (float v : a) h = 31 * h + Float.floatToIntBits(v);
      s.append(Integer.toHexString(h)).append(' ');
    }
    return s.toString().trim();
  }

  /** Prints the digest of {@link #run()}; with an argument n, after n warm-up runs. */
  public static void main(String[] args) {
    int warm = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    for (int i = 0; i < warm; i++) run();
    System.out.println(digest(run()));
  }

  static boolean same(List<float[]> a, List<float[]> b) {
    if (a.size() != b.size()) return false;
    for (int i = 0; i < a.size(); i++) if (!Arrays.equals(a.get(i), b.get(i))) return false;
    return true;
  }
}
