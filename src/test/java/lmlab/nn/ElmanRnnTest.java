package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class ElmanRnnTest {
  private static void checkFixture(String name, Activation act) {
    SafetensorsFile f = FixtureAssert.fixture(name);
    int dX = f.shape("W_hx")[1];
    int dH = f.shape("W_hh")[0];
    int dY = f.shape("W_yh")[0];
    ElmanRNN rnn = new ElmanRNN(dX, dH, dY, act, act, new Rng(1));
    assertEquals(List.of("W_hx", "W_hh", "b_h", "W_yh", "b_y"), List.copyOf(rnn.namedParameters().keySet()));
    RecurrentFixtures.loadParams(rnn, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    ElmanRNN.Result r = rnn.forward(x);
    assertMatchesFixture(f, "y", r.y());
    assertMatchesFixture(f, "h", r.h());
    Tensor loss = RecurrentFixtures.sumOfSquares(r.y(), f.tensor("z"));
    assertMatchesFixture(f, "loss", loss);
    loss.backward();
    RecurrentFixtures.assertParamGrads(rnn, f);
    assertMatchesFixture(f, "grad.x", x.grad());
  }

  @Test
  void tanhFixture() {
    checkFixture("rnn_elman", Activation.TANH);
  }

  @Test
  void slideFixture() {
    checkFixture("rnn_elman_slide", Activation.SLIDE);
  }

  @Test
  void activationsByNameAndDefaults() {
    ElmanRNN a = new ElmanRNN(3, 4, 2, "slide", "sigmoid", new Rng(2));
    assertEquals(Activation.SLIDE, a.activation());
    assertEquals(Activation.SIGMOID, a.outputActivation());
    ElmanRNN b = new ElmanRNN(3, 4, 2, new Rng(2));
    assertEquals(Activation.TANH, b.activation());
    assertEquals(Activation.TANH, b.outputActivation());
    assertEquals(4 * 3 + 4 * 4 + 4 + 2 * 4 + 2, b.numParameters());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ElmanRNN(3, 4, 2, "swish", "tanh", new Rng(2)));
    assertTrue(e.getMessage().contains("swish"), e.getMessage());
  }

  @Test
  void givenInitialStateAndStepsAgree() {
    Rng rng = new Rng(7);
    ElmanRNN rnn = new ElmanRNN(3, 5, 2, rng);
    Tensor x = Tensor.randn(rng, 2, 6, 3);
    Tensor h0 = Tensor.randn(rng, 2, 5);
    ElmanRNN.Result r = rnn.forward(x, h0);
    Tensor h = h0;
    for (int t = 0; t < 6; t++) {
      h = rnn.step(x.select(1, t), h);
      FixtureAssert.assertClose("h_" + t, h, r.h().select(1, t));
      FixtureAssert.assertClose("y_" + t, rnn.output(h), r.y().select(1, t));
    }
    // the first step from h_0 = 0 differs from the one from h0
    Tensor fromZero = rnn.forward(x).h().select(1, 0);
    assertTrue(Math.abs(fromZero.get(0, 0) - r.h().get(0, 0, 0)) > 0);
  }

  @Test
  void badShapesAreClearErrors() {
    ElmanRNN rnn = new ElmanRNN(3, 4, 2, new Rng(3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> rnn.forward(Tensor.zeros(2, 5, 4)));
    assertTrue(e.getMessage().contains("(B, S, 3)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> rnn.forward(Tensor.zeros(2, 5, 3), Tensor.zeros(3, 4)));
    assertTrue(e.getMessage().contains("h0"), e.getMessage());
  }

  @Test
  void stackedRnnNamesShapesAndInitialState() {
    Rng rng = new Rng(4);
    RNN rnn = new RNN(6, 8, 3, 0.0, true, Activation.TANH, rng);
    assertEquals(List.of("layers.0.W_hx", "layers.0.W_hh", "layers.0.b_h", "layers.1.W_hx", "layers.1.W_hh",
        "layers.1.b_h", "layers.2.W_hx", "layers.2.W_hh", "layers.2.b_h"), List.copyOf(rnn.stateDict().keySet()));
    assertEquals(8 * 6, rnn.namedParameters().get("layers.0.W_hx").numel());
    assertEquals(8 * 8, rnn.namedParameters().get("layers.1.W_hx").numel());
    RNN noBias = new RNN(6, 8, 2, 0.0, false, Activation.TANH, rng);
    assertNull(noBias.namedParameters().get("layers.0.b_h"));
    assertEquals(2 * 8 * 8 + 6 * 8 + 8 * 8, noBias.numParameters());

    Tensor x = Tensor.randn(rng, 2, 5, 6);
    Tensor h0 = Tensor.randn(rng, 3, 2, 8);
    RNN.Result whole = rnn.forward(x, h0);
    assertEquals(List.of(2, 5, 8), List.of(whole.out().size(0), whole.out().size(1), whole.out().size(2)));
    // two halves, the second from the first's h_n, give the same outputs
    RNN.Result first = rnn.forward(x.narrow(1, 0, 2), h0);
    RNN.Result second = rnn.forward(x.narrow(1, 2, 3), first.hN());
    FixtureAssert.assertClose("continued", second.out(), whole.out().narrow(1, 2, 3));
    FixtureAssert.assertClose("h_n", second.hN(), whole.hN());
    // h_n is each layer's last state
    for (int l = 0; l < 3; l++) {
      FixtureAssert.assertClose("h_n[" + l + "]", whole.hN().select(0, l), whole.layerOutputs().get(l).select(1, 4));
    }
  }
}
