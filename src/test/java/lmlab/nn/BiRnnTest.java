package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class BiRnnTest {
  @Test
  void fixture() {
    SafetensorsFile f = FixtureAssert.fixture("rnn_birnn");
    BiRNN rnn = new BiRNN(3, 4, 2, new Rng(1));
    assertEquals(List.of("fwd.W_hx", "fwd.W_hh", "bwd.W_hx", "bwd.W_hh", "V_f", "V_b").stream().sorted().toList(),
        rnn.namedParameters().keySet().stream().sorted().toList());
    RecurrentFixtures.loadParams(rnn, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    BiRNN.Result r = rnn.forward(x);
    assertMatchesFixture(f, "y", r.y());
    assertMatchesFixture(f, "h_f", r.hF());
    assertMatchesFixture(f, "h_b", r.hB());
    Tensor loss = RecurrentFixtures.sumOfSquares(r.y(), f.tensor("z"));
    assertMatchesFixture(f, "loss", loss);
    loss.backward();
    RecurrentFixtures.assertParamGrads(rnn, f);
    assertMatchesFixture(f, "grad.x", x.grad());
  }

  /**
   * Autograd against the hand-derived backpropagation-through-time recursions of the course, on
   * the fixture's weights and on random ones.
   */
  @Test
  void autogradEqualsHandDerivedBptt() {
    SafetensorsFile f = FixtureAssert.fixture("rnn_birnn");
    BiRNN fromFixture = new BiRNN(3, 4, 2, new Rng(1));
    RecurrentFixtures.loadParams(fromFixture, f);
    compareWithBptt(fromFixture, f.tensor("x"), f.tensor("z"));

    Rng rng = new Rng(42);
    BiRNN random = new BiRNN(5, 6, 3, rng);
    compareWithBptt(random, Tensor.randn(rng, 3, 9, 5), Tensor.randn(rng, 3, 9, 3));
  }

  private static void compareWithBptt(BiRNN rnn, Tensor xT, Tensor zT) {
    rnn.zeroGrad();
    Tensor loss = RecurrentFixtures.sumOfSquares(rnn.forward(xT).y(), zT);
    loss.backward();

    int batch = xT.size(0);
    int steps = xT.size(1);
    int dX = xT.size(2);
    int dH = rnn.forwardCell().hiddenSize();
    int dY = rnn.vF().size(0);
    double[][] wxF = matrix(rnn.forwardCell().wHx());
    double[][] whF = matrix(rnn.forwardCell().wHh());
    double[][] wxB = matrix(rnn.backwardCell().wHx());
    double[][] whB = matrix(rnn.backwardCell().wHh());
    double[][] vF = matrix(rnn.vF());
    double[][] vB = matrix(rnn.vB());

    double[][] gWxF = new double[dH][dX];
    double[][] gWhF = new double[dH][dH];
    double[][] gWxB = new double[dH][dX];
    double[][] gWhB = new double[dH][dH];
    double[][] gVF = new double[dY][dH];
    double[][] gVB = new double[dY][dH];
    double lossSum = 0;

    for (int b = 0; b < batch; b++) {
      double[][] x = new double[steps][dX];
      double[][] z = new double[steps][dY];
      for (int t = 0; t < steps; t++) {
        for (int k = 0; k < dX; k++) x[t][k] = xT.get(b, t, k);
        for (int k = 0; k < dY; k++) z[t][k] = zT.get(b, t, k);
      }
      // Forward pass.
      //   h_t^f = tanh(W_hh^f h_{t-1}^f + W_hx^f x_t),  h_{-1}^f = 0, t = 0 .. S-1
      //   h_t^b = tanh(W_hh^b h_{t+1}^b + W_hx^b x_t),  h_S^b = 0,    t = S-1 .. 0
      //   y_t   = V_f h_t^f + V_b h_t^b,   L = Σ_t ||z_t - y_t||²
      double[][] hF = new double[steps][];
      double[][] hB = new double[steps][];
      for (int t = 0; t < steps; t++) {
        hF[t] = tanh(add(mv(whF, t > 0 ? hF[t - 1] : new double[dH]), mv(wxF, x[t])));
      }
      for (int t = steps - 1; t >= 0; t--) {
        hB[t] = tanh(add(mv(whB, t < steps - 1 ? hB[t + 1] : new double[dH]), mv(wxB, x[t])));
      }
      // e_t = ∂L/∂y_t = 2 (y_t - z_t)
      double[][] e = new double[steps][dY];
      for (int t = 0; t < steps; t++) {
        double[] y = add(mv(vF, hF[t]), mv(vB, hB[t]));
        for (int k = 0; k < dY; k++) {
          e[t][k] = 2 * (y[k] - z[t][k]);
          lossSum += (y[k] - z[t][k]) * (y[k] - z[t][k]);
        }
      }
      // Output weights: ∇_{V_f} L = Σ_t e_t (h_t^f)ᵀ, ∇_{V_b} L = Σ_t e_t (h_t^b)ᵀ.
      for (int t = 0; t < steps; t++) {
        addOuter(gVF, e[t], hF[t]);
        addOuter(gVB, e[t], hB[t]);
      }
      // Forward direction, δ_t^f = ∂L/∂(pre-activation of h_t^f), recursion from t = S-1 down to 0:
      //   ∂L/∂h_t^f = V_fᵀ e_t + W_hh^fᵀ δ_{t+1}^f        (δ_S^f = 0)
      //   δ_t^f     = ∂L/∂h_t^f ⊙ (1 − (h_t^f)²)
      // (equivalently, with ε_t = ∂L/∂h_t^f: ε_t = V_fᵀ e_t + W_hh^fᵀ (ε_{t+1} ⊙ (1 − (h_{t+1}^f)²)))
      //   ∇_{U^(f)} L = ∇_{W_hx^f} L = Σ_t δ_t^f x_tᵀ,   ∇_{W_hh^f} L = Σ_t δ_t^f (h_{t-1}^f)ᵀ
      double[] next = new double[dH];
      for (int t = steps - 1; t >= 0; t--) {
        double[] dh = add(mtv(vF, e[t]), mtv(whF, next));
        double[] delta = new double[dH];
        for (int k = 0; k < dH; k++) delta[k] = dh[k] * (1 - hF[t][k] * hF[t][k]);
        addOuter(gWxF, delta, x[t]);
        addOuter(gWhF, delta, t > 0 ? hF[t - 1] : new double[dH]);
        next = delta;
      }
      // Backward direction: its recurrence runs right to left, so BPTT runs left to right, t = 0 .. S-1:
      //   ∂L/∂h_t^b = V_bᵀ e_t + W_hh^bᵀ δ_{t-1}^b        (δ_{-1}^b = 0)
      //   δ_t^b     = ∂L/∂h_t^b ⊙ (1 − (h_t^b)²)
      //   ∇_{W^(b)} L: ∇_{W_hh^b} L = Σ_t δ_t^b (h_{t+1}^b)ᵀ (h_S^b = 0),   ∇_{W_hx^b} L = Σ_t δ_t^b x_tᵀ
      double[] prev = new double[dH];
      for (int t = 0; t < steps; t++) {
        double[] dh = add(mtv(vB, e[t]), mtv(whB, prev));
        double[] delta = new double[dH];
        for (int k = 0; k < dH; k++) delta[k] = dh[k] * (1 - hB[t][k] * hB[t][k]);
        addOuter(gWxB, delta, x[t]);
        addOuter(gWhB, delta, t < steps - 1 ? hB[t + 1] : new double[dH]);
        prev = delta;
      }
    }

    FixtureAssert.assertClose("loss", loss, Tensor.scalar((float) lossSum));
    FixtureAssert.assertClose("∇ W_hh^(b)", rnn.backwardCell().wHh().grad(), tensor(gWhB));
    FixtureAssert.assertClose("∇ W_hx^(b)", rnn.backwardCell().wHx().grad(), tensor(gWxB));
    FixtureAssert.assertClose("∇ U^(f) = W_hx^(f)", rnn.forwardCell().wHx().grad(), tensor(gWxF));
    FixtureAssert.assertClose("∇ W_hh^(f)", rnn.forwardCell().wHh().grad(), tensor(gWhF));
    FixtureAssert.assertClose("∇ V_f", rnn.vF().grad(), tensor(gVF));
    FixtureAssert.assertClose("∇ V_b", rnn.vB().grad(), tensor(gVB));
  }

  private static double[][] matrix(Tensor t) {
    double[][] m = new double[t.size(0)][t.size(1)];
    for (int i = 0; i < m.length; i++) for (int j = 0; j < m[i].length; j++) m[i][j] = t.get(i, j);
    return m;
  }

  private static Tensor tensor(double[][] m) {
    float[] v = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) for (int j = 0; j < m[0].length; j++) v[i * m[0].length + j] = (float) m[i][j];
    return Tensor.of(v, m.length, m[0].length);
  }

  /** M v */
  private static double[] mv(double[][] m, double[] v) {
    double[] out = new double[m.length];
    for (int i = 0; i < m.length; i++) for (int j = 0; j < v.length; j++) out[i] += m[i][j] * v[j];
    return out;
  }

  /** Mᵀ v */
  private static double[] mtv(double[][] m, double[] v) {
    double[] out = new double[m[0].length];
    for (int i = 0; i < m.length; i++) for (int j = 0; j < out.length; j++) out[j] += m[i][j] * v[i];
    return out;
  }

  private static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = a[i] + b[i];
    return out;
  }

  private static double[] tanh(double[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) out[i] = Math.tanh(a[i]);
    return out;
  }

  /** acc += u vᵀ */
  private static void addOuter(double[][] acc, double[] u, double[] v) {
    for (int i = 0; i < u.length; i++) for (int j = 0; j < v.length; j++) acc[i][j] += u[i] * v[j];
  }
}
