package lmlab.nn;

import static lmlab.testing.FixtureAssert.assertMatchesFixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lmlab.io.SafetensorsFile;
import lmlab.tensor.Rng;
import lmlab.tensor.Tensor;
import lmlab.testing.FixtureAssert;
import org.junit.jupiter.api.Test;

class LstmTest {
  @Test
  void cellFixtureOneStep() {
    SafetensorsFile f = FixtureAssert.fixture("lstm_cell");
    LSTMCell cell = new LSTMCell(5, 4, true, new Rng(1));
    RecurrentFixtures.loadParams(cell, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    Tensor h0 = RecurrentFixtures.leaf(f, "h0");
    Tensor c0 = RecurrentFixtures.leaf(f, "c0");
    LSTMCell.State s = cell.forward(x, h0, c0);
    assertMatchesFixture(f, "h", s.h());
    assertMatchesFixture(f, "c", s.c());
    s.h().mul(f.tensor("grad_h")).sum().add(s.c().mul(f.tensor("grad_c")).sum()).backward();
    RecurrentFixtures.assertParamGrads(cell, f);
    assertMatchesFixture(f, "grad.x", x.grad());
    assertMatchesFixture(f, "grad.h0", h0.grad());
    assertMatchesFixture(f, "grad.c0", c0.grad());
  }

  /** The fused sequence path (concatenated weights, precomputed input GEMM) on the same one step. */
  @Test
  void cellFixtureThroughSequencePath() {
    SafetensorsFile f = FixtureAssert.fixture("lstm_cell");
    LSTMCell cell = new LSTMCell(5, 4, true, new Rng(1));
    RecurrentFixtures.loadParams(cell, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    Tensor h0 = RecurrentFixtures.leaf(f, "h0");
    Tensor c0 = RecurrentFixtures.leaf(f, "c0");
    LSTMCell.Sequence s = cell.sequence(x.unsqueeze(1), h0, c0);
    assertMatchesFixture(f, "h", s.hN());
    assertMatchesFixture(f, "c", s.cN());
    assertMatchesFixture(f, "h", s.out().select(1, 0));
    s.hN().mul(f.tensor("grad_h")).sum().add(s.cN().mul(f.tensor("grad_c")).sum()).backward();
    RecurrentFixtures.assertParamGrads(cell, f);
    assertMatchesFixture(f, "grad.x", x.grad());
    assertMatchesFixture(f, "grad.h0", h0.grad());
    assertMatchesFixture(f, "grad.c0", c0.grad());
  }

  @Test
  void lstmFixtureZeroState() {
    SafetensorsFile f = FixtureAssert.fixture("lstm");
    LSTM lstm = new LSTM(5, 4, 2, 0.0, true, new Rng(1));
    RecurrentFixtures.loadParams(lstm, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    LSTM.Result r = lstm.forward(x);
    checkLstmOutputs(f, r);
    RecurrentFixtures.assertParamGrads(lstm, f);
    assertMatchesFixture(f, "grad.x", x.grad());
  }

  @Test
  void lstmFixtureGivenState() {
    SafetensorsFile f = FixtureAssert.fixture("lstm_init_state");
    LSTM lstm = new LSTM(5, 4, 2, 0.0, true, new Rng(1));
    RecurrentFixtures.loadParams(lstm, f);
    Tensor x = RecurrentFixtures.leaf(f, "x");
    Tensor h0 = RecurrentFixtures.leaf(f, "h0");
    Tensor c0 = RecurrentFixtures.leaf(f, "c0");
    LSTM.Result r = lstm.forward(x, h0, c0);
    checkLstmOutputs(f, r);
    RecurrentFixtures.assertParamGrads(lstm, f);
    assertMatchesFixture(f, "grad.x", x.grad());
    assertMatchesFixture(f, "grad.h0", h0.grad());
    assertMatchesFixture(f, "grad.c0", c0.grad());
  }

  private static void checkLstmOutputs(SafetensorsFile f, LSTM.Result r) {
    assertMatchesFixture(f, "out", r.out());
    assertMatchesFixture(f, "h_n", r.hN());
    assertMatchesFixture(f, "c_n", r.cN());
    r.out().mul(f.tensor("grad_out")).sum()
        .add(r.hN().mul(f.tensor("grad_h_n")).sum())
        .add(r.cN().mul(f.tensor("grad_c_n")).sum())
        .backward();
  }

  /**
   * The fast sequence path against the plain one (gate by gate, one cell step at a time with
   * select) on a longer sequence: forward values and every gradient, inputs and states included.
   */
  @Test
  void sequencePathEqualsStepByStep() {
    Rng rng = new Rng(11);
    for (boolean bias : new boolean[] {true, false}) {
      LSTMCell cell = new LSTMCell(5, 6, bias, rng);
      Tensor xv = Tensor.randn(rng, 3, 9, 5);
      Tensor h0v = Tensor.randn(rng, 3, 6);
      Tensor c0v = Tensor.randn(rng, 3, 6);
      Tensor gOut = Tensor.randn(rng, 3, 9, 6);
      Tensor gC = Tensor.randn(rng, 3, 6);

      Tensor x1 = xv.copy().requiresGrad(true);
      Tensor h1 = h0v.copy().requiresGrad(true);
      Tensor c1 = c0v.copy().requiresGrad(true);
      LSTMCell.Sequence fast = cell.sequence(x1, h1, c1);
      fast.out().mul(gOut).sum().add(fast.cN().mul(gC).sum()).backward();
      Map<String, Tensor> fastGrads = grads(cell);

      cell.zeroGrad();
      Tensor x2 = xv.copy().requiresGrad(true);
      Tensor h = h0v.copy().requiresGrad(true);
      Tensor c = c0v.copy().requiresGrad(true);
      Tensor h2 = h;
      Tensor c2 = c;
      List<Tensor> outs = new ArrayList<>();
      for (int t = 0; t < 9; t++) {
        LSTMCell.State s = cell.forward(x2.select(1, t), h, c);
        h = s.h();
        c = s.c();
        outs.add(h);
      }
      Tensor slow = Tensor.stack(outs, 1);
      slow.mul(gOut).sum().add(c.mul(gC).sum()).backward();

      FixtureAssert.assertClose("out", fast.out(), slow);
      FixtureAssert.assertClose("c_n", fast.cN(), c);
      FixtureAssert.assertClose("grad x", x1.grad(), x2.grad());
      FixtureAssert.assertClose("grad h0", h1.grad(), h2.grad());
      FixtureAssert.assertClose("grad c0", c1.grad(), c2.grad());
      for (var e : grads(cell).entrySet()) {
        FixtureAssert.assertClose("grad " + e.getKey(), fastGrads.get(e.getKey()), e.getValue());
      }
      cell.zeroGrad();
    }
  }

  private static Map<String, Tensor> grads(Module m) {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    for (var e : m.namedParameters().entrySet()) out.put(e.getKey(), e.getValue().grad().copy());
    return out;
  }

  @Test
  void namesAndParameterCounts() {
    Rng rng = new Rng(5);
    LSTM lstm = new LSTM(6, 8, 2, 0.0, true, rng);
    List<String> names = List.copyOf(lstm.stateDict().keySet());
    assertEquals(16, names.size());
    assertEquals("layers.0.input_gate.weight", names.get(0));
    assertTrue(names.contains("layers.1.output_gate.bias"));
    assertEquals(List.of(8, 14), List.of(lstm.namedParameters().get("layers.0.cell_gate.weight").shape()[0],
        lstm.namedParameters().get("layers.0.cell_gate.weight").shape()[1]));
    assertEquals(16, lstm.namedParameters().get("layers.1.forget_gate.weight").size(1));
    for (int[] s : new int[][] {{5, 4}, {6, 8}, {16, 32}, {1, 1}}) {
      int dX = s[0];
      int dH = s[1];
      assertEquals(4L * (dX + dH) * dH + 4L * dH, new LSTMCell(dX, dH, true, rng).numParameters());
      assertEquals(4L * (dX + dH) * dH, new LSTMCell(dX, dH, false, rng).numParameters());
      for (int layers = 1; layers <= 3; layers++) {
        long withBias = 4L * (dX + dH) * dH + 4L * dH + (layers - 1) * (8L * dH * dH + 4L * dH);
        assertEquals(withBias, new LSTM(dX, dH, layers, 0.0, true, rng).numParameters());
        assertEquals(withBias - 4L * dH * layers, new LSTM(dX, dH, layers, 0.0, false, rng).numParameters());
      }
    }
    float bound = (float) (1 / Math.sqrt(8));
    for (Tensor p : lstm.parameters()) {
      for (float v : p.toArray()) assertTrue(Math.abs(v) <= bound, "init within U(-1/sqrt(d_h), 1/sqrt(d_h))");
    }
  }

  @Test
  void dropoutOnlyBetweenLayersAndOnlyInTraining() {
    Rng rng = new Rng(9);
    Tensor x = Tensor.randn(rng, 2, 5, 4);
    LSTM plain = new LSTM(4, 6, 2, 0.0, true, new Rng(3));
    LSTM dropped = new LSTM(4, 6, 2, 0.5, true, new Rng(3));
    dropped.train(true);
    LSTM.Result a = plain.forward(x);
    LSTM.Result b = dropped.forward(x);
    // the first layer's outputs are not dropped; the second layer reads a dropped copy
    FixtureAssert.assertClose("layer 0", b.layerOutputs().get(0), a.layerOutputs().get(0));
    assertNotEquals(a.out().get(0, 4, 0), b.out().get(0, 4, 0));
    // the last layer's outputs are not dropped: out is exactly its output sequence
    assertTrue(b.out() == b.layerOutputs().get(1));
    dropped.eval();
    FixtureAssert.assertClose("eval", dropped.forward(x).out(), a.out());
    // a single layer has nothing to drop
    LSTM one = new LSTM(4, 6, 1, 0.5, true, new Rng(3));
    LSTM oneRef = new LSTM(4, 6, 1, 0.0, true, new Rng(3));
    FixtureAssert.assertClose("L=1", one.forward(x).out(), oneRef.forward(x).out());
  }

  @Test
  void badShapesAreClearErrors() {
    LSTM lstm = new LSTM(5, 4, 2, 0.0, true, new Rng(1));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(2, 3, 4)));
    assertTrue(e.getMessage().contains("(B, S, 5)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> lstm.forward(Tensor.zeros(2, 3, 5), Tensor.zeros(1, 2, 4), null));
    assertTrue(e.getMessage().contains("h0") && e.getMessage().contains("(2, 2, 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new LSTM(5, 4, 2, 1.0, true, new Rng(1)));
    assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
  }
}
